-- wrk script for load.sh: round-robin over pages x personas, stop each thread after its share
-- of requests, count non-200s, bypasses and responses whose (x-vitrine, body length) pair is
-- not one of the expected pairs recorded before the load. Config is read from load.conf.lua.
local conf = dofile(os.getenv("LOAD_CONF"))
local threads = {}
-- Globals (not locals): done() reads them from each thread with thread:get().
counter, done_n, bad_status, bypass, unexpected = 0, 0, 0, 0, 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = id * 7919 -- threads start at different points of the cycle
end

function request()
  counter = counter + 1
  local path = conf.paths[(counter % #conf.paths) + 1]
  local cookie = conf.cookies[(math.floor(counter / #conf.paths) % #conf.cookies) + 1]
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  done_n = done_n + 1
  if status ~= 200 then bad_status = bad_status + 1 end
  local xv = "none"
  if conf.vitrine then
    xv = headers["x-vitrine"] or headers["X-Vitrine"] or "none"
    if string.sub(xv, 1, 6) == "bypass" or xv == "none" then bypass = bypass + 1 end
  end
  if not conf.expected[xv .. "#" .. #body] then unexpected = unexpected + 1 end
  if done_n == conf.per_thread then
    -- wrk waits out -d even after every thread stopped: tell load.sh, which sends SIGINT.
    local f = io.open(os.getenv("LOAD_DONE_DIR") .. "/thread-" .. id, "w")
    if f then f:close() end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local n, s, b, u = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    n = n + t:get("done_n"); s = s + t:get("bad_status")
    b = b + t:get("bypass"); u = u + t:get("unexpected")
  end
  io.write(string.format("LOAD responses=%d non200=%d bypass=%d unexpected=%d socket_errors=%d\n",
    n, s, b, u, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
