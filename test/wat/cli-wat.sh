#!/bin/sh
# cli-wat.sh MOAT SRCDIR - the CLI takes WebAssembly text: validate,
# inspect, compile and run a .wat, decided by content (no "\0asm"), and
# a syntax error names FILE:LINE:COL. Prints "N passed, N failed".
moat=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export MOAT_CACHE_DIR="$tmp/cache"
pass=0 fail=0
check() {   # check NAME EXPECTED-STATUS GOT-STATUS [PATTERN FILE]
    if [ "$2" = "$3" ] && { [ -z "$4" ] || grep -q -- "$4" "$5"; }; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $1: status $3 (want $2)${4:+, want /$4/ in:}"
        [ -n "$5" ] && cat "$5"
    fi
}

"$moat" validate "$src/hello.wat" 2>"$tmp/err"
check "validate hello.wat" 0 $?
printf '(module\n  (func (result i32)\n    (i32.add (i32.const 1) (i32.const 2)\n)' \
    >"$tmp/bad.wat"
"$moat" validate "$tmp/bad.wat" 2>"$tmp/err"
check "syntax error" 1 $? \
    "bad.wat:4:2: error: expected ')', got end of input" "$tmp/err"
printf '(module (func (result i32) (i64.const 1)))' >"$tmp/inv.wat"
"$moat" validate "$tmp/inv.wat" 2>"$tmp/err"
check "invalid module, at its line and column" 1 $? \
    "inv.wat:1:29: error: invalid module: type mismatch" "$tmp/err"
# no .wat suffix needed: the content decides
cp "$src/hello.wat" "$tmp/hello.txt"
"$moat" inspect "$tmp/hello.txt" >"$tmp/out" 2>&1
check "inspect" 0 $? "imports: .*fd_write\|fd_write" "$tmp/out"
(cd "$tmp" && "$moat" compile "$src/hello.wat") >"$tmp/out" 2>&1
check "compile (default output hello.o)" 0 $?
[ -f "$tmp/hello.o" ]
check "hello.o written" 0 $?
"$moat" run "$src/hello.wat" >"$tmp/out" 2>&1
check "run hello.wat" 0 $? "^hello from text$" "$tmp/out"
"$moat" run "$tmp/hello.o" >"$tmp/out" 2>&1
check "run the compiled hello.o" 0 $? "^hello from text$" "$tmp/out"
# a binary that is neither wasm nor ELF is not taken for text
printf '\0as' >"$tmp/cut.wasm"
"$moat" validate "$tmp/cut.wasm" 2>"$tmp/err"
check "a cut binary is not text" 1 $? "cut.wasm:0x.*error: malformed" \
    "$tmp/err"
# moat wast: every false assertion of wrong.wast is a failure
"$moat" wast "$src/wrong.wast" >"$tmp/out" 2>&1
check "moat wast counts failures" 1 $? \
    "^2 passed, 13 failed, 1 skipped$" "$tmp/out"
"$moat" wast -v "$src/wrong.wast" >"$tmp/out" 2>&1
check "moat wast -v names the unknown command" 1 $? \
    "wrong.wast:24: skipped: a command moat wast does not know" "$tmp/out"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
