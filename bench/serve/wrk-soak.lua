-- wrk-soak.lua - bench/serve/soak.sh's mixed traffic: each request is,
-- by weight, GET /hello (49%), POST /sha256 of a 4 KiB body (49%), GET
-- /trap (1%: a handler that traps) or GET /loop (1%: a handler that never
-- ends, stopped by the server's deadline).
--   wrk ... -s wrk-soak.lua http://HOST:PORT -- SHA256_HEX_OF_THE_BODY
-- wrk does not say which request a response answers (connections
-- interleave), so responses are classified by what they are: "hello-ok"
-- (200, "Hello, world"), "sha256-ok" (200, the right digest), "500",
-- "504", or "other-STATUS" (anything else: a wrong body, another status).
-- done() prints "SENT PATH N" per path, "GOT CLASS N" per class and the
-- usual RESULT line of wrk-report.lua.

local body = string.rep("0123456789abcdef", 256)
local paths = {"/hello", "/sha256", "/trap", "/loop"}
local weights = {49, 49, 1, 1}
local reqs = {}
local want_hex
sent, got = {}, {}

function init(args)
   want_hex = args[1] or ""
   math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6))
   for _, p in ipairs(paths) do
      if p == "/sha256" then
         reqs[p] = wrk.format("POST", p,
            {["Content-Type"] = "application/octet-stream"}, body)
      else
         reqs[p] = wrk.format("GET", p)
      end
   end
end

function request()
   local r, acc = math.random(100), 0
   for i, w in ipairs(weights) do
      acc = acc + w
      if r <= acc then
         sent[paths[i]] = (sent[paths[i]] or 0) + 1
         return reqs[paths[i]]
      end
   end
end

function response(status, headers, b)
   local class
   if status == 200 and b == "Hello, world\n" then
      class = "hello-ok"
   elseif status == 200 and b == want_hex .. "\n" then
      class = "sha256-ok"
   elseif status == 500 or status == 504 then
      class = tostring(status)
   else
      class = "other-" .. status
   end
   got[class] = (got[class] or 0) + 1
end

local threads = {}
function setup(thread)
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local s, g = {}, {}
   for _, t in ipairs(threads) do
      for k, v in pairs(t:get("sent")) do s[k] = (s[k] or 0) + v end
      for k, v in pairs(t:get("got")) do g[k] = (g[k] or 0) + v end
   end
   for k, v in pairs(s) do io.write(string.format("SENT %s %d\n", k, v)) end
   for k, v in pairs(g) do io.write(string.format("GOT %s %d\n", k, v)) end
   local e = summary.errors
   io.write(string.format(
      "RESULT rps=%.1f p50_us=%d p99_us=%d p999_us=%d requests=%d " ..
      "non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
      summary.requests / (summary.duration / 1e6), latency:percentile(50),
      latency:percentile(99), latency:percentile(99.9), summary.requests,
      e.status, e.connect, e.read, e.write, e.timeout))
end
