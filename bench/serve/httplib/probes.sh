#!/bin/sh
# probes.sh - the behaviour checks behind RESULTS.md's comparison: header
# limits and chunked request bodies on the three servers (caps.py), and
# when libmicrohttpd accepts MHD_queue_response (mhd_queue_probe.c).
# Run after run.sh (it builds the servers).
set -eu
cd "$(dirname "$0")"
cc -O2 -std=gnu17 -Wall -Wextra -o mhd_queue_probe mhd_queue_probe.c \
    $(pkg-config --cflags --libs libmicrohttpd) -lpthread
port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
for b in mhd evhttp h2o; do
    p=$(port)
    "./$b" "$p" >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    echo "== $b"
    python3 caps.py "$p"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
done
p=$(port)
./mhd_queue_probe "$p" 2>probe.err &
pid=$!
sleep 0.5
echo "== mhd_queue_probe (POST, body in two parts; 'tried=0': MHD_NO)"
for path in /early /mid /suspmid /suspfinal /final; do
    python3 probe.py "$p" "$path"
done
echo "== GET /early twice with curl (is the connection kept?)"
curl -sv "http://127.0.0.1:$p/early" "http://127.0.0.1:$p/early" 2>&1 |
    grep -E '^< Connection|Re-using|Closing' || true
sleep 0.3
kill "$pid"
wait "$pid" 2>/dev/null || true
echo "== server log"
cat probe.err
rm -f probe.err
