#!/usr/bin/env bash
# run-regress.sh MOAT REGRESS_DIR - every file here once crashed or misled
# Moat. A NAME.wasm must be answered by `moat validate` with exit 0 (valid)
# or 1 (rejected with a message), never a crash or a hang. A NAME.elf is a
# damaged artifact (a mutant or a fuzzer find): `moat run --no-verify`
# (the loader's own checks, without the machine-code checker in front of
# them) must refuse it with exit 1 and a `PATH[:0xOFF]: error: ...` line
# whose offset, if any, lies inside the file; plain `moat run` (checker
# on) must refuse it with exit 1 too. A NAME.expect beside either must
# also match a line of the loader's output (fixed text).
set -uo pipefail
moat=$1 dir=$2 passed=0 failed=0

# check FILE RC OUT: the common rules; sets ok.
check() {
    local f=$1 rc=$2 out=$3 exp=${1%.*}.expect
    if [ -f "$exp" ] && ! grep -qF -- "$(cat "$exp")" <<<"$out"; then ok=0; fi
}

for f in "$dir"/*.wasm; do
    [ -e "$f" ] || continue
    out=$(timeout 20 "$moat" validate "$f" 2>&1); rc=$?
    ok=1
    [ $rc -eq 0 ] || [ $rc -eq 1 ] || ok=0
    [ $rc -ne 1 ] || [ -n "$out" ] || ok=0
    check "$f" $rc "$out"
    if [ $ok -eq 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL ${f##*/}: exit $rc: $out"
    fi
done

for f in "$dir"/*.elf; do
    [ -e "$f" ] || continue
    timeout 20 "$moat" run "$f" >/dev/null 2>&1; rc_verified=$?
    out=$(timeout 20 "$moat" run --no-verify "$f" 2>&1); rc=$?
    ok=1
    [ $rc -eq 1 ] && [ $rc_verified -eq 1 ] || ok=0
    line=$(grep -F -- "$f" <<<"$out" | grep -F ': error: ' | head -n 1)
    [ -n "$line" ] || ok=0
    off=$(sed -n 's/^.*:0x\([0-9a-f]*\): error: .*$/\1/p' <<<"$line")
    if [ -n "$off" ] && [ $((16#$off)) -gt "$(stat -c %s "$f")" ]; then
        ok=0
    fi
    check "$f" $rc "$out"
    if [ $ok -eq 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL ${f##*/}: exit $rc: $out"
    fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
