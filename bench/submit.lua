-- wrk script: citizens submitting responses. Each request is a new citizen: a fresh v4
-- submission id, random answers to the eight questions of the government template, one of
-- the seeded links, and a source address from a pool (sent as X-Forwarded-For; the
-- benchmark runs the service with 127.0.0.1 as its trusted proxy).
--
-- Environment: BENCH_SLUGS (comma-separated link slugs), BENCH_SOURCES (pool size).

local slugs = {}
for slug in string.gmatch(os.getenv("BENCH_SLUGS") or "", "[^,]+") do
  slugs[#slugs + 1] = slug
end
local sources = tonumber(os.getenv("BENCH_SOURCES") or "5000")
local options = { "very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "dont_know" }
local questions = {
  "lawful_duty", "fair_enforcement", "government_openness", "efficiency", "work_style", "integrity", "overall",
}
local suggestions = { "窗口排队时间可以再短一些", "服务态度很好", "希望延长办公时间", "" }

local thread_counter = 0
function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_number", thread_counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
end

local function uuid4()
  local b = {}
  for i = 1, 16 do
    b[i] = math.random(0, 255)
  end
  b[7] = 64 + (b[7] % 16)
  b[9] = 128 + (b[9] % 64)
  return string.format("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", unpack(b))
end

function request()
  local parts = {}
  for i, question in ipairs(questions) do
    parts[i] = string.format('"%s":"%s"', question, options[math.random(#options)])
  end
  local suggestion = suggestions[math.random(#suggestions)]
  if suggestion ~= "" then
    parts[#parts + 1] = string.format('"suggestions":"%s"', suggestion)
  end
  local body = string.format('{"submission_id":"%s","answers":{%s}}', uuid4(), table.concat(parts, ","))
  local source = math.random(1, sources)
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(source / 65536) % 256, math.floor(source / 256) % 256, source % 256),
  }
  return wrk.format("POST", "/api/v1/public/surveys/" .. slugs[math.random(#slugs)] .. "/responses", headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout
  ))
end
