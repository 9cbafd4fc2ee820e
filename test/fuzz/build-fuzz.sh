#!/usr/bin/env bash
# build-fuzz.sh OUT_DIR [TARGET...]
#
# Builds the libFuzzer targets (default: fuzz_validate and fuzz_load) with
# clang-19 and ASan + UBSan (UB aborts, so libFuzzer reports it):
# OUT_DIR/fuzz_validate over decode + validate, OUT_DIR/fuzz_load over the
# artifact loaders, OUT_DIR/fuzz_wat (only when named) over the text
# front-end, OUT_DIR/fuzz_verify (only when named) over the machine-code
# checker (verify/, with Zydis). The
# library sources are the lists in frontend/meson.build and runtime/meson.build
# (frontend_src, runtime_src), compiled directly: no meson build is needed.
# CLANG overrides the compiler; FUZZ_CFLAGS adds flags (split on spaces),
# e.g. -fsanitize-recover=CHECK to let a UBSan suppressions file skip a known
# bug. Nothing is written outside OUT_DIR.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -ge 1 ] ||
    die "usage: $prog OUT_DIR [fuzz_validate] [fuzz_load] [fuzz_wat]" \
        "[fuzz_verify]"
out_dir=$1
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_validate fuzz_load)
for t in "${targets[@]}"; do
    case $t in
    fuzz_validate | fuzz_load | fuzz_wat | fuzz_verify) ;;
    *) die "unknown target: $t" ;;
    esac
done
root=$(realpath -- "$(dirname "$0")/../..")
cc=${CLANG:-clang-19}

command -v "$cc" >/dev/null 2>&1 ||
    die "$cc not found in PATH (libFuzzer needs clang, e.g. apt-get" \
        "install clang-19)"

# sources VAR MESON_BUILD (sources.sh)
. "$root/test/fuzz/sources.sh"

mapfile -t srcs < <(sources frontend_src "$root/frontend/meson.build"
                    sources runtime_src "$root/runtime/meson.build")
[ ${#srcs[@]} -gt 0 ] ||
    die "no sources listed in frontend/ or runtime/ meson.build"
for f in "${srcs[@]}"; do
    [ -f "$f" ] || die "listed in meson.build but missing: $f"
done

read -ra extra <<<"${FUZZ_CFLAGS:-}"
mkdir -p "$out_dir"
# the checker as linked with the runtime: its sources and the allow-list
# that asks the runtime (allow_static.c)
mapfile -t vsrcs < <(sources verify_src "$root/verify/meson.build";
                     sources verify_static_src "$root/verify/meson.build")
for t in "${targets[@]}"; do
    out=$out_dir/$t
    more=()
    [ "$t" != fuzz_verify ] ||
        more=(-I "$root/verify" "${vsrcs[@]}" -lZydis)
    # Link to a temporary name first: an interrupted build never leaves a
    # binary that smoke.sh's timestamp check would take for up to date.
    "$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=undefined -std=c17 -D_GNU_SOURCE \
        -I "$root/include" -I "$root/runtime" -I "$root/frontend" \
        "${extra[@]}" -o "$out.tmp" \
        "$root/test/fuzz/$t.c" "${srcs[@]}" "${more[@]}" \
        "${MOAT_RUNTIME_LIBS[@]}"
    mv -f -- "$out.tmp" "$out"
    printf '%s: built %s from %d sources\n' "$prog" "$out" \
        $((${#srcs[@]} + ${#more[@]} + 1))
done
