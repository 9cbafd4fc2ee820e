#!/usr/bin/env bash
# build.sh OUT_DIR MOAT [CACHE_DIR]
#
# Builds zlib 1.2.13 (Debian's source package, fetched by fetch.sh into
# CACHE_DIR, default $MOAT_BENCH_CACHE or ~/.cache/moat-bench, subfolder
# zlib) as a sandboxed plugin:
#   OUT_DIR/zlib.wasm  clang-19 --target=wasm32-wasi -O2, a reactor: zlib's
#                      library sources, its test programs example.c,
#                      minigzip.c and infcover.c (main renamed), and
#                      shim.c (ours)
#   OUT_DIR/zlibwasm.o `MOAT compile --name zlibwasm` of it: the static
#                      plugin a host links, its only global symbol
#                      zlibwasm_descriptor
#   OUT_DIR/zlibwasm.h the plugin's typed header (--header)
# Rebuilt only when shim.c, this script or MOAT is newer than zlibwasm.o.
# Prints OUT_DIR/zlibwasm.o. Exit 77 (skip) when the source cannot be fetched.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $prog OUT_DIR MOAT [CACHE_DIR]"
here=$(realpath -- "$(dirname "$0")")
out=$(realpath -m -- "$1")
moat=$(realpath -- "$2")
cache=${3:-${MOAT_BENCH_CACHE:-$HOME/.cache/moat-bench}/zlib}
cc=${WASI_CC:-clang-19}

# One build at a time: the test and the fuzz smoke share OUT_DIR and may
# run in parallel under meson.
mkdir -p -- "$out"
exec 9>"$out/.build.lock"
flock 9
rc=0
src=$("$here/fetch.sh" "$cache") || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
obj=$out/zlibwasm.o
if [ -f "$obj" ] && [ -f "$out/zlibwasm.h" ] &&
        [ -z "$(find "$here/shim.c" "$0" "$moat" -newer "$obj" -print \
                -quit)" ]; then
    printf '%s\n' "$obj"
    exit 0
fi
command -v "$cc" >/dev/null 2>&1 || die "$cc not found (scripts/deps.sh)"
mkdir -p "$out/wasm-obj"

# zlib's library sources (its Makefile's OBJZ and OBJG), unchanged.
lib=(adler32 crc32 deflate infback inffast inflate inftrees trees zutil
     compress uncompr gzclose gzlib gzread gzwrite)
# HAVE_UNISTD_H, HAVE_STDARG_H: what zlib's ./configure writes into zconf.h
# on Linux; -w: warnings in zlib's K&R C are not ours to fix.
cflags=(--target=wasm32-wasi -O2 -I "$src" -DHAVE_UNISTD_H -DHAVE_STDARG_H -w)
objs=()
for f in "${lib[@]}"; do
    "$cc" "${cflags[@]}" -c "$src/$f.c" -o "$out/wasm-obj/$f.o"
    objs+=("$out/wasm-obj/$f.o")
done
"$cc" "${cflags[@]}" -Dmain=zlib_example_main -c "$src/test/example.c" \
    -o "$out/wasm-obj/example.o"
"$cc" "${cflags[@]}" -Dmain=zlib_infcover_main -c "$src/test/infcover.c" \
    -o "$out/wasm-obj/infcover.o"
"$cc" "${cflags[@]}" -Dmain=zlib_minigzip_main -c "$src/test/minigzip.c" \
    -o "$out/wasm-obj/minigzip.o"
"$cc" --target=wasm32-wasi -O2 -std=c17 -Wall -Wextra -Werror \
    -I "$src" -c "$here/shim.c" -o "$out/wasm-obj/shim.o"
objs+=("$out/wasm-obj/example.o" "$out/wasm-obj/infcover.o"
       "$out/wasm-obj/minigzip.o" "$out/wasm-obj/shim.o")

# zlib's own API as it is, and the allocator for the host's buffers.
exports=(zlibVersion compressBound compress2 uncompress uncompress2 crc32
         adler32 malloc free)
"$cc" --target=wasm32-wasi -mexec-model=reactor -O2 \
    "${exports[@]/#/-Wl,--export=}" -o "$out/zlib.wasm.tmp" "${objs[@]}"
mv -f -- "$out/zlib.wasm.tmp" "$out/zlib.wasm"
# A static plugin: its only global symbol is zlibwasm_descriptor, and
# zlibwasm.h has a typed C wrapper for each export (docs/plugins.md).
"$moat" compile -O2 --name zlibwasm --header "$out/zlibwasm.h.tmp" \
    -c "$out/zlib.wasm" -o "$obj.tmp"
mv -f -- "$out/zlibwasm.h.tmp" "$out/zlibwasm.h"
mv -f -- "$obj.tmp" "$obj"
printf '%s: built %s (%d bytes of wasm)\n' "$prog" "$obj" \
    "$(stat -c %s "$out/zlib.wasm")" >&2
printf '%s\n' "$obj"
