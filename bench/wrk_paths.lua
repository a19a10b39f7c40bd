-- wrk script for bench/distinct.py: walks a list of request paths (BENCH_PATHS, one per line), each
-- thread from its own starting point, so a run sends distinct requests rather than one URL repeated.
-- BENCH_AUTH: the Authorization header (empty: none). Prints one BENCH line, as wrk_report.lua does.
local auth = os.getenv("BENCH_AUTH")
local threads = {}
id, nthreads = 0, 1  -- per thread (each has its own Lua state)
local paths, pos = {}, 0

setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
  for _, t in ipairs(threads) do t:set("nthreads", #threads) end
end

init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    if line ~= "" then table.insert(paths, line) end
  end
  pos = math.floor(#paths * id / nthreads)
  if auth and auth ~= "" then
    wrk.headers["Authorization"] = auth
  end
end

request = function()
  pos = pos % #paths + 1
  return wrk.format("GET", paths[pos])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
