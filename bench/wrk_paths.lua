-- wrk script for bench_http.py --client wrk: each thread cycles through its share of the request
-- paths (one per line of the file named in WRK_PATHS; thread k takes lines k, k+T, ...) for the
-- run's duration; done() prints one JSON line with the figures.
local threads = {}
local paths, n, sent = {}, 0, 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local k, i = tonumber(id), 0
  for line in io.lines(os.getenv("WRK_PATHS")) do
    if i % tonumber(os.getenv("WRK_THREADS")) == k then
      n = n + 1
      paths[n] = line
    end
    i = i + 1
  end
end

function request()
  sent = sent + 1
  return wrk.format("GET", paths[((sent - 1) % n) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "us": %d, "p50": %.3f, "p99": %.3f, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
