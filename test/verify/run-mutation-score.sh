#!/usr/bin/env bash
# run-mutation-score.sh OUT_DIR MOAT MUTATE ROOT [MUTATE_ARGS...]
#
# The mutation score (docs/verify.md "Mutation score"): builds honest
# objects into OUT_DIR and runs MUTATE (test/verify/mutate.c) over them.
# The objects, each at -O0, -O2 and -O3 (`moat compile -j1`):
#   test/verify/honest.wat, hoisted.wat          (wat2wasm)
#   a few spec modules: the valid modules of SPEC_WASTS below, from
#     ../shared/spec-testsuite (wast2json), those under 2 KB
#   bench/kernels: KERNELS below, the default group's clang-19 flags
#     (bench/kernels/bench), plus --export-all so that every function is
#     kept
# MOAT_MUTATE_KERNELS="K ...": other kernels (meson passes "fib sieve" to a
# sanitizer build, where each check is about 15 times slower).
# MOAT_MUTATE_ALL=1: every valid module of SPEC_WASTS and every kernel
# (about 10 times the work: docs/verify.md has its numbers).
# The .wasm files are cached in OUT_DIR (rebuilt when a source is newer);
# the objects are remade when MOAT is newer. A missing tool (wast2json,
# clang-19) fails the test: CI has them (scripts/deps.sh).
set -euo pipefail

[ $# -ge 4 ] || { echo "usage: $0 OUT_DIR MOAT MUTATE ROOT [ARGS...]" >&2
                  exit 2; }
out=$1 moat=$2 mutate=$3 root=$4
shift 4
spec=$root/../shared/spec-testsuite
SPEC_WASTS="address call_indirect br_table func_ptrs memory_trap"
KERNELS=${MOAT_MUTATE_KERNELS:-fib crc32 hashmap sort indirect sieve memmove}
all=${MOAT_MUTATE_ALL:-0}
mkdir -p "$out/wasm" "$out/obj" "$out/json"

# newer SRC DST: true when DST is missing or older than SRC
newer() { [ ! -e "$2" ] || [ "$1" -nt "$2" ]; }

for w in honest hoisted; do
    src=$root/test/verify/$w.wat
    newer "$src" "$out/wasm/$w.wasm" &&
        wat2wasm "$src" -o "$out/wasm/$w.wasm"
done
for w in $SPEC_WASTS; do
    src=$spec/$w.wast
    [ -f "$src" ] || { echo "$0: missing $src" >&2; exit 1; }
    if newer "$src" "$out/json/$w.json"; then
        wast2json "$src" -o "$out/json/$w.json" >/dev/null
        for m in "$out/json/$w".*.wasm; do
            if "$moat" validate "$m" >/dev/null 2>&1; then
                cp -- "$m" "$out/wasm/spec-${m##*/}"
            fi
        done
    fi
done
flags=(--target=wasm32 -O2 -mbulk-memory -mnontrapping-fptoint
       -ffp-contract=off -fno-math-errno -nostdlib -Wl,--no-entry
       -msimd128 -Wl,--export-all -w)
for c in "$root"/bench/kernels/*.c; do
    k=$(basename "$c" .c)
    case $k in driver | wasm2c_driver) continue ;; esac
    [ "$all" = 1 ] || [[ " $KERNELS " == *" $k "* ]] || continue
    newer "$c" "$out/wasm/kernel-$k.wasm" &&
        clang-19 "${flags[@]}" "$c" -o "$out/wasm/kernel-$k.wasm"
done
objs=()
for w in "$out"/wasm/*.wasm; do
    b=$(basename "$w" .wasm)
    case $b in
    spec-*) [ "$all" = 1 ] || [ "$(stat -c %s "$w")" -le 2048 ] || continue ;;
    kernel-*) [ "$all" = 1 ] || [[ " $KERNELS " == *" ${b#kernel-} "* ]] ||
                  continue ;;
    esac
    for o in 0 2 3; do
        obj=$out/obj/$b-O$o.o
        if newer "$moat" "$obj" || newer "$w" "$obj"; then
            "$moat" compile -j1 -O$o "$w" -o "$obj"
        fi
        objs+=("$obj")
    done
done
echo "$0: ${#objs[@]} honest objects in $out/obj"
exec "$mutate" "$@" "${objs[@]}"
