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

# check_eq NAME WANT GOT
check_eq() {
    if [ "$2" == "$3" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL %s: got [%s], want [%s]\n' "$1" "$3" "$2"
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

# moat verify (docs/verify.md): an honest object passes and the summary
# names the rules not checked; the same object with a syscall over its
# first function's first two bytes is rejected with function, offset and
# rule; a file that is not an object is a violation; no file, exit 2.
"$moat" compile -O2 "$w" -o "$tmp/cases.o" >/dev/null 2>&1
expect "verify honest" 0 "NOT checked: memory indirect-call stack" \
    "$moat" verify "$tmp/cases.o"
python3 - "$tmp/cases.o" "$tmp/syscall.o" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
shoff, = struct.unpack_from('<Q', b, 0x28)
shnum, = struct.unpack_from('<H', b, 0x3c)
for i in range(shnum):
    h = shoff + 64 * i
    flags, = struct.unpack_from('<Q', b, h + 8)
    if flags & 4:                      # SHF_EXECINSTR: the code
        off, = struct.unpack_from('<Q', b, h + 24)
        b[off:off + 2] = b'\x0f\x05'   # push %rbp; mov.. -> syscall
        break
open(sys.argv[2], 'wb').write(b)
PY
expect "verify syscall" 1 "wasm_f0+0x0 (section offset 0x0): insn: syscall" \
    "$moat" verify "$tmp/syscall.o"
expect "verify not an object" 1 "object: not an x86-64 ELF64" \
    "$moat" verify "$w"
expect "verify no file" 2 "" "$moat" verify "$tmp/none.o"
# the runtime verifies what `moat run` loads (docs/verify.md): the
# planted syscall is refused before any code runs (wasm_f0 is "add"), and
# runs with --no-verify when it is not called; an honest object runs
expect "run refuses a planted syscall" 1 \
    "the first wasm_f0+0x0: insn: syscall" \
    run id64 "$tmp/syscall.o" 5
expect "run --no-verify trusts it" 0 "5" \
    "$moat" run --no-verify --invoke id64 "$tmp/syscall.o" 5
expect "run verifies an honest object" 0 "5" run id64 "$tmp/cases.o" 5
expect "run: checker library missing" 1 \
    "the checker library libmoat-verify.so.0 cannot be loaded" \
    env MOAT_VERIFY_LIB=/nonexistent/libmoat-verify.so.0 \
    "$moat" run --invoke id64 "$tmp/cases.o" 5
# moat compile verifies before writing: with no checker nothing is
# written; --no-verify writes and says so
rm -f "$tmp/nochk.o"
expect "compile: checker library missing" 1 "nothing written" \
    env MOAT_VERIFY_LIB=/nonexistent/libmoat-verify.so.0 \
    "$moat" compile "$w" -o "$tmp/nochk.o"
check_eq "compile wrote nothing unverified" "no" \
    "$(test -e "$tmp/nochk.o" && echo yes || echo no)"
expect "compile --no-verify says so" 0 \
    "machine code not verified (--no-verify)" \
    "$moat" compile --no-verify "$w" -o "$tmp/nochk.o"
# rule end across functions: backtrace's inline guest (clang-built, in
# the build tree) at -O3 has functions that end calling one that never
# returns (wasm_f21 calls wasm_f17); they pass. Made to return (its first
# byte a ret), wasm_f17 gets its callers refused.
inl=$(dirname "$moat")/test/backtrace/inline-O0.wasm
if [ -f "$inl" ]; then
    "$moat" compile --no-verify -O3 "$inl" -o "$tmp/nr.o" 2>/dev/null
    expect "verify: calls of never-returning functions end a function" 0 \
        " 0 violations" "$moat" verify "$tmp/nr.o"
    python3 "$src/patch-code.py" "$tmp/nr.o" "$tmp/nr-ret.o" wasm_f17 0 c3
    expect "verify: a last call of a returning function is refused" 1 \
        "end: the function can run past its last instruction (a call of wasm_f17, which is not proven never to return)" \
        "$moat" verify "$tmp/nr-ret.o"
else
    skipped=$((skipped + 2))
    echo "SKIP 2 checks of rule end across functions: $inl not built"
fi
expect "trap overflow" 134 "trap: integer overflow" run div "$w" -2147483648 -1
expect "trap oob" 134 "trap: out of bounds memory access" run oob "$w"
expect "trap stack" 134 "trap: call stack exhausted" run deep "$w" 0
expect "too few args" 2 "takes 2 arguments" run add "$w" 1
expect "bad i32" 2 "not a valid i32" run add "$w" 1 x
expect "i32 out of range" 2 "not a valid i32" run add "$w" 1 4294967296
expect "no such export" 2 "no exported function" run nope "$w"

# a br_table longer than 64 entries goes through a lookup table of its
# distinct targets (llvm-lower/lower_ctrl.c); entry i -> block i % 4,
# the carried value is the index, each block adds its own amount
labels=$(for i in $(seq 0 69); do printf '$b%d ' $((i % 4)); done)
cat >"$tmp/brt.wat" <<WAT
(module (func (export "f") (param i32) (result i32)
  (i32.add (i32.const 1000) (block \$b3 (result i32)
    (i32.add (i32.const 30) (block \$b2 (result i32)
      (i32.add (i32.const 20) (block \$b1 (result i32)
        (i32.add (i32.const 10) (block \$b0 (result i32)
          (br_table $labels \$b3 (local.get 0) (local.get 0))))))))))))
WAT
if wat2wasm "$tmp/brt.wat" -o "$tmp/brt.wasm"; then
    for lv in 0 2; do
        expect "br_table long -O$lv b0" 0 "1060" run f -O$lv "$tmp/brt.wasm" 0
        expect "br_table long -O$lv b1" 0 "1055" run f -O$lv "$tmp/brt.wasm" 5
        expect "br_table long -O$lv b2" 0 "1032" run f -O$lv "$tmp/brt.wasm" 2
        expect "br_table long -O$lv b3" 0 "1003" run f -O$lv "$tmp/brt.wasm" 3
        expect "br_table long -O$lv last" 0 "1119" run f -O$lv "$tmp/brt.wasm" 69
        expect "br_table long -O$lv default" 0 "1070" run f -O$lv "$tmp/brt.wasm" 70
        expect "br_table long -O$lv huge" 0 "999" run f -O$lv "$tmp/brt.wasm" -1
    done
else
    failed=$((failed + 1)); echo "FAIL br_table long: wat2wasm"
fi

# more than 64 parameters travel in memory (abi.h MOAT_WIDE_PARAMS):
# from the host through the trampoline, and from wasm through the
# caller's argument area; parameter 35 is i64, 36 is f64, the rest i32
wparams=$(for i in $(seq 0 69); do
    case $i in 35) printf 'i64 ';; 36) printf 'f64 ';; *) printf 'i32 ';; esac
