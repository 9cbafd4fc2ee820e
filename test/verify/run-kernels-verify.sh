#!/usr/bin/env bash
# run-kernels-verify.sh OUT_DIR MOAT VERIFY_CORPUS
#
# bench/kernels as honest objects for the checker (docs/verify.md,
# Evidence): builds every kernel of the default and scalar groups with the
# clang-19 flags of bench/kernels/bench (plus --export-all, so that every
# function is compiled), compiles each with `moat compile` at -O0, -O2 and
# -O3 into OUT_DIR and runs VERIFY_CORPUS --memory over the objects.
# Exits 77 without clang-19; else with VERIFY_CORPUS's status.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 OUT_DIR MOAT VERIFY_CORPUS" >&2; exit 2; }
out=$(realpath -m -- "$1"); moat=$2; corpus=$3
src=$(dirname "$0")/../../bench/kernels
command -v clang-19 >/dev/null || { echo "skipped: clang-19 missing"; exit 77; }
flags=(--target=wasm32 -O2 -mbulk-memory -mnontrapping-fptoint
       -ffp-contract=off -fno-math-errno -nostdlib -Wl,--no-entry
       -Wl,--export-all -w)
mkdir -p "$out"; list=$out/objects.txt; : > "$list"
for c in "$src"/*.c "$src"/scalar/*.c; do
    n=$(basename "$c" .c)
    case $n in driver|wasm2c_driver) continue ;; esac
    case $c in */scalar/*) g=s; extra=() ;; *) g=d; extra=(-msimd128) ;; esac
    w=$out/$g-$n.wasm
    clang-19 "${flags[@]}" "${extra[@]}" "$c" -o "$w"
    for O in 0 2 3; do
        "$moat" compile -O$O "$w" -o "$out/$g-$n.O$O.o" >/dev/null
        echo "$out/$g-$n.O$O.o" >> "$list"
    done
done
"$corpus" --memory -l "$list"
