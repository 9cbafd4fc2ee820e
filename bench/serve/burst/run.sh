#!/usr/bin/env bash
# run.sh MOAT SLEEP_WASM [N] - N (default 10,000) concurrent one-second
# requests against one `moat serve --workers 2`, driven by burst.c: one
# warm-up of 1,000, then three runs of N, then (PERF=0 skips it) one more
# run of N under `perf record -g` for two seconds of the request phase.
# SLEEP_WASM "build" compiles sleep.c with clang-19. Per run it reports
# wall and latencies (burst), the server's CPU (utime+stime from
# /proc/PID/stat, the whole run and the request phase alone) and its VmRSS
# (idle before, peak while sampling every 20 ms).
# bash, not sh: `read -t` on a silent descriptor is the 20 ms sleep of the
# sampler, without forking a sleep(1) fifty times a second on a loaded box.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: run.sh MOAT SLEEP_WASM|build [N]" >&2; exit 2; }
moat=$(realpath "$1")
wasm=$2
n=${3:-10000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/burst.XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -std=c17 -Wall -Wextra -o "$tmp/burst" "$here/burst.c"
if [ "$wasm" = build ]; then
    clang-19 --target=wasm32-wasi -O2 "$here/sleep.c" -o "$tmp/sleep.wasm"
    wasm=$tmp/sleep.wasm
fi
# The server raises its own limit too, but only up to this shell's hard one.
ulimit -n "$(ulimit -Hn)"
MOAT_CACHE_DIR=$tmp/cache "$moat" serve --listen 127.0.0.1:0 --workers 2 \
    --access-log none --route "/sleep=$wasm" 2>"$tmp/serve.log" &
pid=$!

exec 3<> <(:)   # nobody writes here: read -t on it is a fork-free sleep
nap() { read -r -t "$1" -u 3 _ || true; }

port=
for _ in $(seq 3000); do
    while read -r line; do
        if [[ $line =~ listening\ on\ http://127\.0\.0\.1:([0-9]+) ]]; then
            port=${BASH_REMATCH[1]}
        fi
    done <"$tmp/serve.log"
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
    nap 0.01
done
[ -n "$port" ] || { echo "run.sh: server did not listen" >&2; exit 1; }
hz=$(getconf CLK_TCK)

# Globals, not $(...): each command substitution would fork.
rss_now() {
    RSS=0
    local k v rest
    while read -r k v rest; do
        if [ "$k" = VmRSS: ]; then RSS=$v; return; fi
    done <"/proc/$pid/status"
}
cpu_now() {
    local f
    read -r -a f <"/proc/$pid/stat"   # comm "(moat)" has no blanks
    CPU=$((f[13] + f[14]))
}
# sampler STOPFILE OUTFILE: VmRSS every 20 ms until STOPFILE appears.
sampler() {
    local peak=0
    while [ ! -e "$1" ]; do
        rss_now
        if ((RSS > peak)); then peak=$RSS; fi
        nap 0.02
    done
    echo "$peak" >"$2"
}
# wait_for FILE WORD: until burst has printed WORD (or exited).
wait_for() {
    local l
    while kill -0 "$bpid" 2>/dev/null; do
        while read -r l; do [[ $l == *"$2"* ]] && return; done <"$1"
        nap 0.005
    done
}

rows=()
rss_now; idle0=$RSS   # before any request: pools still empty
# run_one LABEL COUNT [perf]
run_one() {
    local label=$1 count=$2 out=$tmp/out.$1 c0 c1 c2 idle peak
    nap 1   # let the previous run's connections close and memory settle
    echo "$label: $(uptime)"
    rss_now; idle=$RSS; cpu_now; c0=$CPU
    : >"$out"
    sampler "$tmp/stop.$label" "$tmp/peak.$label" &
    local spid=$!
    "$tmp/burst" -n "$count" -c 500 --host 127.0.0.1 --port "$port" \
        --path /sleep --timeout 60 --expect slept >"$out" 2>&1 &
    bpid=$!
    wait_for "$out" connect_s=
    cpu_now; c1=$CPU
    if [ "${3:-}" = perf ]; then
        perf record -q -g -p "$pid" -o "$tmp/perf.data" -- sleep 2 \
            >/dev/null 2>&1
    fi
    wait "$bpid" || true
    cpu_now; c2=$CPU
    touch "$tmp/stop.$label"
    wait "$spid"
    peak=$(<"$tmp/peak.$label")
    sed 's/^/  /' "$out"
    rows+=("$(awk -v l="$label" -v hz="$hz" -v c0="$c0" -v c1="$c1" \
        -v c2="$c2" -v idle="$idle" -v peak="$peak" -v n="$count" -v idle0="$idle0" '
        { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
        END {
            printf "%-7s %6d %6d %6.2f %6.2f %6.2f %6.2f %7.2f %7.2f %6.2f" \
                   "  %4d -> %4d MiB %6.1f %6.1f\n", l, n, v["ok"], v["wall_s"],
                   v["p50_s"], v["p99_s"], v["max_s"], (c2 - c0) / hz,
                   (c2 - c1) / hz, v["client_cpu_s"], idle / 1024,
                   peak / 1024, (peak - idle) / n, (peak - idle0) / n
        }' "$out")")
}

run_one warmup 1000
for r in 1 2 3; do run_one "run$r" "$n"; done
if [ "${PERF:-1}" != 0 ]; then run_one perf "$n" perf; fi

echo
echo "wall: first send to last reply; p50/p99/max: per request, send to EOF"
echo "srv cpu: whole run (connect + requests); req: request phase only"
echo "KiB/req: (peak - idle before the run) / n; /req0: (peak - idle at"
echo "server start, $((idle0 / 1024)) MiB) / n, which counts what pools keep"
printf "%-7s %6s %6s %6s %6s %6s %6s %7s %7s %6s  %-16s %6s %6s\n" run n ok \
    wall p50 p99 max srv_cpu req_cpu cl_cpu "rss idle -> peak" KiB/req \
    /req0
printf '%s\n' "${rows[@]}"
if [ -e "$tmp/perf.data" ]; then
    echo
    echo "server self time during 2 s of the perf run's request phase:"
    # Into files first: head closing the pipe early would kill perf, and
    # with pipefail the script.
    perf report -i "$tmp/perf.data" --no-children -g none --sort dso,sym \
        --stdio >"$tmp/by-sym" 2>/dev/null || true
    perf report -i "$tmp/perf.data" --no-children -g none --sort dso \
        --stdio >"$tmp/by-dso" 2>/dev/null || true
    grep -m 1 '^# Samples' "$tmp/by-sym" || true
    grep -E '^ +[0-9]' "$tmp/by-sym" | head -n 15 || true
    echo; echo "by object:"
    grep -E '^ +[0-9]' "$tmp/by-dso" | head -n 8 || true
    [ -z "${PERF_KEEP:-}" ] || cp "$tmp/perf.data" "$PERF_KEEP"
fi
grep -v 'listening on' "$tmp/serve.log" >"$tmp/serve.err" || true
if [ -s "$tmp/serve.err" ]; then
    echo; echo "server stderr:"; tail "$tmp/serve.err"
fi
