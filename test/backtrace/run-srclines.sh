#!/usr/bin/env bash
# run-srclines.sh MOAT DIR [SKIP-REASON]: `moat run`'s trap report on C++
# and Rust programs built with -g (DIR/srcline-O*.wasm, srcline-rs.wasm),
# compiled by moat at -O0 and -O2: every expected frame is there,
# demangled, with FILE:LINE of the line its source marks with "// @NAME".
# Prints "N passed, N failed"; exit 77 when the guests could not be built.
set -u
moat=$1 dir=$2 src=$(dirname "$0")/guests
pass=0 fail=0
[ $# -ge 3 ] && { echo "0 passed, 0 failed, 1 skipped ($3)"; exit 77; }

line_of() { grep -n "// @$2\$" "$src/$1" | cut -d: -f1; }

# check WASM MOAT_OPT LABEL FILE "FRAME_REGEX MARKER"...
check() {
    local wasm=$1 opt=$2 file=$3 out rc
    shift 3
    out=$(MOAT_CACHE_DIR="$dir/srcline-cache" "$moat" run $opt "$wasm" 2>&1)
    rc=$?
    if [ $rc -ne 134 ]; then
        echo "FAIL $wasm $opt: exit $rc, not 134 (trap)"; echo "$out"
        fail=$((fail + 1)); return
    fi
    for want in "$@"; do
        local frame=${want% *} marker=${want##* } ln
        ln=$(line_of "$file" "$marker")
        if grep -Eq "^  #[0-9]+ $frame.* at [^ ]*$file:$ln(:[0-9]+)?\$" <<<"$out"
        then
            pass=$((pass + 1))
        else
            echo "FAIL $(basename "$wasm") $opt: no frame '$frame' at $file:$ln"
            echo "$out" | sed 's/^/    /'
            fail=$((fail + 1))
        fi
    done
}

for copt in -O0 -O2; do
    for mopt in -O0 -O2; do
        check "$dir/srcline$copt.wasm" "$mopt" srcline.cpp \
            'calc::Ratio::per\(int\) const per' 'calc::scale scale' \
            'main main'
    done
done
if [ -f "$dir/srcline-rs.wasm" ]; then
    for mopt in -O0 -O2; do
        check "$dir/srcline-rs.wasm" "$mopt" srcline.rs \
            'srcline::divide divide' 'srcline::main main'
    done
    skipped=0
else
    echo "skipped: Rust (Debian's rustc with libstd-rust-dev-wasm32 not found)"
    skipped=1
fi
echo "$pass passed, $fail failed, $skipped skipped"
[ $fail -eq 0 ]
