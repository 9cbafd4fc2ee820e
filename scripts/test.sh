#!/usr/bin/env bash
# test.sh - the whole test suite: unit tests, the spec suite runner and a
# fuzz smoke run on a release-style build, then unit and spec tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer with -Werror.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
meson test -C build --print-errorlogs --num-processes 2

[ -f build-asan/build.ninja ] ||
    meson setup build-asan -Db_sanitize=address,undefined -Dbuildtype=debug \
        -Dwerror=true
ninja -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 \
    --no-suite fuzz
