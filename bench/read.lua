-- wrk script: a GET of one path: another system reading a satisfaction report, or a citizen
-- opening a page.
-- Environment: BENCH_PATH (the path), BENCH_TOKEN (a bearer token, if the path needs one),
-- BENCH_COOKIE (a Cookie header: a console session), BENCH_ENCODING (an Accept-Encoding to
-- send, as browsers do).

local path = os.getenv("BENCH_PATH")
local headers = {}
if os.getenv("BENCH_TOKEN") then
  headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end
if os.getenv("BENCH_COOKIE") then
  headers["Cookie"] = os.getenv("BENCH_COOKIE")
end
if os.getenv("BENCH_ENCODING") then
  headers["Accept-Encoding"] = os.getenv("BENCH_ENCODING")
end

function request()
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout
  ))
end
