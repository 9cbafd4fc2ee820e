#!/usr/bin/env bash
# bench/zlib/run.sh [BUILD_DIR] [RUNS] [MiB]
#
# Throughput of zlib in the Moat sandbox against native zlib in the same
# process (bench_zlib.c; docs/plugin-zlib.md): builds the plugin with
# test/zlib/build.sh (fetched and cached as for the test), links
# bench_zlib with it, BUILD_DIR/libmoat.a and Debian's zlib1g, runs it.
# Defaults: build, 7 runs, 4 MiB inputs. Prints a markdown table.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

here=$(realpath -- "$(dirname "$0")")
root=$(realpath -- "$here/../..")
build=$(realpath -- "${1:-$root/build}")
runs=${2:-7}
mib=${3:-4}
tz=$root/test/zlib
# MOAT_RUNTIME_LIBS: what libmoat.a needs at link time
. "$root/test/fuzz/sources.sh"
out=$build/bench-zlib
cache=${MOAT_BENCH_CACHE:-$HOME/.cache/moat-bench}/zlib

[ -x "$build/moat" ] && [ -f "$build/libmoat.a" ] ||
    die "no $build/moat or libmoat.a: meson setup and ninja first"
rc=0
plugin=$("$tz/build.sh" "$build/test/zlib" "$build/moat" "$cache") || rc=$?
[ "$rc" -eq 0 ] || die "the plugin could not be built (exit $rc)"
src=$("$tz/fetch.sh" "$cache")
mkdir -p "$out"
cc -std=c17 -O2 -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
    -I "$root/include" -I "$tz" -I "$build/test/zlib" \
    -o "$out/bench_zlib" "$here/bench_zlib.c" "$tz/zbox.c" \
    "$tz/corpus.c" "$plugin" "$build/libmoat.a" \
    "${MOAT_RUNTIME_LIBS[@]}" -lz
printf '%s, %s, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
    "nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/bench_zlib" "$src" "$runs" "$mib"
