#!/usr/bin/env bash
# run-cli-tests.sh MOAT SRCDIR - the `moat` command line as a user meets it:
# compile, run --invoke argument parsing and result printing, traps, exit
# codes, bad input; the `moat run` launcher (WASI programs, options, exit
# statuses) and its compile cache. Prints "N passed, N failed, N skipped".
set -uo pipefail
moat=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0
# every run compiles through a cache of its own, never the user's
export MOAT_CACHE_DIR=$tmp/cache

# expect NAME WANT_EXIT WANT_OUTPUT_SUBSTRING COMMAND...
expect() {
    local name=$1 want_rc=$2 want=$3
    shift 3
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" -eq "$want_rc" ] && grep -qF -- "$want" <<<"$out"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL %s: exit %s (want %s), output:\n%s\n' "$name" "$rc" \
            "$want_rc" "$out"
    fi
}

wat2wasm --enable-all "$src/cases.wat" -o "$tmp/cases.wasm" || exit 1
w=$tmp/cases.wasm
run() { "$moat" run --invoke "$@"; }

expect "negative args" 0 "-2" run add "$w" -5 3
expect "hex i32" 0 "-1" run add "$w" 0xffffffff 0
expect "u32 wraps to signed" 0 "-294967296" run add "$w" 4000000000 0
expect "i64 hex" 0 "-1" run id64 "$w" 0xffffffffffffffff
expect "i64 min" 0 "-9223372036854775808" run id64 "$w" -9223372036854775808
expect "f32 shortest" 0 "0.1" run idf32 "$w" 0.1
expect "f32 hex float" 0 "0.5" run idf32 "$w" 0x1p-1
expect "f32 -inf" 0 "-inf" run idf32 "$w" -inf
expect "f32 nan payload" 0 "nan:0x200000" run idf32 "$w" nan:0x200000
expect "f64 canonical nan" 0 "nan" run idf64 "$w" nan
expect "f64 -0" 0 "-0" run idf64 "$w" -0
expect "f64 precision" 0 "0.30000000000000004" run idf64 "$w" 0.30000000000000004
expect "v128 lanes" 0 "0x000102030405060708090a0b0c0d0e0f" \
    run idv128 "$w" 0x000102030405060708090a0b0c0d0e0f
expect "multi-value" 0 "2.5" run swap "$w" 7 2.5
expect "multi-value 2nd" 0 "7" run swap "$w" 7 2.5
expect "ref null" 0 "null" run null "$w"
expect "trap div" 134 "trap: integer divide by zero" run div "$w" 1 0
expect "trap overflow" 134 "trap: integer overflow" run div "$w" -2147483648 -1
expect "trap oob" 134 "trap: out of bounds memory access" run oob "$w"
expect "trap stack" 134 "trap: call stack exhausted" run deep "$w" 0
expect "too few args" 2 "takes 2 arguments" run add "$w" 1
expect "bad i32" 2 "not a valid i32" run add "$w" 1 x
expect "i32 out of range" 2 "not a valid i32" run add "$w" 1 4294967296
expect "no such export" 2 "no exported function" run nope "$w"

# compile, then run the object and the shared object
expect "compile -o" 0 "" "$moat" compile -O2 "$w" -o "$tmp/c.o"
expect "run .o" 0 "5" run add "$tmp/c.o" 2 3
# the descriptor holds only defined values: the data segment's offset
# (i32.const 16) is { kind 0, idx 0, lo 16, hi 0 }, never stale bytes
"$moat" compile -O0 --emit-llvm "$w" -o "$tmp/d.ll"
expect "descriptor const expr" 0 "{ i64 0, i64 0, i64 16, i64 0 }" \
    cat "$tmp/d.ll"
expect "compile -j2" 0 "" "$moat" compile -j2 "$w" -o "$tmp/j.o"
expect "run partitioned .o" 0 "5" run add "$tmp/j.o" 2 3
expect "partitioned trap" 134 "trap: integer divide by zero" run div "$tmp/j.o" 1 0
expect "compile -shared" 0 "" "$moat" compile -shared "$w" -o "$tmp/c.so"
expect "run .so" 0 "5" run add "$tmp/c.so" 2 3
expect "emit-llvm" 0 "" "$moat" compile --emit-llvm -O0 "$w" -o "$tmp/c.ll"
expect "emit-llvm text" 0 "moat_descriptor" cat "$tmp/c.ll"
expect "emit-bc" 0 "" "$moat" compile --emit-bc "$w" -o "$tmp/c.bc"
expect "compile usage" 2 "usage" "$moat" compile "$w"
expect "compile bad target" 1 "unknown target" \
    "$moat" compile --target nonsense-x-y "$w" -o "$tmp/x.o"

