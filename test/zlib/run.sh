#!/usr/bin/env bash
# run.sh BUILD_DIR MOAT LIBMOAT [CFLAGS...]
#
# `meson test --suite zlib`: builds the zlib plugin (build.sh: fetch once,
# then cached in BUILD_DIR/test/zlib), links the test host (test_zlib.c
# and the zbox host side, with native zlib) statically with the plugin
# object and LIBMOAT (libmoat.a), and runs it. CFLAGS: extra flags, e.g.
# the sanitizers LIBMOAT was built with. Exit 77 (skip) when zlib's source
# cannot be fetched.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -ge 3 ] || die "usage: $prog BUILD_DIR MOAT LIBMOAT [CFLAGS...]"
here=$(realpath -- "$(dirname "$0")")
# MOAT_RUNTIME_LIBS: what libmoat.a needs at link time
. "$here/../fuzz/sources.sh"
root=$(realpath -- "$here/../..")
out=$(realpath -m -- "$1/test/zlib")
moat=$2
libmoat=$3
shift 3
extra=("$@")
cc=${CC:-cc}

rc=0
plugin=$("$here/build.sh" "$out" "$moat") || rc=$?
if [ "$rc" -eq 77 ]; then
    echo "0 passed, 0 failed, 1 skipped (zlib's source cannot be fetched)"
    exit 77
fi
[ "$rc" -eq 0 ] || exit "$rc"

host=$out/test_zlib
srcs=("$here"/test_zlib.c "$here"/test_stream.c "$here"/corpus.c
      "$here"/native.c "$here"/zbox.c)
if [ ! -x "$host" ] || [ -n "$(find "${srcs[@]}" "$here"/*.h "$plugin" \
        "$libmoat" "$0" -newer "$host" -print -quit)" ]; then
    "$cc" -std=c17 -O2 -g -Wall -Wextra -Wpedantic -Werror -Wshadow \
        -Wstrict-prototypes -Wmissing-prototypes -Wvla "${extra[@]}" \
        -I "$root/include" -I "$out" -o "$host.tmp" "${srcs[@]}" \
        "$plugin" "$libmoat" "${MOAT_RUNTIME_LIBS[@]}" -lz
    mv -f -- "$host.tmp" "$host"
fi
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
"$host" "$tmp"
