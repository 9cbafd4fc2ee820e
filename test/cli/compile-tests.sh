#!/usr/bin/env bash
# compile-tests.sh MOAT SRCDIR - `moat compile` in a pipeline (docs/cli.md,
# "moat compile"): -mcpu and --target (native, bad values: exit 2 with a
# message, never an LLVM abort), --help of every command, --version, -o -
# and - for stdin, default output names, and `moat run` refusing an
# object made for another machine. Prints "N passed, N failed, N skipped".
set -uo pipefail
moat=$(realpath "$1") src=$2      # absolute: some checks run elsewhere
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0
export MOAT_CACHE_DIR=$tmp/cache

# expect NAME WANT_EXIT WANT_OUTPUT_SUBSTRING COMMAND... (stdout + stderr)
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

# ok NAME COMMAND...: passes when COMMAND succeeds
ok() {
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL %s\n' "$name"
    fi
}

skip() {
    skipped=$((skipped + 1))
    printf 'SKIP %s: %s\n' "$1" "$2"
}

wat2wasm --enable-all "$src/cases.wat" -o "$tmp/cases.wasm" || exit 1
w=$tmp/cases.wasm

# ---- -mcpu and --target: values LLVM aborted on are exit 2 ----
expect "-mcpu=native compiles" 0 "" \
    "$moat" compile -mcpu=native "$w" -o "$tmp/native.o"
expect "-mcpu=native runs here" 0 "5" \
    "$moat" run --invoke add "$tmp/native.o" 2 3
for bad in bogus i686; do
    out=$("$moat" compile -mcpu=$bad "$w" -o "$tmp/bad.o" 2>&1); rc=$?
    ok "-mcpu=$bad exits 2 (got $rc)" test "$rc" -eq 2
    ok "-mcpu=$bad names the CPU" grep -q "CPU '$bad'" <<<"$out"
    ok "-mcpu=$bad points at -mcpu=help" grep -qF -- "-mcpu=help" <<<"$out"
    ok "-mcpu=$bad: no LLVM warning or abort" \
        test -z "$(grep -E 'LLVM ERROR|not a recognized processor' <<<"$out")"
    ok "-mcpu=$bad writes nothing" test ! -e "$tmp/bad.o"
done
expect "--target bogus" 2 "unknown target 'bogus'" \
    "$moat" compile --target bogus "$w" -o "$tmp/bad.o"
expect "--target=aarch64 (LLVM aborted)" 2 \
    "target 'aarch64-linux-gnu' is not supported" \
    "$moat" compile --target=aarch64-linux-gnu "$w" -o "$tmp/bad.o"
expect "--target x86_64-linux-gnu compiles" 0 "" \
    "$moat" compile --target x86_64-linux-gnu "$w" -o "$tmp/x86.o"
expect "--target x86_64-linux-gnu runs here" 0 "5" \
    "$moat" run --invoke add "$tmp/x86.o" 2 3
expect "-mcpu=help lists native" 0 "  native" "$moat" compile -mcpu=help
expect "-mcpu=help lists x86-64-v3" 0 "  x86-64-v3" "$moat" compile -mcpu=help
out=$("$moat" compile -mcpu=help 2>/dev/null)
ok "-mcpu=help leaves out 32-bit CPUs" test -z "$(grep -x '  i686' <<<"$out")"
# a named CPU compiles (for -S, say), and the runtime says why it won't run
expect "-mcpu=skylake -S" 0 "" \
    "$moat" compile -mcpu=skylake -S "$w" -o "$tmp/sky.s"
"$moat" compile -mcpu=skylake "$w" -o "$tmp/sky.o"
expect "-mcpu=skylake object refused" 1 "target CPU 'skylake' cannot be checked" \
    "$moat" run --invoke add "$tmp/sky.o" 2 3

# ---- help and version: exit 0, to stdout ----
for c in validate inspect run compile serve cache; do
    out=$("$moat" $c --help 2>"$tmp/err"); rc=$?
    ok "$c --help exits 0 (got $rc)" test "$rc" -eq 0
    ok "$c --help prints the usage on stdout" \
        grep -q "^usage: moat $c" <<<"$out"
    ok "$c --help writes nothing on stderr" test ! -s "$tmp/err"
done
out=$("$moat" compile --help)
for want in "-mcpu=CPU" "--target TRIPLE" "-o OUT" "x86-64 Linux objects only" \
            "IN.so" "standard input"; do
    ok "compile --help mentions $want" grep -qF -- "$want" <<<"$out"
done
expect "moat --help" 0 "moat COMMAND --help" "$moat" --help
for v in --version -V version; do
    out=$("$moat" $v 2>&1); rc=$?
    ok "moat $v exits 0" test "$rc" -eq 0
    ok "moat $v: version" grep -q "^moat [0-9]" <<<"$out"
    ok "moat $v: ABI version" grep -q "^ABI version [0-9]" <<<"$out"
    ok "moat $v: LLVM version" grep -q "^LLVM [0-9]*\.[0-9]*\.[0-9]*$" <<<"$out"
    ok "moat $v: host target" grep -q "^host target x86_64-.*, CPU " <<<"$out"
