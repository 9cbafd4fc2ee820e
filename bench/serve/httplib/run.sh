#!/bin/sh
# run.sh - build the minimal servers and measure them (see RESULTS.md).
# Usage: bench/serve/httplib/run.sh [RUNS] [DURATION]   (defaults 2, 10s)
# Needs: cc, pkg-config, libmicrohttpd-dev, libevent-dev,
# libh2o-evloop-dev, wrk, python3, curl.
set -eu
cd "$(dirname "$0")"
RUNS=${1:-2}
DUR=${2:-10s}
CFLAGS="-O2 -std=gnu17 -Wall -Wextra"
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cc $CFLAGS -o mhd mhd.c $(pkg-config --cflags --libs libmicrohttpd) -lpthread
cc $CFLAGS -o evhttp evhttp.c $(pkg-config --cflags --libs libevent) -lpthread
cc $CFLAGS -DH2O_USE_LIBUV=0 -o h2o h2o.c \
    $(pkg-config --cflags --libs libh2o-evloop) -lpthread

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

SERVER_PID=
start() {       # start NAME ARGS... ; sets PORT, SERVER_PID
    PORT=$(free_port)
    name=$1; shift
    "./$name" "$PORT" "$@" >/dev/null 2>srv.err &
    SERVER_PID=$!
    i=0
    until curl -sf -o /dev/null "http://127.0.0.1:$PORT/hello"; do
        i=$((i + 1)); [ $i -lt 50 ] || { echo "$name did not start" >&2; exit 1; }
        sleep 0.1
    done
}
stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }

# the server's CPU time so far (user + system), in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# one wrk run -> "rps p50 p99 cpu_us_per_req errors". The server's CPU
# time per request is less disturbed by other work on the machine than
# rps and latency, which depend on how much CPU the server gets.
bench() {
    t0=$(cpu_ticks)
    wrk -t2 -c"$1" -d"$DUR" --latency "http://127.0.0.1:$PORT/hello" >wrk.out
    t1=$(cpu_ticks)
    awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
         / requests in / {n=$1}
         /Requests\/sec/ {rps=$2}
         $1=="50%" {p50=$2} $1=="99%" {p99=$2}
         /Socket errors/ {err=$0} /Non-2xx/ {err=err" "$0}
         END {printf "%s %s %s %.2f %s\n", rps, p50, p99,
              ticks * 1e6 / hz / n, (err==""?"-":err)}' wrk.out
}

# label | binary + arguments
CONFIGS="mhd:mhd direct
mhd-suspend:mhd suspend
mhd-mem8k:mhd direct 8192
evhttp:evhttp
h2o:h2o"

echo "date: $(date -u '+%F %T UTC')"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "config run conns rps p50 p99 cpu_us_per_req errors loadavg1"
for run in $(seq "$RUNS"); do
    echo "$CONFIGS" | while IFS=: read -r label cmd; do
        for c in 64 512; do
            start $cmd
            echo "$label $run $c $(bench $c) $(cut -d" " -f1 /proc/loadavg)"
            stop
        done
    done
done
echo "config run rss_before_kib rss_with_10k_idle_kib answered open server_fds"
for run in $(seq "$RUNS"); do
    echo "$CONFIGS" | while IFS=: read -r label cmd; do
        start $cmd
        echo "$label $run $(python3 idle.py "$PORT" 10000 "$SERVER_PID" 2>idle.err)"
        stop
    done
done
rm -f wrk.out srv.err idle.err
