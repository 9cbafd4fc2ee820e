#!/usr/bin/env bash
# run-mutate-load.sh MUTATE_LOAD MOAT ROOT - compiles examples/plugin.wat and
# examples/sample.wat to .o and .so with MOAT and loads 200 damaged copies
# of each (mutate_load.c), one per child process. A mutant may load (only
# code bytes changed, say) or be refused with an error; none may crash or
# return a malformed error. Prints `N passed, N failed` over the mutants.
set -uo pipefail
mutate=$1 moat=$2 root=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-mutate.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
files=()
for n in plugin sample; do
    wat2wasm "$root/examples/$n.wat" -o "$tmp/$n.wasm" &&
        "$moat" compile "$tmp/$n.wasm" -o "$tmp/$n.o" &&
        "$moat" compile -shared "$tmp/$n.wasm" -o "$tmp/$n.so" ||
        { echo "cannot build $n"; echo "0 passed, 1 failed"; exit 1; }
    files+=("$tmp/$n.o" "$tmp/$n.so")
done
out=$("$mutate" -n 200 -v "${files[@]}" 2>&1); rc=$?
grep -v '^==\|^    #\|^SUMMARY\|^$' <<<"$out" | grep -E 'mutants|total|mutant '
total=$(grep '^total:' <<<"$out")
loaded=$(sed -n 's/.* \([0-9]*\) loaded.*/\1/p' <<<"$total")
refused=$(sed -n 's/.* \([0-9]*\) refused.*/\1/p' <<<"$total")
crashed=$(sed -n 's/.* \([0-9]*\) crashed.*/\1/p' <<<"$total")
bad=$(sed -n 's/.* \([0-9]*\) bad error.*/\1/p' <<<"$total")
echo "$((loaded + refused)) passed, $((crashed + bad)) failed"
[ "$rc" -eq 0 ] && [ $((loaded + refused)) -gt 0 ]
