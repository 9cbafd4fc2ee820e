-- wrk-report.lua - bench/serve's wrk script: at the end prints one
-- machine-readable line
--   RESULT rps=R p50_us=A p99_us=B p999_us=C requests=N non2xx=S
--          connect_err=E read_err=E write_err=E timeouts=T
-- (non2xx: wrk's status errors, i.e. responses >= 400). With the argument
-- "post" (wrk ... URL -- post) each request is a POST of a fixed 4 KiB
-- body: "0123456789abcdef" 256 times, whose SHA-256 run.sh checks.

function init(args)
   if args[1] == "post" then
      wrk.method = "POST"
      wrk.body = string.rep("0123456789abcdef", 256)
      wrk.headers["Content-Type"] = "application/octet-stream"
   end
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "RESULT rps=%.1f p50_us=%d p99_us=%d p999_us=%d requests=%d " ..
      "non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
      summary.requests / secs, latency:percentile(50),
      latency:percentile(99), latency:percentile(99.9), summary.requests,
      e.status, e.connect, e.read, e.write, e.timeout))
end
