# common.sh - shell helpers of bench/serve's scripts (run.sh, soak.sh,
# openloop.sh): free ports, starting a server in its own process group
# and waiting for it, stopping it. Sourced, not run; safe under
# `set -euo pipefail`.

# A free loopback TCP port (the kernel's pick; free again once closed).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server LOG CMD...: runs CMD in a new session (so stop_server
# reaches its children: CGI programs, node workers); sets SERVER_PID.
start_server() {
    _log=$1
    shift
    : > "$_log"
    setsid "$@" > "$_log" 2>&1 &
    SERVER_PID=$!
}

# wait_listening LOG: the port from the "listening on http://HOST:PORT"
# line moat serve and node-server.mjs print once ready; fails after 30 s
# or when the server died.
wait_listening() {
    for _i in $(seq 300); do
        _port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$1" | head -n 1)
        if [ -n "$_port" ]; then
            echo "$_port"
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "server did not start; its log:" >&2
    cat "$1" >&2
    return 1
}

# wait_http URL: until the URL answers (lighttpd prints no ready line).
wait_http() {
    for _i in $(seq 300); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    return 1
}

# stop_server: SIGTERM to the server's process group, SIGKILL after 5 s.
stop_server() {
    [ -n "${SERVER_PID:-}" ] || return 0
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    for _i in $(seq 50); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    # what is left of the group (CGI programs, node workers)
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# The 4 KiB body of the sha256 requests, as wrk-report.lua sends it.
body4k() {
    _i=0
    while [ "$_i" -lt 256 ]; do
        printf 0123456789abcdef
        _i=$((_i + 1))
    done
}
