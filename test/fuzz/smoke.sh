#!/usr/bin/env bash
# smoke.sh BUILD_DIR [SECONDS]
#
# A short libFuzzer run over decode + validate, for `meson test --suite fuzz`:
# builds BUILD_DIR/fuzz/fuzz_validate (build-fuzz.sh; rebuilt only when a
# source is newer than the binary), seeds BUILD_DIR/fuzz/seed from the spec
# tests (seed-corpus.sh; redone only when a .wast is newer), then fuzzes a
# throw-away copy of the seeds for SECONDS (default 30). Prints libFuzzer's
# final stats; exits non-zero on a crash, leak, timeout or OOM, whose input is
# kept in BUILD_DIR/fuzz/artifacts/. The long run is in docs/fuzzing.md.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $prog BUILD_DIR [SECONDS]"
here=$(realpath -- "$(dirname "$0")")
root=$(realpath -- "$here/../..")
wast_dir=$root/../shared/spec-testsuite
work=$(realpath -m -- "$1/fuzz")
secs=${2:-30}
bin=$work/fuzz_validate
seed=$work/seed
mkdir -p "$work" "$work/artifacts"

# newer REF PATH...: true if REF is missing or a file under PATH is newer.
newer() {
    local ref=$1
    shift
    [ -e "$ref" ] || return 0
    [ -n "$(find "$@" -type f -newer "$ref" -print -quit 2>/dev/null)" ]
}

if newer "$bin" "$root/frontend" "$root/runtime" "$root/include" \
        "$here/fuzz_validate.c" "$here/build-fuzz.sh"; then
    "$here/build-fuzz.sh" "$work"
else
    printf '%s: %s is up to date\n' "$prog" "$bin"
fi

if newer "$seed.stamp" "$wast_dir" "$here/seed-corpus.sh"; then
    rm -rf -- "$seed" "$seed.stamp"
    "$here/seed-corpus.sh" "$seed.tmp" "$wast_dir"
    mv -- "$seed.tmp" "$seed"
    touch -- "$seed.stamp"
else
    printf '%s: seed corpus %s is up to date\n' "$prog" "$seed"
fi

run=$(mktemp -d "$work/run.XXXXXX")
trap 'rm -rf -- "$run"' EXIT
mkdir "$run/corpus"
cp -- "$seed"/* "$run/corpus/"

printf '%s: fuzzing %d seeds for %s s\n' "$prog" \
    "$(find "$run/corpus" -type f | wc -l)" "$secs"
touch "$run/start"
status=0
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -dict="$here/wasm.dict" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$run/corpus" >"$run/log" 2>&1 ||
    status=$?

if [ "$status" -ne 0 ]; then
    tail -n 80 "$run/log"
    printf '%s: FAILED: libFuzzer exited with %d; new reproducers:\n' \
        "$prog" "$status" >&2
    find "$work/artifacts" -type f -newer "$run/start" >&2
    exit 1
fi
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done |^stat::' "$run/log"
printf '%s: ok, no crashes\n' "$prog"
