-- One wrk script for every load in benches/compare.sh, configured by environment variables:
--   BENCH_METHOD   GET (default), POST, ...
--   BENCH_PATH     the request path; "%NAME%" in it is replaced per request (see below)
--   BENCH_BODY     optional body; "%NAME%" replaced likewise
--   BENCH_AUTH     optional "Header-Name: value" (the bearer token or X-Vault-Token)
--   BENCH_NAMES    with %NAME%: how many names each thread cycles through (default 200); names are
--                  "<prefix><thread>_<n>" so that two threads never write the same name at once
--   BENCH_PREFIX   the name prefix (default "ROT_")
-- Without %NAME% every request is the same: a rotation body with a fixed name makes every
-- connection rotate that one name at once (compare.sh's "P2, one name").
-- At the end one machine-readable line is printed:
--   WRKRESULT <requests> <seconds> <p50 µs> <p99 µs> <non-2xx> <socket errors>

-- An empty variable counts as unset.
local function env(name)
  local v = os.getenv(name)
  if v == "" then return nil end
  return v
end

local method = env("BENCH_METHOD") or "GET"
local path = env("BENCH_PATH") or "/"
local body = env("BENCH_BODY")
local auth = env("BENCH_AUTH")
local names = tonumber(env("BENCH_NAMES") or "200")
local prefix = env("BENCH_PREFIX") or "ROT_"
local templated = string.find(path, "%NAME%", 1, true) or (body and string.find(body, "%NAME%", 1, true))

local headers = {}
if auth then
  local k, v = string.match(auth, "^([^:]+):%s*(.*)$")
  headers[k] = v
end
if body then
  headers["Content-Type"] = "application/json"
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local counter = 0

local function fill(s, name)
  if s == nil then return nil end
  return (string.gsub(s, "%%NAME%%", name))
end

if templated then
  function request()
    counter = counter + 1
    local name = prefix .. tostring(thread_id) .. "_" .. tostring(counter % names)
    return wrk.format(method, fill(path, name), headers, fill(body, name))
  end
else
  wrk.method = method
  wrk.path = path
  wrk.body = body
  for k, v in pairs(headers) do wrk.headers[k] = v end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKRESULT %d %.3f %d %d %d %d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
