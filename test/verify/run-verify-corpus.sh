#!/usr/bin/env bash
# run-verify-corpus.sh OUT_DIR MOAT VERIFY_CORPUS [WAST_DIR]
#
# Honest objects for the checker: converts the spec suite's .wast files
# with wast2json into OUT_DIR/json (cached), compiles every Nth binary
# module (MOAT_VERIFY_EVERY, default 8; 1 = all) with `moat compile` at -O0
# and -O2 (MOAT_VERIFY_LEVELS, default "0 2") into OUT_DIR/obj, and runs
# VERIFY_CORPUS over the objects. A
# module `moat validate` rejects is the suite's assert_invalid/
# assert_malformed kind: counted as skipped with that reason. A valid
# module that does not compile is counted and named, and fails the run.
# Exits with VERIFY_CORPUS's status (or 1 after a compile failure).
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 OUT_DIR MOAT VERIFY_CORPUS [WAST_DIR]" >&2;
                  exit 2; }
out=$(realpath -m -- "$1"); moat=$2; corpus=$3
wast_dir=${4:-$(dirname "$0")/../../../shared/spec-testsuite}
every=${MOAT_VERIFY_EVERY:-8}
levels=${MOAT_VERIFY_LEVELS:-0 2}
command -v wast2json >/dev/null || { echo "$0: wast2json missing" >&2; exit 2; }
# a run that checks nothing must not pass
compgen -G "$wast_dir/*.wast" >/dev/null ||
    { echo "$0: no .wast files in $wast_dir" >&2; exit 2; }
mkdir -p "$out/json" "$out/obj"

for w in "$wast_dir"/*.wast; do
    name=$(basename "$w" .wast)
    [ "$out/json/$name/$name.json" -nt "$w" ] && continue
    rm -rf "$out/json/$name"; mkdir -p "$out/json/$name"
    wast2json "$w" -o "$out/json/$name/$name.json" >/dev/null 2>&1 ||
        echo "skipped: $name.wast: wast2json rejects it"
done

list=$out/objects.txt; : > "$list"
n=0; nskip=0; nmod=0; nbad=0
for m in "$out"/json/*/*.wasm; do
    n=$((n + 1))
    [ $(( (n - 1) % every )) -eq 0 ] || continue
    nmod=$((nmod + 1))
    b=$(basename "$m" .wasm)
    if ! "$moat" validate "$m" >/dev/null 2>&1; then
        nskip=$((nskip + 1)); continue
    fi
    for O in $levels; do
        o=$out/obj/$b.O$O.o
        if [ ! "$o" -nt "$m" ] || [ ! "$o" -nt "$moat" ]; then
            if ! "$moat" compile -O$O "$m" -o "$o" >/dev/null 2>&1; then
                echo "compile failed: $m -O$O"
                rm -f "$o"; nbad=$((nbad + 1)); continue
            fi
        fi
        echo "$o" >> "$list"
    done
done
echo "modules: $nmod of $n (every $every); skipped: $nskip (invalid or" \
     "malformed, as the suite means them); valid but not compiled: $nbad;" \
     "objects: $(wc -l < "$list")"
[ -s "$list" ] || { echo "$0: no objects to check" >&2; exit 1; }
rc=0
"$corpus" --memory -l "$list" || rc=$?
[ $nbad -eq 0 ] || rc=1
exit $rc
