-- Random ranges of RANGE_BYTES (default 1 MiB) inside a file of FILE_SIZE
-- bytes at URL path FILE_PATH; every request asks for a fresh offset.
local path = os.getenv("FILE_PATH") or "/"
local size = tonumber(os.getenv("FILE_SIZE") or "0")
local len = tonumber(os.getenv("RANGE_BYTES") or "1048576")
local span = size - len

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end

function request()
  local first = math.floor(math.random() * (span + 1))
  return wrk.format("GET", path, { ["Range"] = "bytes=" .. first .. "-" .. (first + len - 1) })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"bytes":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
