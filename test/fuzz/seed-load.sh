#!/usr/bin/env bash
# seed-load.sh OUT_DIR MOAT [WAST_DIR]
#
# Builds the seed corpus of fuzz_load: real artifacts made by MOAT (the
# `moat` executable, with its compiler library beside it). The modules are
# the .wat files of examples/ and test/cli/, and the first valid modules
# of a few spec .wast files chosen for what their descriptors hold (memories,
# tables, segments, globals, imports, exports, names); each is compiled at
# -O0 and -O2 to an object (NAME.o) and once linked as a shared object
# (NAME.so, `moat compile -shared`). Needs wat2wasm and wast2json (wabt);
# -shared needs cc. Nothing is written outside OUT_DIR.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $prog OUT_DIR MOAT [WAST_DIR]"
out_dir=$(realpath -m -- "$1")
moat=$(realpath -- "$2")
root=$(realpath -- "$(dirname "$0")/../..")
wast_dir=${3:-$root/../shared/spec-testsuite}
per_wast=3

for t in wat2wasm wast2json; do
    command -v $t >/dev/null 2>&1 ||
        die "$t not found in PATH (install wabt, e.g. apt-get install wabt)"
done
[ -x "$moat" ] || die "not an executable: $moat"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-seedload.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
mkdir -p "$tmp/wasm" "$out_dir"

for w in "$root"/examples/*.wat "$root"/test/cli/*.wat; do
    n=$(basename "$w" .wat)
    wat2wasm --debug-names "$w" -o "$tmp/wasm/$n.wasm" 2>/dev/null || true
done
for n in address bulk call_indirect data elem exports float_exprs global \
         imports memory_grow names table linking start; do
    [ -f "$wast_dir/$n.wast" ] || continue
    mkdir -p "$tmp/$n"
    wast2json -o "$tmp/$n/$n.json" "$wast_dir/$n.wast" >/dev/null 2>&1 ||
        continue
    k=0
    for m in $(ls "$tmp/$n"/*.wasm 2>/dev/null | sort -V); do
        [ $k -lt $per_wast ] || break
        "$moat" validate "$m" >/dev/null 2>&1 || continue
        cp -- "$m" "$tmp/wasm/spec-$n-$k.wasm"
        k=$((k + 1))
    done
done

nok=0 nbad=0
for m in "$tmp"/wasm/*.wasm; do
    n=$(basename "$m" .wasm)
    if "$moat" compile -O0 "$m" -o "$out_dir/$n.O0.o" 2>/dev/null &&
        "$moat" compile -O2 "$m" -o "$out_dir/$n.O2.o" 2>/dev/null &&
        "$moat" compile -shared "$m" -o "$out_dir/$n.so" 2>/dev/null; then
        nok=$((nok + 1))
    else
        nbad=$((nbad + 1))
        rm -f -- "$out_dir/$n".*
    fi
done
[ $nok -gt 0 ] || die "no module compiled (is the compiler library built?)"
printf '%s: %d artifacts from %d modules (%d did not compile) in %s\n' \
    "$prog" "$(find "$out_dir" -type f | wc -l)" "$nok" "$nbad" "$out_dir"
