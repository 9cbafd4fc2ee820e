#!/usr/bin/env bash
# test.sh - the whole test suite: unit tests, the spec suite runner and a
# fuzz smoke run on a release-style build, then unit and spec tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer with -Werror.
set -euo pipefail
cd "$(dirname "$0")/.."

# Per test, the totals its runner printed: the last "N passed, N failed"
# line, or cmocka's PASSED/FAILED counts; a test that ran nothing shows.
totals() {
    echo "== test totals ($1)"
    awk '
        /^test:/ { if (name != "") print "  " name ": " (last ? last : "(no totals printed)")
                   name = $2 " " $3 " " $4; last = "" }
        /[0-9]+ passed, [0-9]+ failed/ { last = $0; sub(/^ +/, "", last) }
        /^\[  PASSED  \] [0-9]+ test/ { last = "cmocka: " $4 " passed" }
        /^\[  FAILED  \] [0-9]+ test/ { last = last ", " $4 " failed" }
        END { if (name != "") print "  " name ": " (last ? last : "(no totals printed)") }
    ' "$1/meson-logs/testlog.txt"
}

scripts/deps.sh
# -Dtest_knobs=true: the broken-lowering test (test/verify) needs it
[ -f build/build.ninja ] || meson setup build -Dtest_knobs=true
meson configure build -Dtest_knobs=true
ninja -C build
meson test -C build --print-errorlogs --num-processes 2
totals build

[ -f build-asan/build.ninja ] ||
    meson setup build-asan -Db_sanitize=address,undefined -Dbuildtype=debug \
        -Dwerror=true -Dtest_knobs=true
meson configure build-asan -Dtest_knobs=true
ninja -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 \
    --no-suite fuzz
totals build-asan
