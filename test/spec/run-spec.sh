#!/usr/bin/env bash
# run-spec.sh BUILD_DIR SPEC_RUNNER [WAST_DIR]
#
# Converts every WAST_DIR/*.wast with wast2json into
# BUILD_DIR/spec-json/NAME/NAME.json (plus its module files), in parallel and
# only when the .wast is newer than the cached output, then runs SPEC_RUNNER
# over all of them and exits with its status. A .wast that wast2json rejects
# has no .json, which the runner reports and counts as failed. Nothing is
# written outside BUILD_DIR. WAST_DIR defaults to ../shared/spec-testsuite
# beside the repository. WAST2JSON_FLAGS (e.g. --enable-threads) are given
# to wast2json, and SPEC_JSON_DIR (default spec-json) names the cache, so
# that suites converted with other flags do not share it.
set -euo pipefail

prog=${0##*/}
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -ge 2 ] && [ $# -le 3 ] ||
    die "usage: $prog BUILD_DIR SPEC_RUNNER [WAST_DIR]"
build_dir=$1
runner=$2
wast_dir=${3:-$(dirname "$0")/../../../shared/spec-testsuite}

command -v wast2json >/dev/null 2>&1 ||
    die "wast2json not found in PATH (install wabt, e.g. apt-get install wabt)"
[ -d "$wast_dir" ] || die "spec testsuite folder not found: $wast_dir"
[ -x "$runner" ] || die "spec runner not found or not executable: $runner"
wast_dir=$(realpath -- "$wast_dir")
out_root=$(realpath -m -- "$build_dir/${SPEC_JSON_DIR:-spec-json}")
case "$out_root/" in
"$wast_dir"/*) die "output $out_root would be inside $wast_dir" ;;
esac
mkdir -p "$out_root"

shopt -s nullglob
wasts=("$wast_dir"/*.wast)
[ ${#wasts[@]} -gt 0 ] || die "no .wast files in $wast_dir"

# convert OUT_ROOT WAST: one file into OUT_ROOT/NAME/ via a temporary folder,
# so an interrupted or failed run never leaves a half-written cache entry.
convert() {
    local name out tmp log
    name=$(basename "$2" .wast)
    out=$1/$name
    [ "$out/$name.json" -nt "$2" ] && return 0
    tmp=$out.tmp.$$
    log=$1/$name.log
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # shellcheck disable=SC2086 # flags are words
    if wast2json ${WAST2JSON_FLAGS:-} "$2" -o "$tmp/$name.json" >"$log" 2>&1
    then
        rm -rf "$out" "$log"
        mv "$tmp" "$out"
    else
        rm -rf "$tmp" "$out"
        printf 'run-spec.sh: wast2json failed on %s (counted as failed):\n' \
            "$2" >&2
        sed 's/^/    /' "$log" >&2
        return 1
    fi
}
export -f convert

# xargs exits non-zero when a conversion failed; the runner counts those.
printf '%s\0' "${wasts[@]}" |
    xargs -0 -n 1 -P "$(nproc)" bash -c 'convert "$0" "$1"' "$out_root" ||
    true

jsons=()
for w in "${wasts[@]}"; do
    name=$(basename "$w" .wast)
    jsons+=("$out_root/$name/$name.json")
done
exec "$runner" "${jsons[@]}"