done)
wargs=$(for i in $(seq 0 69); do
    case $i in 35) printf '(i64.extend_i32_u (local.get 0)) ';;
               36) printf '(f64.const 7.9) ';;
               *) printf '(i32.add (local.get 0) (i32.const %d)) ' "$i";;
    esac
done)
cat >"$tmp/wide70.wat" <<WAT
(module
  (func \$w (export "w") (param $wparams) (result i64)
    (i64.add (i64.add (i64.extend_i32_u (local.get 0))
                      (i64.mul (i64.extend_i32_u (local.get 69))
                               (i64.const 1000)))
             (i64.add (local.get 35)
                      (i64.mul (i64.trunc_f64_s (local.get 36))
                               (i64.const 100000)))))
  (func (export "call_w") (param i32) (result i64) (call \$w $wargs)))
WAT
hostargs=$(for i in $(seq 1 70); do
    case $i in 36) printf '3000000000 ';; 37) printf '2.5 ';; *) printf '%d ' "$i";;
    esac
done)
if wat2wasm "$tmp/wide70.wat" -o "$tmp/wide70.wasm"; then
    for lv in 0 2; do
        # shellcheck disable=SC2086
        expect "wide params -O$lv host" 0 "3000270001" \
            run w -O$lv "$tmp/wide70.wasm" $hostargs
        expect "wide params -O$lv wasm" 0 "774010" \
            run call_w -O$lv "$tmp/wide70.wasm" 5
    done
