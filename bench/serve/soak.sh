#!/bin/bash
# soak.sh - bench/serve's soak of `moat serve` (docs/bench-serve.md):
# DURATION of mixed traffic (wrk-soak.lua: 49% hello, 49% sha256 of 4 KiB,
# 1% a trapping handler, 1% a looping one that the --timeout deadline
# ends), sampling the server's VmRSS, mappings (lines of /proc/PID/maps),
# threads and open descriptors every SAMPLE seconds into a CSV. Passes
# when the server is alive and answers at the end, its RSS and mappings
# at the end are within SLACK percent of their value after the first
# minute (WARM seconds), every response is the right one (hello and
# sha256 200 with the right body, trap 500, loop 504; none other) and
# wrk saw no socket errors.
#   bench/serve/soak.sh BUILD [DURATION_SECONDS]
# Environment: DURATION (600), CONNS (64), THREADS (2), WORKERS (2),
# DEADLINE (1s: moat serve --timeout), SAMPLE (10), WARM (60), SLACK
# (10), OUT (logs and the CSV; a temp directory by default).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

build=$(cd "${1:?usage: soak.sh BUILD [DURATION_SECONDS]}" && pwd)
DURATION=${2:-${DURATION:-600}}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
DEADLINE=${DEADLINE:-1s}
SAMPLE=${SAMPLE:-10}
WARM=${WARM:-60}
SLACK=${SLACK:-10}
OUT=${OUT:-$(mktemp -d /tmp/bench-serve-soak.XXXXXX)}
mkdir -p "$OUT"
bin=$build/bench/serve
csv=$OUT/soak.csv
export MOAT_CACHE_DIR=$OUT/cache
trap 'stop_server; [ -n "${wrk_pid:-}" ] && kill "$wrk_pid" 2>/dev/null' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null

body4k > "$OUT/body4k"
want_sha=$(sha256sum < "$OUT/body4k" | cut -d' ' -f1)
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

start_server "$OUT/server.log" "$build/moat" serve --listen 127.0.0.1:0 \
    --workers "$WORKERS" --timeout "$DEADLINE" --access-log none \
    --route "/hello=$bin/hello.wasm" --route "/sha256=$bin/sha256.wasm" \
    --route "/trap=$bin/trap.wasm" --route "/loop=$bin/loop.wasm"
port=$(wait_listening "$OUT/server.log") || exit 1
url=http://127.0.0.1:$port
pid=$SERVER_PID

# each route once, by hand: what the mix expects of it
for want in "hello 200" "trap 500" "loop 504"; do
    set -- $want
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/$1")
    [ "$code" = "$2" ] || bad "GET /$1: want $2, got $code"
done
got=$(curl -s --data-binary @"$OUT/body4k" "$url/sha256")
[ "$got" = "$want_sha" ] || bad "POST /sha256: want $want_sha, got '$got'"

sample() {
    local rss maps thr fds
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    thr=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    maps=$(wc -l < "/proc/$pid/maps" 2>/dev/null)
    fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    echo "$1,${rss:-0},${maps:-0},${thr:-0},$fds"
}

echo "seconds,rss_kib,maps,threads,fds" > "$csv"
sample 0 >> "$csv"
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s \
    -s "$here/wrk-soak.lua" "$url" -- "$want_sha" > "$OUT/wrk.txt" 2>&1 &
wrk_pid=$!
t0=$(date +%s)
while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep "$SAMPLE"
    if ! kill -0 "$pid" 2>/dev/null; then
        bad "the server died at $(( $(date +%s) - t0 )) s"
        break
    fi
    sample $(( $(date +%s) - t0 )) >> "$csv"
done
wait "$wrk_pid"
wrk_pid=

# alive, and still answering
kill -0 "$pid" 2>/dev/null || bad "the server is not running at the end"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/hello")
[ "$code" = 200 ] || bad "GET /hello after the soak: want 200, got $code"
sleep 2    # requests in flight when wrk stopped (loops) end
sample end >> "$csv"

# flat RSS and mappings: the end against the first sample after WARM s
warm=$(awk -F, -v w="$WARM" 'NR > 1 && $1 != "end" && $1 >= w { print; exit }' "$csv")
[ -n "$warm" ] || warm=$(sed -n 2p "$csv")
end=$(tail -n 1 "$csv")
for col in 2:rss_kib 3:maps; do
    i=${col%%:*}
    a=$(echo "$warm" | cut -d, -f"$i")
    b=$(echo "$end" | cut -d, -f"$i")
    growth=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (a > 0 ? 100 * (b - a) / a : 0) }')
    echo "${col#*:}: $a after warm-up (${warm%%,*} s), $b at the end: ${growth}%"
    awk -v g="$growth" -v s="$SLACK" 'BEGIN { exit !(g > s) }' &&
        bad "${col#*:} grew ${growth}% (> ${SLACK}%)"
done

# responses: each class against what was sent (requests still in flight
# when wrk stopped have no response: at most CONNS)
grep -E '^(SENT|GOT|RESULT)' "$OUT/wrk.txt"
n() {
    awk -v k="$1" -v c="$2" '$1 == k && $2 == c { print $3; f = 1 }
                             END { if (!f) print 0 }' "$OUT/wrk.txt"
}
for pair in /hello:hello-ok /sha256:sha256-ok /trap:500 /loop:504; do
    s=$(n SENT "${pair%%:*}")
    g=$(n GOT "${pair#*:}")
    if [ "$g" -gt "$s" ] || [ "$g" -lt $((s - CONNS)) ]; then
        bad "${pair%%:*}: sent $s, got $g answers '${pair#*:}'"
    fi
done
other=$(awk '$1 == "GOT" && $2 ~ /^other/ { n += $3 } END { print n + 0 }' "$OUT/wrk.txt")
[ "$other" -eq 0 ] || bad "$other unexpected responses (GOT other-*)"
errs=$(awk '/^RESULT/ { for (i = 2; i <= NF; i++) {
                           split($i, kv, "=")
                           if (kv[1] ~ /_err$|^timeouts$/) e = e " " kv[2] }
                       print substr(e, 2) }' "$OUT/wrk.txt")
[ "$errs" = "0 0 0 0" ] || bad "wrk socket errors (connect read write timeout): $errs"
echo "samples: $csv"
if [ "$fail" -eq 0 ]; then
    echo "soak: PASS (${DURATION} s)"
else
    echo "soak: FAIL ($fail problems)"
fi
[ "$fail" -eq 0 ]
