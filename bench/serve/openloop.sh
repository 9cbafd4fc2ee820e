#!/usr/bin/env bash
# openloop.sh - latency at a fixed offered load, 64 connections: h2load
# (Debian nghttp2-client) sends --rps requests a second on each
# connection whatever the answers take (open loop), and logs every
# request; the percentiles come from that log. A closed loop (wrk) at full
# speed measures queueing instead: with 64 requests always in flight its
# mean latency is 64 / throughput (Little's law), so a p99 goal needs a
# fixed rate. Servers: moat serve (wasm handlers), serve-native (the same
# server, handlers in-process), and libmicrohttpd alone
# (bench/serve/httplib/mhd.c: what the HTTP layer costs by itself).
#
#   bench/serve/openloop.sh BUILD [RATES] [DURATION]
#
# RATES: total requests a second (default "3200 6400 12800"), spread over
# the 64 connections; DURATION in s (default 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/serve/common.sh

BUILD=${1:?usage: openloop.sh BUILD [RATES] [DURATION]}
RATES=${2:-"3200 6400 12800"}
DURATION=${3:-10}
CONNS=64
B=$BUILD/bench/serve
OUT=$(mktemp -d /tmp/moat-openloop.XXXXXX)
trap 'stop_server; rm -rf "$OUT"' EXIT
command -v h2load >/dev/null || {
    echo "openloop: needs h2load (apt-get install nghttp2-client)" >&2
    exit 1
}
cc -O2 -o "$OUT/mhd" bench/serve/httplib/mhd.c \
    $(pkg-config --cflags --libs libmicrohttpd) -lpthread

# percentiles LOG: "p50 p99 p99.9 max n" in us (h2load's log: start,
# status, duration in us per request).
percentiles() {
    awk '$2 == 200 { print $3 }' "$1" | sort -n |
        awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "- - - - 0"; exit }
            i50 = int(NR * 0.50); i99 = int(NR * 0.99); i999 = int(NR * 0.999)
            if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1; if (i999 < 1) i999 = 1
            print v[i50], v[i99], v[i999], v[NR], NR }'
}

# measure NAME URL: one line per rate.
measure() {
    local name=$1 url=$2
    for rate in $RATES; do
        local per=$(( (rate + CONNS - 1) / CONNS )) log="$OUT/$name-$rate.log"
        rm -f "$log"
        h2load --h1 -c "$CONNS" -t 1 --rps "$per" -D "$DURATION" \
            --warm-up-time 2 --log-file "$log" "$url" > "$OUT/h2load.txt" 2>&1
        local bad
        bad=$(awk '$2 != 200' "$log" | wc -l)
        read -r p50 p99 p999 max n < <(percentiles "$log")
        printf '| %s | %d | %d | %s | %s | %s | %s | %d | %s |\n' \
            "$name" "$rate" "$n" "$p50" "$p99" "$p999" "$max" "$bad" \
            "$(cut -d' ' -f1 /proc/loadavg)"
    done
}

echo "openloop: $(date -u +%FT%TZ), $(nproc) cores, h2load $(h2load --version | sed -n 's/.*nghttp2\/\([0-9.]*\).*/\1/p'), $CONNS connections, ${DURATION}s per rate"
echo
echo '| server | offered req/s | answered | p50 us | p99 us | p99.9 us | max us | non-200 | load avg |'
echo '|---|---|---|---|---|---|---|---|---|'

export MOAT_CACHE_DIR=$OUT/cache
start_server "$OUT/moat.log" "$BUILD/moat" serve --listen 127.0.0.1:0 \
    --workers 2 --access-log none --route "/hello=$B/hello.wasm"
port=$(wait_listening "$OUT/moat.log")
measure moat "http://127.0.0.1:$port/hello"
stop_server

start_server "$OUT/native.log" "$B/serve-native" --listen \
    127.0.0.1:0 --workers 2 --access-log none --route /hello=native:hello
port=$(wait_listening "$OUT/native.log")
measure native "http://127.0.0.1:$port/hello"
stop_server

port=$(free_port)
start_server "$OUT/mhd.log" "$OUT/mhd" "$port"
wait_http "http://127.0.0.1:$port/hello"
measure mhd-alone "http://127.0.0.1:$port/hello"
stop_server