else
    failed=$((failed + 1)); echo "FAIL wide params: wat2wasm"
fi

# wide params and several results at once (one buffer in the trampoline)
wat2wasm "$src/wide-multi.wat" -o "$tmp/wide-multi.wasm" || exit 1
for lv in 0 2; do
    # shellcheck disable=SC2046
    out=$(run w -O$lv "$tmp/wide-multi.wasm" $(seq 1 70) 2>&1 | tr '\n' ' ')
    check_eq "wide params, 4 results -O$lv host" "70 3 69 nan:0x200001 " "$out"
    out=$(run c -O$lv "$tmp/wide-multi.wasm" 5 2>&1 | tr '\n' ' ')
    check_eq "wide params, 4 results -O$lv wasm" "5 10 5 nan:0x200001 " "$out"
done

# implementation limits and compile caps: exit 3 (docs/limits.md)
printf '(module (type (func (param %s))))' "$(printf 'i32 %.0s' $(seq 1001))" \
    >"$tmp/wide.wat"
if wat2wasm "$tmp/wide.wat" -o "$tmp/wide.wasm"; then
    expect "limit: validate" 3 "1001 parameters of a function type, more than the limit of 1000" \
        "$moat" validate "$tmp/wide.wasm"
    expect "limit: compile" 3 "1001 parameters" \
        "$moat" compile "$tmp/wide.wasm" -o "$tmp/wide.o"
    expect "limit: run" 3 "1001 parameters" "$moat" run "$tmp/wide.wasm"
else
    failed=$((failed + 1)); echo "FAIL limits: wat2wasm"
fi
expect "compile cap: run time" 3 \
    "compilation exceeded the time limit of 0.001 s" \
    "$moat" run --no-cache --compile-timeout 1ms --invoke add "$w" 1 2
# a module whose compilation surely takes more than 1 MiB (a small one can
# fit in what the forked compiler process already has mapped)
{ printf '(module (func (export "f") (result i32) i32.const 0'
  for i in $(seq 20000); do printf ' i32.const %d i32.add' "$i"; done
  printf '))'; } >"$tmp/capmem.wat"
wat2wasm "$tmp/capmem.wat" -o "$tmp/capmem.wasm" || exit 1
expect "compile cap: run memory" 3 \
    "compilation exceeded the memory limit of 1 MiB" \
    "$moat" run --no-cache --compile-memory 1M --invoke f "$tmp/capmem.wasm"
expect "compile cap: run none" 0 "3" \
    "$moat" run --no-cache --compile-timeout none --compile-memory none \
    --invoke add "$w" 1 2
expect "compile cap: generous" 0 "3" \
    "$moat" run --no-cache --compile-timeout 5m --compile-memory 4G \
    --invoke add "$w" 1 2
expect "compile cap: bad value" 2 "want a duration" \
    "$moat" run --compile-timeout soon "$w"
# 3,000 functions: about a second and 100 MB to compile at -O2
{ printf '(module\n'
  for i in $(seq 3000); do
      printf '(func (export "f%d") (param i32) (result i32) (i32.add (local.get 0) (i32.const %d)))\n' "$i" "$i"
  done
  printf ')\n'; } >"$tmp/many.wat"
