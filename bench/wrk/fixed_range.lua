-- One fixed Range header (RANGE, e.g. "bytes=0-1") on every request to FILE_PATH.
local path = os.getenv("FILE_PATH") or "/"
local range = os.getenv("RANGE") or "bytes=0-1"

function init(args)
  wrk.path = path
  wrk.headers["Range"] = range
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"bytes":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
