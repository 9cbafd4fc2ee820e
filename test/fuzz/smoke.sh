#!/usr/bin/env bash
# smoke.sh BUILD_DIR [SECONDS] [MOAT]
#
# Short libFuzzer runs for `meson test --suite fuzz`. fuzz_wat (the text
# front-end) over the repository's .wat files. fuzz_validate (decode +
# validate): builds BUILD_DIR/fuzz/fuzz_validate (build-fuzz.sh; rebuilt only
# when a source is newer than the binary), seeds BUILD_DIR/fuzz/seed from the
# spec tests (seed-corpus.sh; redone only when a .wast is newer), then fuzzes
# a throw-away copy of the seeds for SECONDS (default 30). With MOAT (the
# `moat` executable), fuzz_load (the artifact loaders) the same way, seeded
# by seed-load.sh with objects and shared objects MOAT compiles (redone when
# MOAT is newer), and fuzz_verify (the machine-code checker) over the
# objects of those seeds. Prints libFuzzer's final stats; exits non-zero on a crash,
# leak, timeout or OOM, whose input is kept in BUILD_DIR/fuzz/artifacts/.
# The mutation seed is fixed (FUZZ_SEED, default 1) so that a CI run
# explores the same inputs every time and a failure reproduces: a smoke
# run is a regression check, not a search; the searching is done by the
# long runs in docs/fuzzing.md, whose finds become tests.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 3 ] || die "usage: $prog BUILD_DIR [SECONDS] [MOAT]"
here=$(realpath -- "$(dirname "$0")")
root=$(realpath -- "$here/../..")
wast_dir=$root/../shared/spec-testsuite
work=$(realpath -m -- "$1/fuzz")
secs=${2:-30}
moat=${3:-}
mkdir -p "$work" "$work/artifacts"

# newer REF PATH...: true if REF is missing or a file under PATH is newer.
newer() {
    local ref=$1
    shift
    [ -e "$ref" ] || return 0
    [ -n "$(find "$@" -type f -newer "$ref" -print -quit 2>/dev/null)" ]
}

# fuzz TARGET SEED_DIR [LIBFUZZER_ARGS...]: SECONDS over a copy of the seeds.
fuzz() {
    local bin=$work/$1 seed=$2 run status=0
    shift 2
    if newer "$bin" "$root/frontend" "$root/runtime" "$root/include" \
            "$root/verify" \
            "$here/${bin##*/}.c" "$here/build-fuzz.sh"; then
        "$here/build-fuzz.sh" "$work" "${bin##*/}"
    else
        printf '%s: %s is up to date\n' "$prog" "$bin"
    fi
    run=$(mktemp -d "$work/run.XXXXXX")
    mkdir "$run/corpus"
    cp -- "$seed"/* "$run/corpus/"
    printf '%s: fuzzing %d seeds with %s for %s s\n' "$prog" \
        "$(find "$run/corpus" -type f | wc -l)" "${bin##*/}" "$secs"
    touch "$run/start"
    "$bin" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@" \
        "$run/corpus" >"$run/log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        tail -n 80 "$run/log"
        printf '%s: FAILED: %s exited with %d; new reproducers:\n' \
            "$prog" "${bin##*/}" "$status" >&2
        find "$work/artifacts" -type f -newer "$run/start" >&2
        rm -rf -- "$run"
        return 1
    fi
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done |^stat::' "$run/log"
    rm -rf -- "$run"
    printf '%s: %s ok, no crashes\n' "$prog" "${bin##*/}"
}

seed=$work/seed
if newer "$seed.stamp" "$wast_dir" "$here/seed-corpus.sh"; then
    rm -rf -- "$seed" "$seed.stamp"
    "$here/seed-corpus.sh" "$seed.tmp" "$wast_dir"
    mv -- "$seed.tmp" "$seed"
    touch -- "$seed.stamp"
else
    printf '%s: seed corpus %s is up to date\n' "$prog" "$seed"
fi
failed=0 passed=0
if fuzz fuzz_validate "$seed" -dict="$here/wasm.dict"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

# fuzz_wat (the text front-end): seeded with the repository's .wat files
wseed=$work/seed-wat
rm -rf -- "$wseed"
mkdir -p "$wseed"
find "$root/test" -name '*.wat' -exec cp -t "$wseed" -- {} +
if fuzz fuzz_wat "$wseed"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

if [ -n "$moat" ]; then
    lseed=$work/seed-load
    if newer "$lseed.stamp" "$moat" "$here/seed-load.sh"; then
        rm -rf -- "$lseed" "$lseed.stamp" "$lseed.tmp"
        "$here/seed-load.sh" "$lseed.tmp" "$moat" "$wast_dir"
        mv -- "$lseed.tmp" "$lseed"
        touch -- "$lseed.stamp"
    else
        printf '%s: seed corpus %s is up to date\n' "$prog" "$lseed"
    fi
    if fuzz fuzz_load "$lseed"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    # fuzz_verify (the machine-code checker): the same objects, whole and
    # damaged, and random code written over one of them (the template)
    vseed=$work/seed-verify
    rm -rf -- "$vseed"
    mkdir -p "$vseed"
    cp -- "$lseed"/*.o "$vseed/"
    # sed, not head: it reads all, so sort gets no SIGPIPE (pipefail)
    tmpl=$(find "$vseed" -name '*.o' -size +2k | sort | sed -n 1p)
    if MOAT_FUZZ_VERIFY_TEMPLATE=$tmpl fuzz fuzz_verify "$vseed"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    echo "$passed passed, $failed failed"
else
    echo "$passed passed, $failed failed, 2 skipped (fuzz_load," \
        "fuzz_verify: no MOAT given)"
fi
[ "$failed" -eq 0 ]