wat2wasm "$tmp/many.wat" -o "$tmp/many.wasm" || failed=$((failed + 1))
expect "compile cap: compile time" 3 "exceeded the time limit of 0.05 s" \
    "$moat" compile --compile-timeout 50ms "$tmp/many.wasm" -o "$tmp/capped.o"
expect "compile cap: compile memory" 3 "exceeded the memory limit of 16 MiB" \
    "$moat" compile --compile-memory 16M "$tmp/many.wasm" -o "$tmp/capped.o"
expect "compile cap: compile ok" 0 "" \
    "$moat" compile --compile-memory 1G --compile-timeout 5m \
    "$tmp/many.wasm" -o "$tmp/capped.o"
expect "compile cap: run ok" 0 "3007" \
    "$moat" run --no-cache --compile-timeout 10m --invoke f3000 \
    "$tmp/many.wasm" 7

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
expect "run .so refused: cannot be verified" 1 \
    "a shared object cannot be verified" run add "$tmp/c.so" 2 3
expect "run .so --no-verify" 0 "5" "$moat" run --no-verify --invoke add \
    "$tmp/c.so" 2 3
expect "emit-llvm" 0 "" "$moat" compile --emit-llvm -O0 "$w" -o "$tmp/c.ll"
expect "emit-llvm text" 0 "moat_descriptor" cat "$tmp/c.ll"
expect "emit-bc" 0 "" "$moat" compile --emit-bc "$w" -o "$tmp/c.bc"
expect "compile usage" 2 "usage" "$moat" compile
expect "compile bad target" 2 "unknown target 'nonsense-x-y'" \
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

# atomics whose result is unused or that change nothing still trap
# (test/regress/diff-atomic-unused.wat)
for o in 0 1 2 3; do
    "$moat" compile -O$o "$src/../regress/diff-atomic-unused.wasm" \
        -o "$tmp/au.o"
    for e in rmw8_add0 rmw_or0 load cmpxchg_same; do
        expect "unused atomic $e -O$o" 134 "out of bounds memory access" \
            run "$e" "$tmp/au.o" 65536
    done
done

