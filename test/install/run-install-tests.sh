#!/usr/bin/env bash
# run-install-tests.sh BUILD SRC PREFIX LIBDIR PLUGIN.wasm LIBEXECDIR
#                      [HELLO.wasm] -
# installs the build into a temporary DESTDIR (`meson install --destdir`)
# and uses only what got installed there, as a host program would
# (docs/install.md): the files and their layout, the shared library's
# SONAME and exports, a real static archive that links once copied
# elsewhere, examples/host.c built with pkg-config against the shared and
# the static libmoat, the in-process compiler through moat-compiler.pc,
# the installed `moat` (finding its compiler) and the man page. Prints
# "N passed, N failed, N skipped".
set -u
build=$1 src=$2 prefix=$3 libdir=$4 plugin_wasm=$5 libexecdir=$6
hello_wasm=${7:-}
passed=0 failed=0 skipped=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME COMMAND...: passes when COMMAND succeeds; its output is shown
# on failure only.
check() {
    local name=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL %s: %s\n' "$name" "$*"
        sed 's/^/    /' "$tmp/out" | head -20
    fi
}
skip() { skipped=$((skipped + 1)); printf 'SKIP %s: %s\n' "$1" "$2"; }
# output_is WANT COMMAND...: COMMAND succeeds and prints exactly WANT
output_is() {
    local want=$1 out
    shift
    out=$("$@") || return 1
    [ "$out" == "$want" ] ||
        { printf 'got:\n%s\nwant:\n%s\n' "$out" "$want"; return 1; }
}

