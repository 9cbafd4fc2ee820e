#!/usr/bin/env bash
# no-dlopen.sh LIBMOAT - libmoat loads artifacts with its own loader: no
# object of it may reference the dynamic loader's entry points (dlopen,
# dlmopen, dlsym, dlvsym, dladdr), which would run code of a file before
# its contract is checked. One object is allowed them: verify_dl.c, which
# loads Moat's own machine-code checker library (never an artifact).
# Prints `N passed, N failed`.
set -uo pipefail
lib=$1
command -v nm >/dev/null 2>&1 || { echo "nm not found"; exit 1; }
bad=$(nm -u -A "$lib" 2>/dev/null | grep -v 'verify_dl\.c\.o:' |
    grep -wE 'dl(m?open|v?sym|addr)' | sort -u)
if [ -n "$bad" ]; then
    echo "FAIL: $lib references: $bad"
    echo "0 passed, 1 failed"
    exit 1
fi
nm -u "$lib" >/dev/null 2>&1 || { echo "FAIL: nm cannot read $lib"; echo "0 passed, 1 failed"; exit 1; }
echo "1 passed, 0 failed"
