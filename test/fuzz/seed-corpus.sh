#!/usr/bin/env bash
# seed-corpus.sh OUT_DIR [WAST_DIR]
#
# Builds a libFuzzer seed corpus: converts every WAST_DIR/*.wast with
# wast2json into a temporary folder and copies each .wasm it yields (valid,
# invalid and malformed modules alike) into OUT_DIR as NAME.N.wasm. The .wat
# files of text-only assertions are skipped. A .wast that wast2json rejects is
# reported and skipped. WAST_DIR (default ../shared/spec-testsuite beside the
# repository) is only read.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $prog OUT_DIR [WAST_DIR]"
out_dir=$1
wast_dir=${2:-$(dirname "$0")/../../../shared/spec-testsuite}

command -v wast2json >/dev/null 2>&1 ||
    die "wast2json not found in PATH (install wabt, e.g. apt-get install wabt)"
[ -d "$wast_dir" ] || die "spec testsuite folder not found: $wast_dir"
wast_dir=$(realpath -- "$wast_dir")
out_dir=$(realpath -m -- "$out_dir")
case "$out_dir/" in
"$wast_dir"/*) die "output $out_dir would be inside $wast_dir" ;;
esac

shopt -s nullglob
wasts=("$wast_dir"/*.wast)
[ ${#wasts[@]} -gt 0 ] || die "no .wast files in $wast_dir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-seed.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

nbad=0
for w in "${wasts[@]}"; do
    name=$(basename "$w" .wast)
    mkdir "$tmp/$name"
    if ! wast2json -o "$tmp/$name/$name.json" "$w" \
            >"$tmp/$name.log" 2>&1; then
        printf '%s: skipped %s: wast2json failed: %s\n' "$prog" "$name.wast" \
            "$(head -n 1 "$tmp/$name.log")" >&2
        nbad=$((nbad + 1))
    fi
done

mkdir -p "$out_dir"
wasms=("$tmp"/*/*.wasm)
[ ${#wasms[@]} -gt 0 ] || die "wast2json produced no .wasm files"
cp -- "${wasms[@]}" "$out_dir/"
printf '%s: %d modules from %d .wast files (%d skipped) in %s\n' "$prog" \
    ${#wasms[@]} $((${#wasts[@]} - nbad)) "$nbad" "$out_dir"
