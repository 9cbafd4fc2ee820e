#!/usr/bin/env bash
# run-broken-lowering.sh KNOBS MOAT OUT_DIR WASM...
#
# Issue 11's "a deliberately broken lowering makes the suite fail": with
# MOAT_TEST_BREAK=table-bound, a compiler built with -Dtest_knobs=true
# (KNOBS=true) drops call_indirect's table bound check
# (llvm-lower/lower_call.c). Each WASM (it has a call_indirect through a
# table of pinned size, whose bound check the memory rule proves) is
# compiled at -O2 and -O3, honestly and broken: the honest object must
# pass `moat verify --memory`, the broken one must differ from it and be
# rejected by the memory rule (by `moat verify`, or by `moat compile`
# itself once it verifies its output). So a checker that stopped catching
# a dropped bound check fails this test. KNOBS=false: skipped (exit 77).
set -uo pipefail

[ $# -ge 4 ] || { echo "usage: $0 KNOBS MOAT OUT_DIR WASM..." >&2; exit 2; }
knobs=$1 moat=$2 out=$3
shift 3
if [ "$knobs" != true ]; then
    echo "skipped: built without -Dtest_knobs=true (scripts/test.sh sets it)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77
fi
mkdir -p "$out"
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }

for w in "$@"; do
    b=$(basename "$w" .wasm)
    for o in 2 3; do
        h=$out/$b-O$o.o m=$out/$b-O$o-broken.o
        rm -f -- "$h" "$m"
        if ! "$moat" compile -O$o "$w" -o "$h" >"$out/log" 2>&1; then
            bad "$b -O$o: the honest module does not compile"
            cat "$out/log"
            continue
        fi
        if "$moat" verify --memory "$h" >"$out/log" 2>&1; then
            ok "$b -O$o: the honest object passes verify --memory"
        else
            bad "$b -O$o: the honest object is rejected"
            cat "$out/log"
        fi
        if ! MOAT_TEST_BREAK=table-bound "$moat" compile -O$o "$w" -o "$m" \
                >"$out/log" 2>&1; then
            # a compile that verifies its output refuses it
            if grep -q "memory:" "$out/log"; then
                ok "$b -O$o: broken lowering refused by moat compile"
            else
                bad "$b -O$o: broken compile failed for another reason"
                cat "$out/log"
            fi
            continue
        fi
        if cmp -s "$h" "$m"; then
            bad "$b -O$o: MOAT_TEST_BREAK changed nothing (knob not built?)"
            continue
        fi
        "$moat" verify --memory "$m" >"$out/log" 2>&1
        st=$?
        if [ "$st" -eq 1 ] && grep -q ": memory: " "$out/log"; then
            ok "$b -O$o: broken lowering rejected: $(grep -m1 ': memory: ' \
                "$out/log")"
        else
            bad "$b -O$o: broken lowering NOT rejected (exit $st)"
            cat "$out/log"
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
