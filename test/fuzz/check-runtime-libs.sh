#!/usr/bin/env bash
# check-runtime-libs.sh BUILD_DIR: the scripts that link libmoat.a by hand
# (build-fuzz.sh, test/zlib, bench/zlib) take its libraries from
# MOAT_RUNTIME_LIBS in sources.sh; meson knows them from runtime_deps and
# writes them into moat-static.pc. Every library the .pc names must be in
# the list, so that adding a dependency to libmoat cannot break them
# unnoticed. Prints "N passed, N failed".
set -u
here=$(dirname "$0")
. "$here/sources.sh"
pc=$(PKG_CONFIG_PATH="$1/meson-uninstalled" pkg-config --libs-only-l \
     moat-static-uninstalled 2>&1) ||
    { echo "0 passed, 1 failed (pkg-config: $pc)"; exit 1; }
pass=0 fail=0
for w in $pc; do
    case $w in -l:libmoat.a) continue ;; esac
    if [[ " ${MOAT_RUNTIME_LIBS[*]} " == *" $w "* ]]; then
        pass=$((pass + 1))
    else
        echo "FAIL: moat-static.pc links $w, MOAT_RUNTIME_LIBS (test/fuzz/sources.sh) does not"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
