#!/usr/bin/env bash
# run-gdb.sh HOST GUEST.wasm - gdb stops in a host function called by the
# guest (perfgdb_host gdb: host <- leaf <- mid); its bt names the guest
# frames, from the symbol files of the GDB JIT interface, between the host
# function and moat_instance_call. Skips (77) without gdb or ptrace.
set -u
host=$1 guest=$2
pass=0 fail=0
check() {   # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}

if ! command -v gdb >/dev/null; then
    echo "skipped: gdb is not installed"; exit 77
fi
probe=$(gdb -batch -nx -ex run --args /bin/true 2>&1)
if grep -qiE 'ptrace|not permitted' <<<"$probe"; then
    echo "skipped: gdb cannot trace here:"; echo "$probe" | head -3; exit 77
fi

# LeakSanitizer cannot run under ptrace (ASan builds of the host)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
out=$(timeout 100 gdb -batch -nx \
    -ex 'set debuginfod enabled off' -ex 'set pagination off' \
    -ex 'break perfgdb_host_fn' -ex run -ex bt -ex continue \
    --args "$host" gdb "$guest" 2>&1)
bt=$(grep -E '^#[0-9]+ ' <<<"$out")
echo "--- gdb bt:"; echo "$bt"
# NAMES: the function of each frame, in order
names=$(sed -E 's/^#[0-9]+ +(0x[0-9a-f]+ in )?([^ (]+).*/\2/' <<<"$bt")
frame_of() { grep -nxF "$1" <<<"$names" | head -1 | cut -d: -f1; }
f_host=$(frame_of perfgdb_host_fn) f_leaf=$(frame_of leaf)
f_mid=$(frame_of mid) f_call=$(frame_of moat_instance_call)
check "gdb stopped in the host function" test "${f_host:-0}" = 1
check "bt names leaf, the guest's caller" test "${f_leaf:-0}" = 2
check "then mid" test "${f_mid:-0}" = 3
check "bt reaches moat_instance_call below the guest" \
    test "${f_call:-0}" -gt "${f_mid:-99}"
unknown=$(head -n "${f_mid:-3}" <<<"$names" | grep -c '^??$')
check "no ?? frame among the guest's" test "$unknown" -eq 0
check "the program ran to its end" grep -q 'mid(5) = 14' <<<"$out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
