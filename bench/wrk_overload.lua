-- wrk script for bench/overload.py. BENCH_MODE:
--   url    the URL given to wrk, repeated (a cached page after the first request)
--   pages  distinct feature pages (limit=100 in a 0.2-degree box in Kalimantan Tengah, at one of
--          20 offsets): nearly every request misses the page cache and runs its SQL
--   login  POST /api/auth/token with a new random user name each time: the per-name rate limit
--          never applies and every request runs a password hash
-- BENCH_AUTH: the Authorization header (url, pages). Prints one BENCH line (login: with counts per status
-- class; others: -1 there).
local mode = os.getenv("BENCH_MODE") or "url"
local auth = os.getenv("BENCH_AUTH")
local threads = {}
counter, id, s2, s3, s4, s5, s503 = 0, 0, 0, 0, 0, 0, 0  -- per thread (each has its own Lua state)

setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

init = function(args)
  math.randomseed(os.time() * 16 + id)
  if auth and auth ~= "" and mode ~= "login" then
    wrk.headers["Authorization"] = auth
  end
  if mode == "login" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

request = function()
  counter = counter + 1
  if mode == "pages" then
    local n = counter * 16 + id  -- at most 16 wrk threads: no two threads make the same URL
    local cell = n % 1600
    local x = 111.0 + (cell % 40) * 0.12
    local y = -3.4 + math.floor(cell / 40) * 0.1
    local offset = (math.floor(n / 1600) % 20) * 10
    return wrk.format("GET", string.format(
      "/api/collections/companies/items?bbox=%.2f,%.2f,%.2f,%.2f&limit=100&offset=%d", x, y, x + 0.2, y + 0.2, offset))
  elseif mode == "login" then
    local name = string.format("nobody-%d-%d-%08x", id, counter, math.random(0, 0x7fffffff))
    return wrk.format(nil, "/api/auth/token", nil, "username=" .. name .. "&password=not-the-password-123")
  end
  return wrk.format()
end

-- Only for logins (small bodies): a response callback makes wrk copy every body into Lua, which
-- costs wrk more CPU than the server spends on a cached page. Other modes count non-2xx only.
if mode == "login" then
  response = function(status, headers, body)
    if status >= 500 then
      s5 = s5 + 1
      if status == 503 then s503 = s503 + 1 end
    elseif status >= 400 then s4 = s4 + 1
    elseif status >= 300 then s3 = s3 + 1
    else s2 = s2 + 1 end
  end
end

done = function(summary, latency, requests)
  local t = {s2 = 0, s3 = 0, s4 = 0, s5 = 0, s503 = 0}
  for k, _ in pairs(t) do
    for _, thread in ipairs(threads) do t[k] = t[k] + thread:get(k) end
    if mode ~= "login" then t[k] = -1 end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d socket_errors=%d timeouts=%d s2xx=%d s3xx=%d s4xx=%d s5xx=%d s503=%d "
    .. "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout, e.timeout,
    t.s2, t.s3, t.s4, t.s5, t.s503,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
