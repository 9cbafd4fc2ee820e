#!/bin/bash
# run.sh - bench/serve: `moat serve` against its three baselines on
# loopback (docs/bench-serve.md). Builds nothing: give it the build dir.
#   bench/serve/run.sh BUILD [DURATION]
# For each server in turn - moat (wasm routes), native (serve-native,
# in-process handlers: what the sandbox costs), cgi (lighttpd mod_cgi, a
# process per request), node (node:wasi, an instance per request) - it
# starts it on a free port, checks its answers (curl), warms it up, runs
# wrk for hello (GET) and sha256 (POST of 4 KiB) at each connection count
# and stops it; then prints one markdown table and the goals' ratios.
# Environment: DURATION (10s), CONNS ("64 512"), THREADS (wrk's, 2),
# WORKERS (moat serve --workers and node's workers, 2), WARMUP (3s),
# SERVERS ("moat native cgi node"), ROUNDS (1: the whole sequence again,
# the table keeps each cell's best run: on a shared machine the load
# drifts between servers), OUT (a directory for logs and raw results; a
# temp one by default), NODE (node).
# The machine has 2 cores: wrk and the server share them (no taskset),
# so every server's numbers include wrk's CPU use.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

build=$(cd "${1:?usage: run.sh BUILD [DURATION]}" && pwd)
DURATION=${2:-${DURATION:-10s}}
CONNS=${CONNS:-64 512}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
WARMUP=${WARMUP:-3s}
SERVERS=${SERVERS:-moat native cgi node}
ROUNDS=${ROUNDS:-1}
NODE=${NODE:-node}
OUT=${OUT:-$(mktemp -d /tmp/bench-serve.XXXXXX)}
mkdir -p "$OUT"
bin=$build/bench/serve
results=$OUT/results.txt
: > "$results"
trap 'stop_server' EXIT
export MOAT_CACHE_DIR=$OUT/cache

body4k > "$OUT/body4k"
want_sha=$(sha256sum < "$OUT/body4k" | cut -d' ' -f1)
# wrk's -c is per thread group; it needs at least one connection a thread
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# start NAME: starts the server NAME; sets PORT.
start() {
    case $1 in
    moat)
        start_server "$OUT/moat.log" "$build/moat" serve \
            --listen 127.0.0.1:0 --workers "$WORKERS" --access-log none \
            --route "/hello=$bin/hello.wasm" --route "/sha256=$bin/sha256.wasm"
        PORT=$(wait_listening "$OUT/moat.log") ;;
    native)
        start_server "$OUT/native.log" "$bin/serve-native" \
            --listen 127.0.0.1:0 --workers "$WORKERS" --access-log none \
            --route /hello=native:hello --route /sha256=native:sha256
        PORT=$(wait_listening "$OUT/native.log") ;;
    cgi)
        PORT=$(free_port)
        mkdir -p "$OUT/cgi-root"
        ln -sf "$bin/hello-cgi" "$OUT/cgi-root/hello"
        ln -sf "$bin/sha256-cgi" "$OUT/cgi-root/sha256"
        sed -e "s|@PORT@|$PORT|" -e "s|@DOCROOT@|$OUT/cgi-root|" \
            -e "s|@LOGDIR@|$OUT|" "$here/lighttpd.conf.in" > "$OUT/lighttpd.conf"
        start_server "$OUT/cgi.log" lighttpd -D -f "$OUT/lighttpd.conf"
        wait_http "http://127.0.0.1:$PORT/hello" ;;
    node)
        start_server "$OUT/node.log" "$NODE" --no-warnings --expose-gc \
            "$here/node-server.mjs" 0 --workers "$WORKERS" \
            "/hello=$bin/hello.wasm" "/sha256=$bin/sha256.wasm"
        PORT=$(wait_listening "$OUT/node.log") ;;
    esac
}

# check NAME: the server's answers are right (status, body).
check() {
    local url=http://127.0.0.1:$PORT got
    got=$(curl -s -w ' %{http_code}' "$url/hello")
    if [ "$got" != "Hello, world
 200" ]; then
        echo "$1: GET /hello: want 200 'Hello, world', got '$got'" >&2
        return 1
    fi
    got=$(curl -s -w ' %{http_code}' --data-binary @"$OUT/body4k" \
          -H 'Content-Type: application/octet-stream' "$url/sha256")
    if [ "$got" != "$want_sha
 200" ]; then
        echo "$1: POST /sha256: want 200 $want_sha, got '$got'" >&2
        return 1
    fi
}

# measure NAME HANDLER CONNS DURATION [warmup]: one wrk run; appends to
# results unless it is a warm-up.
measure() {
    local path=/$2 post= line
    [ "$2" = sha256 ] && post="-- post"
    line=$(wrk -t"$THREADS" -c"$3" -d"$4" --timeout 10s \
           -s "$here/wrk-report.lua" "http://127.0.0.1:$PORT$path" $post \
           2>&1 | tee -a "$OUT/wrk-$1.txt" | grep '^RESULT')
    # no RESULT line (wrk failed): zeros, and -1 socket errors to show it
    [ -n "$line" ] || line="RESULT rps=0 p50_us=0 p99_us=0 p999_us=0 \
requests=0 non2xx=0 connect_err=-1 read_err=0 write_err=0 timeouts=0"
    settle
    [ "${5:-}" = warmup ] && return 0
    echo "$1 $2 $3 ${line#RESULT }" >> "$results"
}

# settle: requests queued when wrk stopped (hundreds at 512 connections
# on a server that answers slowly) are served before the next run starts:
# waits for a GET to answer, then a second.
settle() {
    curl -s -o /dev/null --max-time 120 "http://127.0.0.1:$PORT/hello"
    sleep 1
}

for round in $(seq "$ROUNDS"); do
for s in $SERVERS; do
    echo "== $s (round $round of $ROUNDS)" >&2
    if ! start "$s" || ! check "$s"; then
        echo "$s: failed, skipped (logs in $OUT)" >&2
        stop_server
        continue
    fi
    for h in hello sha256; do
        measure "$s" "$h" 64 "$WARMUP" warmup
        for c in $CONNS; do
            measure "$s" "$h" "$c" "$DURATION"
            tail -n 1 "$results" >&2
        done
    done
    # the server must still be there after the load
    kill -0 "$SERVER_PID" 2>/dev/null || echo "$s: DIED during the run" >&2
    stop_server
done
done

echo "bench/serve: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
     "wrk -t$THREADS --timeout 10s for $DURATION, server workers $WORKERS," \
     "best of $ROUNDS round(s), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
     "wrk and server on the same cores; raw results in $results"
echo
awk -f "$here/table.awk" "$results"