# signalling NaNs (test/regress/snan.wat): arithmetic results quieted,
# copies and multi-value results bit for bit, at -O0 and -O2. Each line:
# export, arguments (comma-separated, - for none), results (comma-joined).
snan=$src/../regress/snan.wasm
while read -r name args want; do
    [ "$args" = - ] && args=
    for o in 0 2; do
        # shellcheck disable=SC2086  # the arguments split on purpose
        out=$("$moat" run -O$o --invoke "$name" "$snan" ${args//,/ } 2>&1 |
              paste -sd,)
        expect "snan $name -O$o" 0 "" test "$out" = "$want"
        [ "$out" = "$want" ] || echo "  snan $name -O$o gave: $out"
    done
done <<'EOF'
vmul1 nan:0x200001 nan:0x600001
vdiv1_f64 nan:0x4000000000001 nan:0xc000000000001
mul_local nan:0x200001 nan:0x600001
add_local_f64 nan:0x4000000000001 nan:0xc000000000001
sub_local nan:0x200001 nan:0x600001
div_local_f64 nan:0x4000000000001 nan:0xc000000000001
add_consts - nan:0x600001
sub_consts_f64 - nan:0xc000000000001
min_consts - nan:0x600001
max_consts_f64 - nan:0xc000000000001
vadd_consts - nan:0x600001
vsub_consts_f64 - nan:0xc000000000001
sqrt_const - nan:0x600001
nearest_f64 nan:0x4000000000001 nan:0xc000000000001
vfloor nan:0x200001 nan:0x600001
demote_promote nan:0x200001 nan:0x600001
vdemote_promote nan:0x200001 nan:0x600001
lanes_as_f64 0,0x7ff4000000000001 9222246136947933185
mem_times_one 0x7fa00001 2145386497
cross_shape nan:0x200001 9214364844040388609
abs_neg -nan:0x200001 nan:0x200001
copysign_f64 -nan:0x4000000000001 nan:0x4000000000001
vpmin nan:0x200001 nan:0x200001
vpmax_f64 nan:0x4000000000001 nan:0x4000000000001
select nan:0x200001,1 nan:0x200001
three nan:0x200001 nan:0x200001,nan:0x200001,nan:0x200001
three_f64 nan:0x4000000000001 nan:0x4000000000001,nan:0x4000000000001,nan:0x4000000000001
third_f64 nan:0x4000000000001 nan:0x4000000000001
EOF

# bad input: a clear error, never a crash
printf '\0asm\1\0\0\0\1\11\1' > "$tmp/bad.wasm"
expect "invalid module" 1 "error: malformed module" "$moat" validate "$tmp/bad.wasm"
expect "compile invalid" 1 "error:" "$moat" compile "$tmp/bad.wasm" -o "$tmp/b.o"
head -c 100 "$tmp/c.o" > "$tmp/trunc.o"
expect "truncated object" 1 "contract" run add "$tmp/trunc.o" 1 2

# input of any size or kind: refused, never read forever (docs/cli.md,
# "Input files"); each command under a watchdog
bounded() { timeout 20 "$moat" "$@"; }
for c in validate inspect; do
    expect "$c /dev/zero" 2 "moat: /dev/zero: not a regular file or a pipe" \
        bounded $c /dev/zero
    expect "$c directory" 2 "moat: $tmp: is a directory" bounded $c "$tmp"
done
expect "compile /dev/zero" 2 "/dev/zero: not a regular file" \
    bounded compile /dev/zero -o "$tmp/z.o"
expect "run /dev/zero" 2 "/dev/zero: not a regular file" bounded run /dev/zero
expect "run --invoke /dev/zero" 2 "/dev/zero: not a regular file" \
    bounded run --invoke f /dev/zero
expect "run directory" 2 "is a directory" bounded run "$tmp"
head -c 2048 /dev/zero > "$tmp/big.wasm"
expect "file above the limit" 2 \
    "moat: $tmp/big.wasm: larger than the limit of 1024 bytes" \
    env MOAT_TEST_FILE_LIMIT=1024 timeout 20 "$moat" validate "$tmp/big.wasm"
expect "run file above the limit" 2 "larger than the limit of 1024 bytes" \
    env MOAT_TEST_FILE_LIMIT=1024 timeout 20 "$moat" run "$tmp/big.wasm"
expect "endless pipe" 2 \
    "moat: /dev/stdin: larger than the limit of 1048576 bytes" \
    sh -c 'yes | MOAT_TEST_FILE_LIMIT=1048576 timeout 20 "$0" validate /dev/stdin' \
    "$moat"
expect "endless pipe, run" 2 "larger than the limit of 1048576 bytes" \
    sh -c 'yes | MOAT_TEST_FILE_LIMIT=1048576 timeout 20 "$0" run /dev/stdin' \
    "$moat"
expect "wasm through a pipe" 0 "5" \
    sh -c '"$0" run --invoke add /dev/stdin 2 3 < "$1"' "$moat" "$w"
expect "object through a pipe" 0 "5" \
    sh -c 'cat "$1" | "$0" run --invoke add /dev/stdin 2 3' "$moat" "$tmp/c.o"
mkfifo "$tmp/fifo"
(yes > "$tmp/fifo" 2>/dev/null &)
expect "endless fifo" 2 "larger than the limit of 1048576 bytes" \
    env MOAT_TEST_FILE_LIMIT=1048576 timeout 20 "$moat" validate "$tmp/fifo"
# a FIFO nobody writes to: opening it waits for a writer, as cat does
# (documented); the watchdog ends the wait
expect "fifo without writer waits" 124 "" \
    timeout 2 "$moat" validate "$tmp/fifo"

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
