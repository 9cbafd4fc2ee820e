#!/usr/bin/env bash
# fuzz-zlib.sh OUT_DIR MOAT
#
# Builds OUT_DIR/fuzz_zlib, the libFuzzer target over the zlib plugin's
# boundary (fuzz_zlib.c), with clang-19, ASan and UBSan (UB aborts): libmoat
# compiled straight from runtime/ and wasi/ meson.build lists (as
# test/fuzz/build-fuzz.sh does), the plugin object build.sh makes with
# MOAT, the host side (zbox.c, native.c), and native zlib built from the
# same fetched 1.2.13 sources with coverage, as the reference. Rebuilt only
# when an input is newer than the binary; prints its path. Exit 77 (skip)
# when zlib's source cannot be fetched. CLANG overrides the compiler.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $prog OUT_DIR MOAT"
here=$(realpath -- "$(dirname "$0")")
root=$(realpath -- "$here/../..")
out=$(realpath -m -- "$1")
moat=$2
cc=${CLANG:-clang-19}
cache=${MOAT_BENCH_CACHE:-$HOME/.cache/moat-bench}/zlib
command -v "$cc" >/dev/null 2>&1 || die "$cc not found (scripts/deps.sh)"

rc=0
plugin=$("$here/build.sh" "$out" "$moat" "$cache") || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
src=$("$here/fetch.sh" "$cache")
bin=$out/fuzz_zlib
. "$root/test/fuzz/sources.sh"
mapfile -t lib < <(sources runtime_src "$root/runtime/meson.build"
                   sources wasi_src "$root/wasi/meson.build")
host=("$here/fuzz_zlib.c" "$here/zbox.c"
      "$here/native.c")
if [ -x "$bin" ] && [ -z "$(find "${lib[@]}" "${host[@]}" "$here"/*.h \
        "$root/include" "$plugin" "$0" -newer "$bin" -print -quit)" ]; then
    printf '%s\n' "$bin"
    exit 0
fi
san=(-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined)
mkdir -p "$out/fuzz-obj/lib"
# libmoat with the sanitizers but without coverage: the same path on every
# call, it would only slow the fuzzer down (its export lookup's strcmp).
objs=()
for f in "${lib[@]}"; do
    o=$out/fuzz-obj/lib/$(basename "${f%.*}").o
    "$cc" "${san[@]}" -std=c17 -D_GNU_SOURCE -I "$root/include" \
        -I "$root/runtime" -c "$f" -o "$o"
    objs+=("$o")
done
# The native twin: zlib's library sources as they are (-w: its K&R C),
# with coverage, so that its paths guide the fuzzer.
for f in adler32 crc32 deflate infback inffast inflate inftrees trees zutil \
         compress uncompr; do
    "$cc" "${san[@]}" -fsanitize=fuzzer-no-link -DHAVE_UNISTD_H \
        -DHAVE_STDARG_H -w -I "$src" -c "$src/$f.c" -o "$out/fuzz-obj/$f.o"
    objs+=("$out/fuzz-obj/$f.o")
done
"$cc" "${san[@]}" -fsanitize=fuzzer -std=c17 -D_GNU_SOURCE -Wall -Wextra \
    -Werror -I "$root/include" -I "$src" -I "$out" -o "$bin.tmp" \
    "${host[@]}" \
    "${objs[@]}" "$plugin" "${MOAT_RUNTIME_LIBS[@]}"
mv -f -- "$bin.tmp" "$bin"
printf '%s: built %s\n' "$prog" "$bin" >&2
printf '%s\n' "$bin"
