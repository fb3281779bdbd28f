-- wrk script: a different search with every request, so none is answered from a cache of pages:
-- what a search costs when the app has not seen the query before.
-- bench/run.py appends this to report.lua and passes, after `--`: a file of request paths (one a
-- line, already URL-encoded) and the thread count. Each wrk thread takes every n-th path; a thread
-- that has sent all its paths starts over (and the result says `exhausted`: repeats may be cached).

local paths = {}
local next_path = 1

function init(args)
  local thread_count = tonumber(args[2])
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % thread_count == thread_index then
      table.insert(paths, line)
    end
    line_number = line_number + 1
  end
end

function request()
  local path = paths[next_path]
  next_path = next_path + 1
  if next_path > #paths then
    exhausted = true
    next_path = 1
  end
  return wrk.format("GET", path)
end
