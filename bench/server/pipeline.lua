-- wrk script for the lsqld benchmark.
--
-- Every request is what @libsql/client sends for client.execute(): a POST
-- /v2/pipeline without a baton, [execute, close], so each request opens a
-- fresh Hrana stream and closes it. The statement is a point SELECT on the
-- seeded table t (ids 1..ROWS) with a random id.
--
-- Environment: LSQL_BENCH_ROWS (default 10000), LSQL_BENCH_TOKEN (optional
-- bearer token), LSQL_BENCH_PATH (default /v2/pipeline), LSQL_BENCH_METHOD
-- (POST; GET sends no body, used for /health).
-- done() prints one machine-readable line starting with "LSQL_RESULT ".

local rows = tonumber(os.getenv("LSQL_BENCH_ROWS") or "10000")
local token = os.getenv("LSQL_BENCH_TOKEN")
local path = os.getenv("LSQL_BENCH_PATH") or "/v2/pipeline"
local method = os.getenv("LSQL_BENCH_METHOD") or "POST"

local prefix = '{"requests":[{"type":"execute","stmt":{"sql":"SELECT * FROM t WHERE id = ?",' ..
               '"args":[{"type":"integer","value":"'
local suffix = '"}],"named_args":[],"want_rows":true}},{"type":"close"}]}'

local headers = { ["Content-Type"] = "application/json" }
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end

function setup(thread)
  thread:set("id", tostring(thread))
end

function init(args)
  -- a different random sequence per thread
  local seed = 0
  for i = 1, #id do seed = (seed * 31 + id:byte(i)) % 2147483647 end
  math.randomseed(os.time() + seed)
end

function request()
  if method == "GET" then
    return wrk.format("GET", path, headers, nil)
  end
  local body = prefix .. tostring(math.random(1, rows)) .. suffix
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'LSQL_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.1f,' ..
    '"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
