#!/usr/bin/env bash
# run-perf.sh MOAT SPIN.wasm - perf record + perf report on a CPU-bound
# guest run with `moat run --profile=perfmap` names the guest function
# (wasm[HASH]::hot); without --profile it cannot. Skips (77) when perf is
# missing or may not record here (perf_event_paranoid, no permission).
set -u
moat=$1 spin=$2
pass=0 fail=0
check() {   # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}

if ! command -v perf >/dev/null; then
    echo "skipped: perf is not installed (Debian: linux-perf)"; exit 77
fi
tmp=$(mktemp -d)
cleanup() {     # the maps of the processes recorded below, then the data
    for d in "$tmp"/*.data; do
        [ -f "$d" ] || continue
        for pid in $(perf script -i "$d" -F pid 2>/dev/null | sort -u); do
            rm -f "/tmp/perf-$pid.map"
        done
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
if ! why=$(perf record -q -o "$tmp/probe.data" -- true 2>&1); then
    echo "skipped: perf cannot record here" \
         "(perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)):"
    echo "$why" | head -3
    exit 77
fi

# report FILE: the symbols with their share, the guest's first
report() {
    perf report --stdio --sort sym -i "$1" 2>/dev/null | grep -v '^#' |
        grep -v '^$'
}

perf record -q -o "$tmp/on.data" -- "$moat" run --no-cache \
    --profile=perfmap "$spin" >/dev/null 2>"$tmp/on.err"
check "moat run under perf record (with --profile=perfmap)" test $? -eq 0
report "$tmp/on.data" >"$tmp/on.txt"
echo "--- perf report, --profile=perfmap:"; head -4 "$tmp/on.txt"
top=$(head -1 "$tmp/on.txt")
check "the hottest symbol is the guest's hot: '$top'" \
    grep -qE '^ *[0-9.]+%.*wasm\[[0-9a-f]{8}\]::hot$' <<<"$top"
pct=$(awk '{ sub("%", "", $1); print int($1) }' <<<"$top")
check "hot has most of the samples (${pct:-0}%)" test "${pct:-0}" -ge 50

perf record -q -o "$tmp/off.data" -- "$moat" run --no-cache \
    --profile=none "$spin" >/dev/null 2>&1
report "$tmp/off.data" >"$tmp/off.txt"
echo "--- perf report, --profile=none:"; head -2 "$tmp/off.txt"
check "without a map perf cannot name it" \
    bash -c "! grep -q 'wasm\[' '$tmp/off.txt'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
