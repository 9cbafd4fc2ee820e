#!/bin/sh
# check.sh MOAT ALPHA.wasm BETA.wasm ALPHA.o ALPHA.h BETA.o BETA.h INCLUDE
# Plugin objects and headers on their own: the headers compile as C99 and
# C++17 with warnings as errors; a named object defines one global symbol,
# NAME_descriptor, also when compiled in partitions (-j2, merged with
# ld.lld -r and localised); without --name nothing changed; the CLI's
# errors for bad names exit 2. Prints `N passed, N failed`.
moat=$1 alpha_wasm=$2 beta_wasm=$3 alpha_o=$4 alpha_h=$5 beta_o=$6 beta_h=$7
inc=$8
pass=0 fail=0 skip=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { desc=$1; shift; if "$@" >"$tmp/out" 2>&1; then ok; else
          bad "$desc"; cat "$tmp/out"; fi; }

# the global symbols an object defines, one per line
defined() { nm -g --defined-only "$1" | awk '{ print $3 }' | sort; }

for h in "$alpha_h" "$beta_h"; do
    printf '#include "%s"\n' "$(realpath "$h")" >"$tmp/h.c"
    cp "$tmp/h.c" "$tmp/h.cc"
    check "$h as C99" gcc -std=c99 -Wall -Wextra -Wpedantic -Werror \
        -I"$inc" -c "$tmp/h.c" -o "$tmp/h.o"
    check "$h as C++17" g++ -std=c++17 -Wall -Wextra -Wpedantic -Werror \
        -I"$inc" -c "$tmp/h.cc" -o "$tmp/h.o"
done

check "alpha.o defines only alpha_descriptor" \
    test "$(defined "$alpha_o")" = alpha_descriptor
check "beta.o defines only beta_descriptor" \
    test "$(defined "$beta_o")" = beta_descriptor
# in two partitions: the functions one partition calls in another are
# hidden globals until llvm-objcopy --localize-hidden
check "compile -j2 --name" "$moat" compile -j2 --name alpha -c "$alpha_wasm" \
    -o "$tmp/j2.o"
check "alpha -j2 defines only alpha_descriptor" \
    test "$(defined "$tmp/j2.o")" = alpha_descriptor
check "alpha -j2 undefined: helpers and its code bounds" sh -c \
    "! nm -g --undefined-only '$tmp/j2.o' | awk '{ print \$2 }' |
     grep -v -e '^moatR_' -e '^__start_moat_text_alpha\$' \
        -e '^__stop_moat_text_alpha\$'"
check "compile -j2 without --name" "$moat" compile -j2 -c "$alpha_wasm" \
    -o "$tmp/plain.o"
check "without --name: moat_descriptor" sh -c \
    "nm -g --defined-only '$tmp/plain.o' | grep -q ' moat_descriptor\$'"

# Moat's own loader takes a named object too (the code bounds are the
# linker's: loaded, the image's code spans serve)
check "moat run --invoke fib alpha.o" sh -c \
    "test \"\$('$moat' run --invoke fib '$alpha_o' 20)\" = 6765"
check "moat run --invoke fib (-j2)" sh -c \
    "test \"\$('$moat' run --invoke fib '$tmp/j2.o' 20)\" = 6765"

# usage errors: exit 2 and a message naming the problem
usage() {
    desc=$1; shift
    "$moat" compile "$@" >"$tmp/out" 2>&1
    st=$?
    if [ "$st" -eq 2 ] && grep -q "C identifier" "$tmp/out"; then ok; else
        bad "$desc: exit $st"; cat "$tmp/out"; fi
}
usage "--name 9lives" --name 9lives -c "$alpha_wasm" -o "$tmp/x.o"
usage "--name a-b" --name a-b -c "$alpha_wasm" -o "$tmp/x.o"
usage "--header my-plugin.h" --header "$tmp/my-plugin.h" -c "$alpha_wasm" \
    -o "$tmp/x.o"
# --header alone: the prefix is the file's name, no descriptor declared
check "--header without --name" "$moat" compile --header "$tmp/solo.h" \
    -c "$beta_wasm" -o "$tmp/solo.o"
check "solo.h: solo_twice, no descriptor" sh -c \
    "grep -q '^solo_twice(moat_instance \*inst' '$tmp/solo.h' &&
     ! grep -q 'solo_descriptor' '$tmp/solo.h'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
