#!/usr/bin/env bash
# fuzz-smoke.sh BUILD_DIR MOAT [SECONDS]
#
# `meson test --suite fuzz`, test fuzz-zlib: builds fuzz_zlib
# (fuzz-zlib.sh, cached in BUILD_DIR/test/zlib), seeds it (seed-zlib.py)
# and fuzzes a throw-away copy of the seeds for SECONDS (default 20).
# Prints libFuzzer's final stats and `N passed, N failed`; a crash, leak,
# timeout or OOM fails, its input kept in BUILD_DIR/test/zlib/artifacts/.
# Exit 77 (skip, with the reason) when zlib's source cannot be fetched or
# clang-19 is missing. Long runs: docs/plugin-zlib.md.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
skip() {
    printf '%s: SKIP: %s\n' "$prog" "$*" >&2
    echo "0 passed, 0 failed, 1 skipped ($*)"
    exit 77
}

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $prog BUILD_DIR MOAT [SECONDS]"
here=$(realpath -- "$(dirname "$0")")
work=$(realpath -m -- "$1/test/zlib")
secs=${3:-20}
command -v "${CLANG:-clang-19}" >/dev/null 2>&1 ||
    skip "${CLANG:-clang-19} not found (libFuzzer needs clang)"
rc=0
bin=$("$here/fuzz-zlib.sh" "$work" "$2") || rc=$?
[ "$rc" -ne 77 ] || skip "zlib's source cannot be fetched"
[ "$rc" -eq 0 ] || die "fuzz-zlib.sh failed ($rc)"

mkdir -p "$work/artifacts"
run=$(mktemp -d "$work/run.XXXXXX")
trap 'rm -rf -- "$run"' EXIT
"$here/seed-zlib.py" "$run/corpus"
touch "$run/start"
status=0
"$bin" -max_total_time="$secs" -timeout=20 \
    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$run/corpus" >"$run/log" 2>&1 ||
    status=$?
if [ "$status" -ne 0 ]; then
    tail -n 60 "$run/log"
    printf '%s: FAILED: fuzz_zlib exited with %d; reproducers:\n' "$prog" \
        "$status" >&2
    find "$work/artifacts" -type f -newer "$run/start" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done |^stat::' "$run/log"
echo "1 passed, 0 failed"
