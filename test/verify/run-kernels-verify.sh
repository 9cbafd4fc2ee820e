#!/usr/bin/env bash
# run-kernels-verify.sh OUT_DIR MOAT VERIFY_CORPUS [--provable]
#
# bench/kernels as honest objects for the checker (docs/verify.md,
# Evidence): builds every kernel of the default and scalar groups with the
# clang-19 flags of bench/kernels/bench (plus --export-all, so that every
# function is compiled), compiles each with `moat compile` at -O0, -O2 and
# -O3 into OUT_DIR and runs VERIFY_CORPUS --memory over the objects.
# Exits 77 without clang-19; else with VERIFY_CORPUS's status.
#
# --provable (the test verify/kernels-provable): compiles at -O2 and -O3
# with `moat compile --provable` instead and requires the flow rules
# (memory, indirect-call, stack) to prove every function of every object:
# prints each object with an unproven function, then `N passed, N failed`
# (objects); exit 1 when one failed.
set -euo pipefail

{ [ $# -eq 3 ] || { [ $# -eq 4 ] && [ "$4" = --provable ]; }; } ||
    { echo "usage: $0 OUT_DIR MOAT VERIFY_CORPUS [--provable]" >&2; exit 2; }
out=$(realpath -m -- "$1"); moat=$2; corpus=$3
provable=${4:-}
src=$(dirname "$0")/../../bench/kernels
command -v clang-19 >/dev/null || { echo "skipped: clang-19 missing"; exit 77; }
flags=(--target=wasm32 -O2 -mbulk-memory -mnontrapping-fptoint
       -ffp-contract=off -fno-math-errno -nostdlib -Wl,--no-entry
       -Wl,--export-all -w)
levels="0 2 3"; cflags=()
[ -z "$provable" ] || { levels="2 3"; cflags=(--provable); }
mkdir -p "$out"; list=$out/objects.txt; : > "$list"
for c in "$src"/*.c "$src"/scalar/*.c; do
    n=$(basename "$c" .c)
    case $n in driver|wasm2c_driver) continue ;; esac
    case $c in */scalar/*) g=s; extra=() ;; *) g=d; extra=(-msimd128) ;; esac
    w=$out/$g-$n.wasm
    clang-19 "${flags[@]}" "${extra[@]}" "$c" -o "$w"
    for O in $levels; do
        "$moat" compile -O$O "${cflags[@]}" "$w" -o "$out/$g-$n.O$O.o" \
            >/dev/null
        echo "$out/$g-$n.O$O.o" >> "$list"
    done
done
[ -n "$provable" ] || exec "$corpus" --memory -l "$list"

# Every function proven by the three flow rules, object by object
# (`moat verify --memory` exits 1 on any violation and names each).
passed=0; failed=0
while read -r o; do
    if r=$("$moat" verify --memory "$o" 2>&1); then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $o:"; grep -v ' violations\?;' <<<"$r" | head -5
    fi
done < "$list"
echo "kernels with --provable at -O2/-O3, flow rules:" \
     "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
