#!/bin/sh
# run-cli-debug.sh MOAT GUEST.wasm - the DWARF of a -g guest through every
# path of the moat command: inspect on the module, compile (object, -j2,
# -shared), --strip-debug, and the compile cache of `moat run`; `moat
# inspect` on each artifact says whether it carries DWARF. Prints
# "N passed, N failed".
moat=$1
wasm=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect NAME PATTERN COMMAND...: COMMAND succeeds and prints PATTERN
expect() {
    name=$1 pattern=$2
    shift 2
    if out=$("$@" 2>&1) && printf '%s\n' "$out" | grep -Eq "$pattern"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL %s: %s\n%s\n' "$name" "$*" "$out"
    fi
}

expect "inspect module" "^DWARF: [0-9]+ sections, [0-9]+ bytes" \
    "$moat" inspect "$wasm"
expect "compile" "" "$moat" compile "$wasm" -o "$tmp/a.o"
expect "inspect object" "^DWARF: [0-9]{5,} bytes" "$moat" inspect "$tmp/a.o"
expect "compile -j2" "" "$moat" compile -j2 "$wasm" -o "$tmp/j.o"
expect "inspect -j2 object" "^DWARF: [0-9]{5,} bytes" \
    "$moat" inspect "$tmp/j.o"
expect "compile -shared" "" "$moat" compile -shared "$wasm" -o "$tmp/a.so"
expect "inspect shared object" "^DWARF: [0-9]{5,} bytes" \
    "$moat" inspect "$tmp/a.so"
expect "compile --strip-debug" "" \
    "$moat" compile --strip-debug "$wasm" -o "$tmp/s.o"
expect "inspect stripped object" "^DWARF: none" "$moat" inspect "$tmp/s.o"
size_a=$(wc -c < "$tmp/a.o")
size_s=$(wc -c < "$tmp/s.o")
expect "stripped is smaller" "" test "$size_s" -lt "$size_a"
MOAT_CACHE_DIR="$tmp/cache" "$moat" run "$wasm" 7 > /dev/null 2>&1
entry=$(ls "$tmp"/cache/*.o 2>/dev/null | head -n 1)
expect "cache entry" "" test -n "$entry"
expect "inspect cache entry" "^DWARF: [0-9]{5,} bytes" \
    "$moat" inspect "${entry:-/nonexistent}"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
