#!/usr/bin/env bash
# run-verify-programs.sh OUT_DIR MOAT VERIFY_CORPUS LEVELS FILE.wasm...
#
# Honest objects from whole programs (the WASI testsuite, bench/kernels,
# sqlite3, the real-world modules of bench/compile): compiles each FILE
# with `moat compile -OX -j1` for each X of LEVELS (e.g. "0 2 3") into
# OUT_DIR/OX/ (kept: a later run recompiles only what is older than its
# .wasm or MOAT), then runs VERIFY_CORPUS (the default rules) over the
# objects of each level and prints its counts. A module `moat validate`
# rejects is skipped and named; one that validates and does not compile
# is named and fails the run. Exit 1 when any object is rejected. Big
# modules take minutes at -O2/-O3: run it under `nice`, once.
set -euo pipefail

[ $# -ge 5 ] || { echo "usage: $0 OUT_DIR MOAT VERIFY_CORPUS LEVELS" \
                       "FILE.wasm..." >&2; exit 2; }
out=$(realpath -m -- "$1"); moat=$2; corpus=$3; levels=$4
shift 4
rc=0
for O in $levels; do
    mkdir -p "$out/O$O"
    list=$out/O$O/objects.txt; : > "$list"
    nskip=0; nbad=0
    for m in "$@"; do
        b=$(basename "$m" .wasm)
        if ! "$moat" validate "$m" >/dev/null 2>&1; then
            echo "skipped: $m: moat validate rejects it"
            nskip=$((nskip + 1)); continue
        fi
        o=$out/O$O/$b.o
        if [ ! "$o" -nt "$m" ] || [ ! "$o" -nt "$moat" ]; then
            if ! "$moat" compile -O$O -j1 "$m" -o "$o" >/dev/null 2>&1; then
                echo "compile failed: $m -O$O"
                rm -f "$o"; nbad=$((nbad + 1)); continue
            fi
        fi
        echo "$o" >> "$list"
    done
    echo "-O$O: $# modules, skipped $nskip, not compiled $nbad, objects" \
         "$(wc -l < "$list")"
    [ $nbad -eq 0 ] || rc=1
    [ -s "$list" ] || { echo "-O$O: no objects to check"; rc=1; continue; }
    "$corpus" -l "$list" || rc=1
done
exit $rc