done

# without the compiler library: still exit 0, saying why there is no LLVM
mkdir -p "$tmp/solo"
cp "$moat" "$tmp/solo/moat"
out=$(MOAT_COMPILER_LIB=$tmp/none.so "$tmp/solo/moat" -V 2>&1); rc=$?
ok "-V without the library exits 0" test "$rc" -eq 0
if [ -e "$(dirname "$moat")/../lib/libmoat-compiler.so" ] ||
   grep -q "^LLVM [0-9]" <<<"$out"; then
    skip "-V without the library" "an installed libmoat-compiler.so loads"
else
    ok "-V without the library says why" \
        grep -q "^LLVM unknown: cannot load the compiler" <<<"$out"
    ok "-V without the library: the machine" grep -q "^host x86_64 Linux" <<<"$out"
fi

# ---- -o - and - ----
"$moat" compile "$w" -o "$tmp/file.o"
"$moat" compile "$w" -o - | cat >"$tmp/pipe.o"
ok "-o - to a pipe equals -o FILE" cmp -s "$tmp/file.o" "$tmp/pipe.o"
"$moat" compile -S "$w" -o "$tmp/file.s"
"$moat" compile -S "$w" -o - | cat >"$tmp/pipe.s"
ok "-S -o - equals -S -o FILE" cmp -s "$tmp/file.s" "$tmp/pipe.s"
"$moat" compile -shared "$w" -o - | cat >"$tmp/pipe.so"
expect "-shared -o - runs" 0 "5" "$moat" run --no-verify --invoke add \
    "$tmp/pipe.so" 2 3
"$moat" compile - -o "$tmp/stdin.o" <"$w"
ok "- reads standard input" cmp -s "$tmp/file.o" "$tmp/stdin.o"
cat "$w" | "$moat" compile - -o - | cat >"$tmp/both.o"
ok "- to -, through pipes" cmp -s "$tmp/file.o" "$tmp/both.o"
expect "- past the file limit" 2 "larger than the limit of 100 bytes" \
    sh -c 'MOAT_TEST_FILE_LIMIT=100 "$0" compile - -o "$1" <"$2"' \
    "$moat" "$tmp/lim.o" "$w"
expect "- needs -o" 2 "give -o OUT" sh -c '"$0" compile - <"$1"' "$moat" "$w"
expect "bad module from -" 1 "<stdin>:0x" \
    sh -c 'printf "\0asm\1\0\0\0\1\11\1" | "$0" compile - -o "$1"' \
    "$moat" "$tmp/b.o"
if command -v script >/dev/null; then
    expect "-o - refused on a terminal" 2 "not writing binary output to a terminal" \
        script -qec "\"$moat\" compile \"$w\" -o -" /dev/null
    expect "-S -o - allowed on a terminal" 0 "wasm_f" \
        script -qec "\"$moat\" compile -S \"$w\" -o -" /dev/null
else
    skip "-o - on a terminal" "no script(1)"
fi

# ---- default output names, like cc: IN's name in the current directory ----
mkdir -p "$tmp/in" "$tmp/out"
cp "$w" "$tmp/in/prog.wasm"
cp "$w" "$tmp/in/prog.bin"
for kind in "-c:prog.o" ":prog.o" "-S:prog.s" "-shared:prog.so" \
            "--emit-llvm:prog.ll" "--emit-bc:prog.bc"; do
    flag=${kind%%:*} want=${kind#*:}
    rm -f "$tmp/out"/*
    (cd "$tmp/out" && "$moat" compile $flag ../in/prog.wasm)
    ok "default name for '$flag' is $want" test -s "$tmp/out/$want"
    ok "default name for '$flag': nothing else" \
        test "$(ls "$tmp/out")" = "$want"
done
(cd "$tmp/out" && "$moat" compile ../in/prog.bin)
ok "default name without .wasm appends" test -s "$tmp/out/prog.bin.o"
(cd "$tmp/out" && "$moat" compile -O1 ../in/prog.wasm)
expect "default-named object runs" 0 "5" \
    "$moat" run --invoke add "$tmp/out/prog.o" 2 3

# ---- objects for other machines: refused by moat run ----
llc=$(llvm-config-19 --bindir 2>/dev/null)/llc
if [ -x "$llc" ]; then
    printf 'define i32 @f() {\n  ret i32 1\n}\n' >"$tmp/f.ll"
    "$llc" -mtriple=aarch64-linux-gnu -filetype=obj "$tmp/f.ll" -o "$tmp/arm.o"
    "$llc" -mtriple=i686-linux-gnu -filetype=obj "$tmp/f.ll" -o "$tmp/i686.o"
    expect "aarch64 object refused" 1 \
        "an object for AArch64 (ELF machine 183); this runtime runs x86-64 objects only" \
        "$moat" run "$tmp/arm.o"
    expect "i686 object refused" 1 "not ELF64: an object for a 32-bit machine" \
        "$moat" run "$tmp/i686.o"
else
    skip "foreign objects" "no llc of LLVM 19"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
