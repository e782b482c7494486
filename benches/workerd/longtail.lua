-- wrk script of the long-tail bench (benches/workerd/longtail.sh; files from longtail.mjs).
--
-- LT_MODE=zipf (the load): each request picks a page by Zipf (s = LT_ZIPF_S, default 1.0) over
--   the pages of LT_PATHS (rank order; the CDF is computed once per thread at init, bounded by
--   LT_MAX_PAGES, and searched by bisection per request). A share LT_TRACKING (0.35) of requests
--   carries a tracking parameter unique to that request (gclid, fbclid, msclkid or
--   utm_source/medium/campaign; thread id + counter + random); about LT_PARAM (0.05) of all
--   requests, all on category pages, carry ?page=2..4 (a parameter that changes the page).
--   Personas (LT_PERSONAS: loyal, price_hunter, anonymous, tampered) go round-robin. Every
--   request is a browser navigation: Accept: text/html, Sec-Fetch-Mode: navigate,
--   Sec-Fetch-Dest: document. No response() callback: wrk counts non-2xx itself, and passing
--   100 KB bodies to Lua would cost wrk CPU on a machine it shares with the worker.
-- LT_MODE=firstview: every request is a distinct page, in id order, never repeated: the first
--   LT_FV_PAGES pages (default all), thread t of LT_THREADS taking pages t, t+T, ...; one
--   persona (LT_FV_PERSONA, default loyal), no parameters. A thread whose pages are all asked
--   for asks for /robots.txt (not a page: at most one per connection still waiting) and stops
--   once all its page responses are in, writing LT_DONE_DIR/thread-N (longtail.sh then stops
--   wrk, which would otherwise wait out -d). done() prints
--   "LTFV pages=<page responses> other=<robots responses> bad=<page responses not 200 text/html>
--   shared=<page responses vitrine spliced from a map another isolate shared (body=shared)>".
local mode = os.getenv("LT_MODE") or "zipf"
local threads = {}
-- Globals (not locals): done() reads them from each thread with thread:get().
n_req, n_track, n_param, n_pages, n_other, n_bad, n_issued, n_shared = 0, 0, 0, 0, 0, 0, 0, 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function lines(path)
  local t = {}
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in f:lines() do t[#t + 1] = line end
  f:close()
  return t
end

local paths, kinds, cdf, personas, fv_headers = {}, {}, {}, {}, nil
local N, T, share, tracking, p_param = 0, 1, 0, 0.35, 0
local done_written = false
-- wrk calls request() once on thread 0 at startup to check the script (script_verify_request)
-- and throws that request away: in firstview mode it must not use up a page.
local verifying = false

function init(args)
  local max = tonumber(os.getenv("LT_MAX_PAGES") or "1000000")
  for _, l in ipairs(lines(os.getenv("LT_PATHS"))) do
    local k, p = l:match("^(%a) (%S+)$")
    if k and #paths < max then kinds[#kinds + 1] = k; paths[#paths + 1] = p end
  end
  N = #paths
  assert(N > 0, "no pages in LT_PATHS")
  T = tonumber(os.getenv("LT_THREADS") or "1")
  tracking = tonumber(os.getenv("LT_TRACKING") or "0.35")
  local base = {
    ["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ["Accept-Language"] = "en-GB,en;q=0.9,de;q=0.7",
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    ["Sec-Fetch-Mode"] = "navigate",
    ["Sec-Fetch-Dest"] = "document",
    ["Sec-Fetch-Site"] = "none",
    ["Upgrade-Insecure-Requests"] = "1",
  }
  for _, l in ipairs(lines(os.getenv("LT_PERSONAS"))) do
    local name, cookie = l:match("^(%S+) (%S+)$")
    if name then
      local h = {}
      for k, v in pairs(base) do h[k] = v end
      if cookie ~= "-" then h["Cookie"] = cookie end
      personas[#personas + 1] = { name = name, headers = h }
    end
  end
  assert(#personas > 0, "no personas in LT_PERSONAS")
  math.randomseed(tonumber(os.getenv("LT_SEED") or os.time()) + id * 7919)
  verifying = (id == 0)
  if mode == "firstview" then
    local want = os.getenv("LT_FV_PERSONA") or "loyal"
    for _, p in ipairs(personas) do if p.name == want then fv_headers = p.headers end end
    assert(fv_headers, "no persona " .. want)
    local fv = math.min(N, tonumber(os.getenv("LT_FV_PAGES") or N))
    share = 0
    for i = id, fv - 1, T do share = share + 1 end
  else
    local s = tonumber(os.getenv("LT_ZIPF_S") or "1.0")
    local sum, csum = 0, 0
    for k = 1, N do sum = sum + 1 / k ^ s end
    for k = 1, N do
      local p = 1 / k ^ s / sum
      cdf[k] = sum > 0 and (k == 1 and p or cdf[k - 1] + p) or 1
      if kinds[k] == "c" then csum = csum + p end
    end
    cdf[N] = 1
    -- LT_PARAM of all requests, all of them on category pages.
    local want = tonumber(os.getenv("LT_PARAM") or "0.05")
    p_param = csum > 0 and math.min(1, want / csum) or 0
  end
end

local function zipf()
  local r = math.random()
  local lo, hi = 1, N
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < r then lo = mid + 1 else hi = mid end
  end
  return lo
end

local function tracking_param()
  local u = string.format("%d%07d%08x", id, n_req, math.random(0, 0x7fffffff))
  local which = n_req % 4
  if which == 0 then return "gclid=Cj0KCQiA" .. u .. "_BwE"
  elseif which == 1 then return "fbclid=IwAR" .. u
  elseif which == 2 then return "msclkid=" .. u
  else return "utm_source=google&utm_medium=cpc&utm_campaign=spring_" .. u end
end

function request()
  n_req = n_req + 1
  if mode == "firstview" then
    if verifying then
      verifying = false
      return wrk.format("GET", paths[id + 1], fv_headers)
    end
    if n_issued < share then
      local i = id + n_issued * T -- 0-based page index
      n_issued = n_issued + 1
      return wrk.format("GET", paths[i + 1], fv_headers)
    end
    return wrk.format("GET", "/robots.txt", fv_headers)
  end
  local k = zipf()
  local url = paths[k]
  local q = nil
  if kinds[k] == "c" and math.random() < p_param then
    q = "page=" .. math.random(2, 4)
    n_param = n_param + 1
  end
  if math.random() < tracking then
    q = (q and (q .. "&") or "") .. tracking_param()
    n_track = n_track + 1
  end
  if q then url = url .. "?" .. q end
  local p = personas[((n_req + id) % #personas) + 1]
  return wrk.format("GET", url, p.headers)
end

if mode == "firstview" then
  function response(status, headers, body)
    local ct = headers["Content-Type"] or headers["content-type"] or ""
    if ct:sub(1, 10) == "text/plain" then
      n_other = n_other + 1
    else
      n_pages = n_pages + 1
      if status ~= 200 or ct:sub(1, 9) ~= "text/html" then n_bad = n_bad + 1 end
      -- How vitrine built the body (x-vitrine ends with "; body=<how>"): shared first views.
      local how = (headers["x-vitrine"] or headers["X-Vitrine"] or ""):match("; body=(%a+)$")
      if how == "shared" then n_shared = n_shared + 1 end
    end
    -- All page responses are in (or something is wrong: far more robots than connections).
    if (n_pages >= share or n_other > 1000) and not done_written then
      done_written = true
      local f = io.open((os.getenv("LT_DONE_DIR") or "/tmp") .. "/thread-" .. id, "w")
      if f then f:close() end
      wrk.thread:stop()
    end
  end
elseif os.getenv("LT_TALLY") == "1" then
  -- Diagnostic only (longtail.sh TALLY=1): how vitrine built each body, counted from
  -- x-vitrine's "body=" and Server-Timing's page;desc. Costs wrk CPU on the shared machine.
  tally = {}
  function response(status, headers, body)
    local how = (headers["x-vitrine"] or headers["X-Vitrine"] or ""):match("; body=(%a+)$") or "none"
    local page = (headers["server-timing"] or headers["Server-Timing"] or ""):match('page;desc="(%a+)"') or "-"
    local key = how .. "/" .. page
    tally[key] = (tally[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local req, track, param, pages, other, bad, shared = 0, 0, 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    req = req + t:get("n_req"); track = track + t:get("n_track"); param = param + t:get("n_param")
    pages = pages + t:get("n_pages"); other = other + t:get("n_other"); bad = bad + t:get("n_bad")
    shared = shared + t:get("n_shared")
  end
  if os.getenv("LT_TALLY") == "1" and mode ~= "firstview" then
    local all, sum = {}, 0
    for _, t in ipairs(threads) do
      for k, n in pairs(t:get("tally") or {}) do all[k] = (all[k] or 0) + n; sum = sum + n end
    end
    local keys = {}
    for k in pairs(all) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return all[a] > all[b] end)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = string.format("%s=%d(%.1f%%)", k, all[k], 100 * all[k] / sum) end
    io.write("LTTALLY " .. table.concat(parts, " ") .. "\n")
  end
  if mode == "firstview" then
    io.write(string.format("LTFV pages=%d other=%d bad=%d shared=%d\n", pages, other, bad, shared))
  else
    io.write(string.format("LTMIX generated=%d tracking=%d page_param=%d\n", req, track, param))
  end
end