# loads whose value is unused still trap (test/regress/diff-dead-load.wat)
for o in 0 2; do
    "$moat" compile -O$o "$src/../regress/diff-dead-load.wasm" -o "$tmp/dl.o"
    for e in dead_local dead_rotl before_call_indirect dead_f64 dead_v128; do
        expect "dead load $e -O$o" 134 "out of bounds memory access" \
            run "$e" "$tmp/dl.o"
    done
    expect "dead load before_div -O$o" 134 "out of bounds memory access" \
        run before_div "$tmp/dl.o" 0
done

# bad input: a clear error, never a crash
printf '\0asm\1\0\0\0\1\11\1' > "$tmp/bad.wasm"
expect "invalid module" 1 "error: malformed module" "$moat" validate "$tmp/bad.wasm"
expect "compile invalid" 1 "error:" "$moat" compile "$tmp/bad.wasm" -o "$tmp/b.o"
head -c 100 "$tmp/c.o" > "$tmp/trunc.o"
expect "truncated object" 1 "contract" run add "$tmp/trunc.o" 1 2

# the stack check (run-stackcheck.wat): in functions that call or loop,
# not in leaves; after the frame; counting stack arguments
wat2wasm "$src/run-stackcheck.wat" -o "$tmp/sc.wasm" || exit 1
"$moat" compile -O0 --emit-llvm "$tmp/sc.wasm" -o "$tmp/sc.ll"
"$moat" compile -O2 -S "$tmp/sc.wasm" -o "$tmp/sc.s"
fn_ir() { awk -v f="@wasm_f$1(" 'index($0, f) && /^define/ {p=1} p; p && /^}/ {exit}' "$tmp/sc.ll"; }
fn_asm() { awk -v f="wasm_f$1:" '$0 == f {p=1} p; p && /^\.Lfunc_end/ {exit}' "$tmp/sc.s"; }
expect "no stack check in a leaf" 1 "" grep -q stack.low <(fn_ir 0)
expect "stack check in a caller" 0 "" grep -q stack.low <(fn_ir 1)
expect "stack check in a loop" 0 "" grep -q stack.low <(fn_ir 2)
expect "stack check counts stack arguments" 0 "" \
    grep -q "stack.args = sub i64 %.*, 80" <(fn_ir 3)
expect "stack check reads rsp after the frame" 0 "" \
    awk '/push|subq.*%rsp/ {f=1} /%fs:/ {seen=1; exit !f}
         END {if (!seen) exit 1}' <(fn_asm 1)
expect "stack check runs" 0 "5" run caller "$tmp/sc.wasm" 1

# host code runs out of stack nowhere (run-rec.wat): every depth from 160
# below the first that traps to a few past it either returns or traps,
# and never hangs (`timeout`: before the stack check, some of them hung)
wat2wasm "$src/run-rec.wat" -o "$tmp/rec.wasm" || exit 1
rec() { timeout 20 "$moat" run --timeout 3s --invoke rec "$tmp/rec.wasm" "$1"; }
lo=0 hi=4000000
while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    if rec $mid >/dev/null 2>&1; then lo=$mid; else hi=$mid; fi
done
rec_bad=""
for d in $(seq $((hi - 160)) $((hi + 8))); do
    out=$(rec "$d" 2>&1); rc=$?
    case "$rc:$out" in
    0:*|134:*"trap: call stack exhausted"*) ;;
    *) rec_bad="$rec_bad $d:$rc" ;;
    esac
done
expect "deep recursion into table.grow never hangs (first trap at $hi)" \
    0 "" test -z "$rec_bad"
[ -n "$rec_bad" ] && echo "  depths that hung or failed:$rec_bad"

# the launcher and the compile cache (docs/cli.md)
. "$src/run-launcher-tests.sh"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
