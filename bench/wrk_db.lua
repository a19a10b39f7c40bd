-- wrk script for bench/db_bench.py: requests that are all different (no cache can answer them), or
-- one request repeated.
-- BENCH_MODE  ids     one feature by id, ids uniform in [BENCH_ID_MIN, BENCH_ID_MAX]
--             bboxes  a page of up to 100 features in a random 0.2-degree box in Kalimantan Tengah
--             one     one feature, always the same (BENCH_ID_MIN)
--             page    one page, always the same (the city bbox of bench/RESULTS.md's case a)
-- BENCH_PREFIX the collection's items path (Pantau's or tipg's)
local mode = os.getenv("BENCH_MODE") or "ids"
local prefix = os.getenv("BENCH_PREFIX")
local id_min = tonumber(os.getenv("BENCH_ID_MIN") or "1")
local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "1")
local threads = {}
id = 0

setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

init = function(args)
  math.randomseed(os.time() * 16 + id)
end

request = function()
  if mode == "ids" then
    return wrk.format("GET", prefix .. "/" .. math.random(id_min, id_max))
  elseif mode == "one" then
    return wrk.format("GET", prefix .. "/" .. id_min)
  elseif mode == "page" then
    return wrk.format("GET", prefix .. "?bbox=113.8,-2.3,114.0,-2.1&limit=100")
  end
  local x = 111.0 + math.random() * 4.3
  local y = -3.3 + math.random() * 3.0
  return wrk.format("GET", string.format("%s?bbox=%.4f,%.4f,%.4f,%.4f&limit=100", prefix, x, y, x + 0.2, y + 0.2))
end
