#!/usr/bin/env bash
# run-regress.sh MOAT REGRESS_DIR - every file here once crashed or misled
# Moat. Each must be answered with exit 0 (valid) or 1 (rejected with a
# message), never a crash or a hang. A NAME.wasm with a NAME.expect beside
# it must also print a line containing that file's text.
set -uo pipefail
moat=$1 dir=$2 passed=0 failed=0
for f in "$dir"/*.wasm; do
    [ -e "$f" ] || continue
    out=$(timeout 20 "$moat" validate "$f" 2>&1); rc=$?
    ok=1
    [ $rc -eq 0 ] || [ $rc -eq 1 ] || ok=0
    [ $rc -ne 1 ] || [ -n "$out" ] || ok=0
    exp=${f%.wasm}.expect
    if [ -f "$exp" ] && ! grep -qF -- "$(cat "$exp")" <<<"$out"; then ok=0; fi
    if [ $ok -eq 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL ${f##*/}: exit $rc: $out"
    fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
