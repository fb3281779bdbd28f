-- wrk script: print the run's results as one JSON line for bench/run.py.
-- wrk's own text rounds latencies and has no 95th percentile; latency:percentile() is exact.
-- Latencies are microseconds. The scripts appended to this one (fill.lua, pages.lua, search.lua)
-- read each wrk thread's `thread_index`, and done() reads whether any ran out of requests.

threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local exhausted = false
  for _, thread in ipairs(threads) do
    if thread:get("exhausted") then
      exhausted = true
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "exhausted": %s, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d}}\n',
    summary.requests, summary.duration, summary.bytes, tostring(exhausted),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99)
  ))
end
