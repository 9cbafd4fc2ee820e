#!/bin/sh
# wast-spec.sh MOAT SPECDIR - `moat wast` over every .wast of the 2.0
# spec suite: prints its totals, fails on any failed command.
[ -d "$2" ] || { echo "SKIP: no spec suite at $2"; exit 77; }
"$1" wast "$2"/*.wast >"${TMPDIR:-/tmp}/moat-wast-spec.$$" 2>&1
status=$?
grep -v ': [0-9]* passed, 0 failed, 0 skipped$' \
    "${TMPDIR:-/tmp}/moat-wast-spec.$$"
rm -f "${TMPDIR:-/tmp}/moat-wast-spec.$$"
exit $status