root=$tmp/root
case $libdir in
    /*) lib=$root$libdir ;;
    *) lib=$root$prefix/$libdir ;;
esac
check "meson install --destdir" \
    meson install -C "$build" --no-rebuild --destdir "$root"

# ---- what is installed where ----
for f in bin/moat include/moat/moat.h include/moat/moat_wasi.h \
         include/moat/moat_compile.h share/man/man1/moat.1; do
    check "installed $f" test -f "$root$prefix/$f"
done
for f in libmoat.a libmoat.so.0.1.0 libmoat-compiler.so.0.1.0 \
         pkgconfig/moat.pc pkgconfig/moat-static.pc \
         pkgconfig/moat-compiler.pc; do
    check "installed $libdir/$f" test -f "$lib/$f"
done
check "libmoat.so -> libmoat.so.0" \
    test "$(readlink "$lib/libmoat.so")" = libmoat.so.0
check "libmoat.so.0 -> libmoat.so.0.1.0" \
    test "$(readlink "$lib/libmoat.so.0")" = libmoat.so.0.1.0
check "libmoat-compiler.so.0 -> .so.0.1.0" \
    test "$(readlink "$lib/libmoat-compiler.so.0")" = libmoat-compiler.so.0.1.0
case $libexecdir in
    /*) libexec=$root$libexecdir ;;
    *) libexec=$root$prefix/$libexecdir ;;
esac
check "installed $libexecdir/moat/moat-serve" test -x "$libexec/moat/moat-serve"
check "installed $libexecdir/moat/moat-verify" \
    test -x "$libexec/moat/moat-verify"
# `moat run` maps no library it does not use: LLVM is dlopen()ed to
# compile, the server's libraries are moat-serve's (docs/bench-hello.md)
check "moat needs no LLVM, HTTP, TLS, systemd or decoder library" \
    output_is "" sh -c "readelf -d '$root$prefix/bin/moat' |
           grep -E 'NEEDED.*(LLVM|microhttpd|gnutls|systemd|inih|Zydis)' ||
           true"
# nor runs libgcc's CPU-model constructor (CPUIDs; runtime/contract.c
# reads util_cpuid.c's words instead of __builtin_cpu_supports)
check "moat needs no libgcc_s" output_is "" \
    sh -c "readelf -d '$root$prefix/bin/moat' | grep 'NEEDED.*libgcc_s' || true"
check "moat has no __cpu_indicator_init" output_is "" \
    sh -c "nm '$root$prefix/bin/moat' 2>&1 | grep __cpu_indicator_init || true"
check "moat-serve needs libmicrohttpd" \
    sh -c "readelf -d '$libexec/moat/moat-serve' | grep -q 'NEEDED.*microhttpd'"
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
check "libmoat SONAME" output_is libmoat.so.0 soname "$lib/libmoat.so.0.1.0"
check "libmoat-compiler SONAME" output_is libmoat-compiler.so.0 \
    soname "$lib/libmoat-compiler.so.0.1.0"

# ---- exports: the public API only ----
exports() { nm -D --defined-only "$1" | awk '{ print $3 }'; }
# names_other_than REGEX LIB: the exported names of LIB REGEX does not match
names_other_than() { exports "$2" | grep -Ev "$1" || true; }
check "libmoat exports only moat_* (and gdb's JIT names)" output_is "" \
    names_other_than \
    '^(moat_|__jit_debug_register_code$|__jit_debug_descriptor$)' \
    "$lib/libmoat.so.0"
check "libmoat exports no internal moatR_/moatU_ helpers" output_is "" \
    names_other_than '^([^m]|m[^o]|mo[^a]|moa[^t]|moat[^A-Z])' \
    "$lib/libmoat.so.0"
# every function declared by moat.h and moat_wasi.h, and only those
api() { cat "$@" | tr '\n' ' ' | sed 's/__attribute__(([^)]*))//g' |
        grep -oE 'MOAT_API[^;(]*\(' |
        grep -oE 'moat_[a-z0-9_]+ *\($' | tr -d '( ' | sort -u; }
check "libmoat exports exactly the API of moat.h and moat_wasi.h" \
    output_is "$(api "$src/include/moat.h" "$src/include/moat_wasi.h")" \
    sh -c "nm -D --defined-only '$lib/libmoat.so.0' | awk '{ print \$3 }' |
           grep '^moat_' | sort -u"
check "libmoat-compiler exports exactly the API of moat_compile.h" \
    output_is "$(api "$src/include/moat_compile.h")" \
    sh -c "nm -D --defined-only '$lib/libmoat-compiler.so.0' |
           awk '{ print \$3 }' | sort -u"

# ---- the static archive is a real one, usable once copied ----
check "libmoat.a is a normal archive (not thin)" \
    output_is '!<arch>' head -c 7 "$lib/libmoat.a"
mkdir -p "$tmp/elsewhere"
cp "$lib/libmoat.a" "$tmp/elsewhere/"
check "ar t on the copy lists the runtime" \
    sh -c "ar t '$tmp/elsewhere/libmoat.a' | grep -q 'instance.c.o'"

# ---- build hosts with pkg-config alone ----
export PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH=$lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
cc=${CC:-cc}
# a sanitized build's libraries need the sanitizer runtimes in the host too
read -ra cflags <<<"${MOAT_TEST_CFLAGS:-}"
want_host=$(printf '%s\n' "guest says: 5050" \
    "sum_to(100) = 5050 after 1 host call(s)" \
    "divide(7, 0) trapped: integer divide by zero" "divide(7, 2) = 3")

check "installed moat compiles the plugin (finds its compiler)" \
    env LD_LIBRARY_PATH="$lib" "$root$prefix/bin/moat" compile \
    "$plugin_wasm" -o "$tmp/plugin.o"
if [ -e "${lib#"$root"}/libmoat-compiler.so.0" ]; then
    skip "the compiler is found through the library path" \
        "a Moat is installed in ${lib#"$root"} on this machine"
else
    check "the compiler is not found without the library path" \
        sh -c "! env -u LD_LIBRARY_PATH '$root$prefix/bin/moat' compile \
               '$plugin_wasm' -o '$tmp/x.o'"
fi

# shellcheck disable=SC2046  # pkg-config output is a word list
check "host.c builds with pkg-config --cflags --libs moat" \
    "$cc" -o "$tmp/host-shared" "$src/examples/host.c" "${cflags[@]}" \
    $(pkg-config --cflags --libs moat)
check "shared host needs libmoat.so.0" \
    sh -c "readelf -d '$tmp/host-shared' | grep -q 'NEEDED.*libmoat.so.0'"
check "shared host runs" output_is "$want_host" \
    env LD_LIBRARY_PATH="$lib" "$tmp/host-shared" "$tmp/plugin.o"

# libmoat static, the rest shared (moat-static.pc), with the copied
# archive first in the search path; -t shows which archive ld took
# shellcheck disable=SC2046
check "host.c links the copied libmoat.a (moat-static.pc)" \
    "$cc" -o "$tmp/host-static" "$src/examples/host.c" "${cflags[@]}" \
    -L"$tmp/elsewhere" -Wl,-t $(pkg-config --cflags --libs moat-static)
cp "$tmp/out" "$tmp/static-link.log"
check "the copy is the archive linked" \
    grep -q "$tmp/elsewhere/libmoat.a" "$tmp/static-link.log"
check "static host needs no libmoat.so" \
    sh -c "! readelf -d '$tmp/host-static' | grep -q 'NEEDED.*libmoat'"
check "static host runs" output_is "$want_host" \
    env -u LD_LIBRARY_PATH "$tmp/host-static" "$tmp/plugin.o"
# wholly static (cc -static): pkg-config --static names every library
if [ ${#cflags[@]} -eq 0 ]; then
    # shellcheck disable=SC2046
    check "host.c links wholly static (pkg-config --static --libs moat)" \
        "$cc" -static -o "$tmp/host-allstatic" "$src/examples/host.c" \
        $(pkg-config --cflags --static --libs moat)
    # a static program cannot load the checker's library: refused with
    # that reason, and it runs what it trusts
    check "wholly static host refuses to run unverified code" sh -c \
        "'$tmp/host-allstatic' '$tmp/plugin.o' 2>&1 | grep -q 'linked statically'"
    check "wholly static host runs a trusted plugin" output_is "$want_host" \
        "$tmp/host-allstatic" "$tmp/plugin.o" --trusted
else
    skip "wholly static host" "sanitizer runtimes do not link with -static"
fi

# shellcheck disable=SC2046
check "compile_in_process.c builds with moat-compiler.pc" \
    "$cc" -o "$tmp/cip" "$src/examples/compile_in_process.c" "${cflags[@]}" \
    $(pkg-config --cflags --libs moat-compiler)
check "in-process compiler compiles and runs plugin.wasm" \
    output_is "$(printf 'guest says: 55\nsum_to(10) = 55')" \
    env LD_LIBRARY_PATH="$lib" "$tmp/cip" "$plugin_wasm" 10

# ---- the installed moat runs a WASI program ----
if [ -n "$hello_wasm" ] && [ -f "$hello_wasm" ]; then
    check "installed moat run hello.wasm" \
        output_is "hello from wasm, install" \
        env LD_LIBRARY_PATH="$lib" MOAT_CACHE_DIR="$tmp/cache" \
        "$root$prefix/bin/moat" run --env WHO=install "$hello_wasm"
else
    skip "installed moat run hello.wasm" "no hello.wasm (clang-19 + wasi-libc)"
fi

# ---- the installed moat serve runs the installed moat-serve ----
check "installed moat serve --help (execs moat-serve)" \
    sh -c "env LD_LIBRARY_PATH='$lib' '$root$prefix/bin/moat' serve --help |
           grep -q ROUTES"

check "installed moat verify --help (execs moat-verify)" \
    sh -c "env LD_LIBRARY_PATH='$lib' '$root$prefix/bin/moat' verify --help |
           grep -q 'not checked'"

# ---- the man page: renders cleanly, names every command and option ----
man1=$root$prefix/share/man/man1/moat.1
if command -v groff >/dev/null; then
    check "moat.1 renders without warnings" \
        output_is "" sh -c "groff -man -Tutf8 -ww -z '$man1' 2>&1"
else
    skip "moat.1 renders without warnings" "no groff (groff-base)"
fi
man_text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\c//g' "$man1")
moat=$root$prefix/bin/moat
# every word of the CLI's own usage texts that is a command or an option
words=$( { "$moat" --help; "$moat" compile 2>&1; "$moat" run --help 2>&1
           "$moat" serve --help; "$moat" verify --help; } |
         grep -oE '(^  [a-z]+ )|(-(-?[a-z][a-z-]*|O[0-3]|j|c|S|h)\b)' |
         sed 's/^ *//; s/ *$//' | sort -u)
absent=""
for w in $words; do
    grep -qF -- "$w" <<<"$man_text" || absent="$absent $w"
done
check "moat.1 covers every command and option of the usage texts" \
    test -z "$absent"
[ -n "$absent" ] && echo "    not in moat.1:$absent"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
