-- wrk script: fill a different open answer with every request, as the logged-in bench member.
-- bench/run.py appends this to report.lua and passes, after `--`: a file of answer ids (one a line),
-- the Cookie header (session and CSRF cookies), the CSRF token, and the URL-encoded answer text.
-- Each wrk thread takes every n-th id, so no answer is filled twice; a thread whose ids run out
-- stops (and the result says `exhausted`) rather than measure 409 conflicts.

local ids = {}
local next_id = 1
local headers = {}
local body = ""

function init(args)
  local thread_count = tonumber(args[5])
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % thread_count == thread_index then
      table.insert(ids, line)
    end
    line_number = line_number + 1
  end
  headers["Cookie"] = args[2]
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  body = "csrfmiddlewaretoken=" .. args[3] .. "&version=1&body=" .. args[4]
end

function request()
  if next_id > #ids then
    exhausted = true
    wrk.thread:stop()
    -- Something must be returned; the stopped thread reads no response to it.
    return wrk.format("GET", "/bench/noop/")
  end
  local id = ids[next_id]
  next_id = next_id + 1
  return wrk.format("POST", "/answers/" .. id .. "/fill/", headers, body)
end
