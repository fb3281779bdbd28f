-- wrk script: readers going round the benchmarked pages, each wrk thread from its own place in the
-- list, while bench/run.py's writer thread fills and edits answers (the "reading while writing" row).
-- bench/run.py appends this to report.lua and passes, after `--`: a file of request paths (one a
-- line, already URL-encoded) and the thread count.

local paths = {}
local next_path = 1

function init(args)
  for line in io.lines(args[1]) do
    table.insert(paths, line)
  end
  next_path = math.floor(thread_index * #paths / tonumber(args[2])) % #paths + 1
end

function request()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format("GET", path)
end
