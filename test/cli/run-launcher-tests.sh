# run-launcher-tests.sh - sourced by run-cli-tests.sh (its helpers, $moat,
# $src, $tmp, the counters): `moat run PROG ARGS...` as a launcher of WASI
# programs, its exit statuses and options, and the compile cache. Guest
# programs come from .wat files and from guest/guest.c, built here with
# clang-19 for wasm32-wasi; without that toolchain its checks are skipped
# and counted.

# check NAME COMMAND...: passes when COMMAND succeeds (for file state)
check() {
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL %s: %s\n' "$name" "$*"
    fi
}

# expect_out NAME WANT_EXIT WANT_STDOUT COMMAND...: stdout exactly
expect_out() {
    local name=$1 want_rc=$2 want=$3
    shift 3
    local out rc
    out=$("$@" 2>"$tmp/stderr"); rc=$?
    if [ "$rc" -eq "$want_rc" ] && [ "$out" == "$want" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL %s: exit %s (want %s), stdout:\n%s\nwant:\n%s\n' \
            "$name" "$rc" "$want_rc" "$out" "$want"
        cat "$tmp/stderr"
    fi
}

nentries() { find "$MOAT_CACHE_DIR" -name '*.o' 2>/dev/null | wc -l; }
ntmp() { find "$MOAT_CACHE_DIR" -name '*.tmp.*' 2>/dev/null | wc -l; }

# ---- no LLVM in the executable: the compiler is loaded when needed ----
check "moat links no LLVM" test "$(ldd "$moat" | grep -c LLVM)" -eq 0
lib=$(dirname "$moat")/libmoat-compiler.so.0
check "compiler library beside moat" test -f "$lib"
check "compiler library exports moat_compile" \
    sh -c "nm -D --defined-only '$lib' | grep -qw moat_compile"
expect "no compiler: clear error" 1 \
    "moat: cannot load the compiler (libmoat-compiler.so.0):" \
    env -u LD_LIBRARY_PATH \
        MOAT_COMPILER_LIB=/nonexistent/libmoat-compiler.so \
    sh -c 'cp "$0" "$1/moat-alone" &&
           "$1/moat-alone" compile "$2" -o "$1/x.o"' "$moat" "$tmp" "$w"

# ---- exit statuses (.wat guests; no C toolchain needed) ----
for f in run-exit run-nostart run-limits run-tables; do
    wat2wasm "$src/$f.wat" -o "$tmp/$f.wasm" || exit 1
done
wat2wasm --debug-names "$src/run-trap.wat" -o "$tmp/run-trap.wasm" || exit 1
expect "proc_exit status" 7 "" "$moat" run "$tmp/run-exit.wasm"
expect "proc_exit 300 exits 255" 255 "" \
    "$moat" run --invoke exit_300 "$tmp/run-exit.wasm"
expect "proc_exit 256 is no success" 255 "" \
    "$moat" run --invoke exit_256 "$tmp/run-exit.wasm"
expect "trap status and line" 134 "moat: trap: unreachable" \
    "$moat" run "$tmp/run-trap.wasm"
# at -O0 nothing is inlined, so the trapping function is boom itself
expect "trap names the function" 134 "in function boom" \
    "$moat" run -O0 "$tmp/run-trap.wasm"
expect "no _start" 1 "no _start function" "$moat" run "$tmp/run-nostart.wasm"
# names from the module reach messages escaped: one printable line
wat2wasm "$src/run-evil-name.wat" -o "$tmp/evil.wasm" || exit 1
expect "control bytes in a name are escaped" 134 \
    'trap: unreachable in function evil\x1b]0;owned\x07\x0aname' \
    "$moat" run -O0 "$tmp/evil.wasm"
check "no raw control byte in the message" \
    sh -c '! "$0" run -O0 "$1" 2>&1 | LC_ALL=C grep -q "[[:cntrl:]]"' \
    "$moat" "$tmp/evil.wasm"
expect "missing program" 2 "No such file" "$moat" run "$tmp/nope.wasm"
expect "no program" 2 "no program given" "$moat" run --env A=1
expect "unknown option" 2 "unknown option '--frob'" \
    "$moat" run --frob "$tmp/run-exit.wasm"
expect "bad --timeout" 2 "--timeout 'soon'" \
    "$moat" run --timeout soon "$tmp/run-exit.wasm"
expect "bad --timeout unit" 2 "usage" \
    "$moat" run --timeout 5parsecs "$tmp/run-exit.wasm"
expect "bad --max-memory" 2 "--max-memory '12Q'" \
    "$moat" run --max-memory 12Q "$tmp/run-exit.wasm"
expect "bad --stack-size" 2 "--stack-size '-1'" \
    "$moat" run --stack-size=-1 "$tmp/run-exit.wasm"
expect "bad --env" 2 "want NAME=VALUE" \
    "$moat" run --env NOEQUALS "$tmp/run-exit.wasm"
expect "missing option value" 2 "needs a value" "$moat" run --dir
expect "bad --dir" 2 "--dir '$tmp/nodir'" \
    "$moat" run --dir "$tmp/nodir" "$tmp/run-exit.wasm"
expect "run --help" 0 "--inherit-env" "$moat" run --help

# ---- limits ----
expect "default limits" 0 "" "$moat" run "$tmp/run-limits.wasm"
expect "--max-memory below the minimum" 1 "(--max-memory 64K)" \
    "$moat" run --max-memory 64K "$tmp/run-limits.wasm"
# one budget: memory, tables and the instance data all count
expect "--max-memory at the memory's minimum" 1 \
    "exceeds the memory limit of 128 KiB" \
    "$moat" run --max-memory 128K "$tmp/run-limits.wasm"
expect "--max-memory with room for the instance data" 0 "" \
    "$moat" run --max-memory 192K "$tmp/run-limits.wasm"
expect "tables grow without --max-memory" 134 "unreachable" \
    "$moat" run "$tmp/run-tables.wasm"
expect "--max-memory bounds tables" 0 "" \
    "$moat" run --max-memory 64K "$tmp/run-tables.wasm"
expect "--stack-size too small" 134 "call stack exhausted" \
    "$moat" run --stack-size 16K "$tmp/run-limits.wasm"

# ---- the compile cache ----
rm -rf "$MOAT_CACHE_DIR"
expect "cache dir" 0 "$MOAT_CACHE_DIR" "$moat" cache dir
expect "XDG cache dir" 0 "$tmp/xdg/moat" \
    env -u MOAT_CACHE_DIR XDG_CACHE_HOME="$tmp/xdg" "$moat" cache dir
expect "HOME cache dir" 0 "$tmp/home/.cache/moat" \
    env -u MOAT_CACHE_DIR -u XDG_CACHE_HOME HOME="$tmp/home" \
    "$moat" cache dir
e=$tmp/run-exit.wasm
expect "first run (miss)" 7 "" "$moat" run "$e"
check "miss creates one entry" test "$(nentries)" -eq 1
check "cache dir is 0700" test "$(stat -c %a "$MOAT_CACHE_DIR")" = 700
entry=$(find "$MOAT_CACHE_DIR" -name '*.o')
check "entry is <sha256>.o" \
    sh -c "basename '$entry' | grep -Eqx '[0-9a-f]{64}\.o'"
touch -d '2001-01-01' "$entry"
before=$(stat -c '%i %Y %s' "$entry")
expect "second run (hit)" 7 "" "$moat" run "$e"
check "hit leaves the entry alone" \
    test "$(stat -c '%i %Y %s' "$entry")" = "$before"
check "hit adds no file (the entry and the tag key)" \
    test "$(find "$MOAT_CACHE_DIR" -type f | wc -l)" -eq 2
out=$(LD_DEBUG=files "$moat" run "$e" 2>&1)
check "hit does not load the compiler" \
    test "$(grep -c 'libmoat-compiler\|libLLVM' <<<"$out")" -eq 0
out=$(LD_DEBUG=files "$moat" run --no-cache "$e" 2>&1)
check "--no-cache loads the compiler" \
    test "$(grep -c 'libmoat-compiler' <<<"$out")" -gt 0
check "--no-cache adds no entry" test "$(nentries)" -eq 1
expect "-O0 run" 7 "" "$moat" run -O0 "$e"
check "-O0 is another entry" test "$(nentries)" -eq 2
expect "--timeout run" 7 "" "$moat" run --timeout 10s "$e"
check "--timeout (interruptible) is another entry" test "$(nentries)" -eq 3

# a damaged entry is found, recompiled and replaced
size=$(stat -c %s "$entry")
head -c 200 "$entry" > "$entry.cut" && mv "$entry.cut" "$entry"
expect "truncated entry warns" 7 "is unusable" "$moat" run "$e"
check "truncated entry replaced" test "$(stat -c %s "$entry")" -eq "$size"
expect "replaced entry hits silently" 7 "" "$moat" run "$e"
check "no warning after replacement" \
    test -z "$("$moat" run "$e" 2>&1)"
printf 'garbage' > "$entry"
expect "garbage entry warns" 7 "is unusable" "$moat" run "$e"
# a well-formed ELF object whose descriptor points outside the image (a
# mutant that crashed the loader before the pointer checks): refused,
# recompiled, replaced
cp "$src/../regress/load-mutant-import-name.elf" "$entry"
expect "entry with a bad descriptor warns" 7 \
    "is unusable (contract violation: import name outside" \
    "$moat" run "$e"
check "entry with a bad descriptor replaced" \
    test "$(stat -c %s "$entry")" -eq "$size"
expect "replaced entry hits silently again" 7 "" "$moat" run "$e"
# the entry of another module under this module's key
"$moat" run "$tmp/run-trap.wasm" 2>/dev/null
other=$(ls -t "$MOAT_CACHE_DIR"/*.o | head -1)
cp "$other" "$entry"
expect "entry of another module warns" 7 "compiled from another module" \
    "$moat" run "$e"
check "entry of another module replaced" \
    test "$(stat -c %s "$entry")" -eq "$size"

# ---- verified entries (docs/verify.md, "Where verification runs") ----
# an entry carries a tag (HMAC under the directory's 0600 key) that lets a
# hit skip the checker; a planted instruction breaks the tag, the checker
# runs and refuses it; an untagged entry is verified; another key's tag
# does not count
rm -rf "$MOAT_CACHE_DIR"
expect "tagged fill" 7 "" "$moat" run "$e"
entry=$(find "$MOAT_CACHE_DIR" -name '*.o')
check "entry ends with its tag" test "$(tail -c 8 "$entry")" = MOATTAG2
check "tag key is 0600 and 32 bytes" \
    test "$(stat -c '%a %s' "$MOAT_CACHE_DIR/verified.key")" = "600 32"
# the lanes and the HMAC over their digests, recomputed by Python's hashlib
check "tag is the format-2 tag Python computes" \
    python3 "$src/cache-tag.py" "$MOAT_CACHE_DIR/verified.key" "$entry" \
    "$src/../../runtime/verify_iface.h"
# a format-1 entry (an older moat's HMAC of the whole object, one stream):
# its trailer is stripped and the checker runs, however it was tagged
cp "$entry" "$tmp/tagged2.o"
python3 - "$MOAT_CACHE_DIR/verified.key" "$entry" <<'PY'
import hashlib, hmac, sys
key, path = open(sys.argv[1], "rb").read(), sys.argv[2]
obj = open(path, "rb").read()[:-40]
dom = hashlib.sha256(b"moat_verify_iface_1\0").digest()
tag = hmac.new(key, hmac.new(key, obj, "sha256").digest() + dom,
               "sha256").digest()
open(path, "wb").write(obj + tag + b"MOATTAG1")
PY
out=$(LD_DEBUG=files "$moat" run "$e" 2>&1); rc=$?
check_eq "format-1 entry runs" 7 "$rc"
check "format-1 entry is verified (loads the checker)" \
    test "$(grep -c 'libmoat-verify' <<<"$out")" -gt 0
cp "$tmp/tagged2.o" "$entry"
out=$(LD_DEBUG=files "$moat" run "$e" 2>&1)
check "tagged hit does not load the checker" \
    test "$(grep -c 'libmoat-verify\|libZydis' <<<"$out")" -eq 0
size=$(stat -c %s "$entry")
python3 "$src/patch-code.py" "$entry" "$tmp/planted.o" - 0 0f05
cp "$tmp/planted.o" "$entry"
expect "syscall planted in a tagged entry: refused, recompiled" 7 \
    "machine code rejected by the checker" "$moat" run "$e"
check "planted entry replaced" sh -c "! cmp -s '$entry' '$tmp/planted.o'"
check "planted entry replaced by a tagged one" \
    test "$(tail -c 8 "$entry")" = MOATTAG2
head -c -40 "$entry" >"$tmp/untagged.o" && cp "$tmp/untagged.o" "$entry"
out=$(LD_DEBUG=files "$moat" run "$e" 2>&1); rc=$?
check_eq "untagged entry runs" 7 "$rc"
check "untagged entry is verified (loads the checker)" \
    test "$(grep -c 'libmoat-verify' <<<"$out")" -gt 0
rm -rf "$MOAT_CACHE_DIR"
"$moat" run "$e" 2>/dev/null
head -c 32 /dev/zero >"$MOAT_CACHE_DIR/verified.key"
out=$(LD_DEBUG=files "$moat" run "$e" 2>&1); rc=$?
check_eq "entry tagged under another key runs" 7 "$rc"
check "entry tagged under another key is verified" \
    test "$(grep -c 'libmoat-verify' <<<"$out")" -gt 0

# two processes fill the same entry at once: both run, one entry remains
rm -rf "$MOAT_CACHE_DIR"
for i in 1 2 3; do ("$moat" run "$e"; echo $? > "$tmp/rc$i") & done
wait
check "concurrent fills all succeed" \
    test "$(cat "$tmp/rc1" "$tmp/rc2" "$tmp/rc3")" = "$(printf '7\n7\n7')"
check "concurrent fills leave one entry" test "$(nentries)" -eq 1
check "concurrent fills leave no temporary" test "$(ntmp)" -eq 0
expect "entry of concurrent fills loads" 7 "" "$moat" run "$e"

# cache clean: our entries and stale temporaries go, nothing else
key=$(basename "$(find "$MOAT_CACHE_DIR" -name '*.o')")
: > "$MOAT_CACHE_DIR/$key.tmp.999999999.0badf00d"
echo keep > "$MOAT_CACHE_DIR/notes.txt"
echo keep > "$MOAT_CACHE_DIR/mine.o"
expect "cache clean" 0 "removed 2 files" "$moat" cache clean
check "clean empties the cache" test "$(nentries)" -eq 1
check "clean keeps other files" test -f "$MOAT_CACHE_DIR/notes.txt"
expect "clean again" 0 "removed 0 files (0 bytes)" "$moat" cache clean
expect "cache usage" 2 "usage" "$moat" cache frob
expect "uncreatable cache dir: still runs" 7 "warning" \
    env MOAT_CACHE_DIR=/proc/moat-cache "$moat" run "$e"

# ---- cache trust: the cache holds native code moat runs ----
# a directory others can write is refused, whoever owns it
for mode in 777 1777 770; do
    mkdir -p "$tmp/open-$mode" && chmod "$mode" "$tmp/open-$mode"
    expect "cache dir mode $mode refused" 7 \
        "not using cache directory $tmp/open-$mode: it is writable by" \
        env MOAT_CACHE_DIR="$tmp/open-$mode" "$moat" run "$e"
    check "cache dir mode $mode gets no entry" \
        test "$(find "$tmp/open-$mode" -type f | wc -l)" -eq 0
done
# entries and directories are private whatever the umask
rm -rf "$MOAT_CACHE_DIR"
expect "umask 0 run" 7 "" sh -c 'umask 0; exec "$@"' sh "$moat" run "$e"
entry=$(find "$MOAT_CACHE_DIR" -name '*.o')
check "entry is 0600 under umask 0" test "$(stat -c %a "$entry")" = 600
check "dir is 0700 under umask 0" \
    test "$(stat -c %a "$MOAT_CACHE_DIR")" = 700
# entries others can write, symlinks and FIFOs are refused and replaced
chmod 666 "$entry"
expect "entry writable by others refused" 7 \
    "ignoring cache entry $entry: it is writable by others" \
    "$moat" run "$e"
check "refused entry replaced, 0600" test "$(stat -c %a "$entry")" = 600
mv "$entry" "$tmp/real.o" && ln -s "$tmp/real.o" "$entry"
expect "symlinked entry refused" 7 "cache entry $entry cannot be opened" \
    "$moat" run "$e"
check "symlinked entry replaced" test ! -L "$entry"
rm -f "$entry" && mkfifo "$entry"
expect "FIFO entry refused, no hang" 7 "it is not a regular file" \
    timeout 20 "$moat" run "$e"
check "FIFO entry replaced" test -f "$entry"
# A second user: only root can make one here. It plants files itself
# when it can run programs (setpriv, util-linux); where it cannot (a
# chroot whose / only root may enter), root plants them and gives them to
# it (chown): for moat the files are the second uid's either way.
nobody=65534
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP 7 checks of cache trust with a second uid: need root to" \
         "act as uid $nobody"
    skipped=$((skipped + 7))
else
    plant() {   # plant FILE < CONTENT: FILE created by uid $nobody
        if setpriv --reuid=$nobody --regid=$nobody --clear-groups true \
                2>/dev/null; then
            setpriv --reuid=$nobody --regid=$nobody --clear-groups \
                sh -c 'cat > "$1"' sh "$1"
        else
            cat > "$1" && chown $nobody "$1"
        fi
    }
    # another user plants KEY.o in a shared sticky directory
    shared=$(mktemp -d /tmp/moat-shared-cache.XXXXXX) && chmod 1777 "$shared"
    plant "$shared/$(basename "$entry")" < "$entry"
    check "the other uid planted an entry" \
        test "$(stat -c %u "$shared/$(basename "$entry")")" -eq $nobody
    expect "planted entry in a shared dir not run" 7 \
        "not using cache directory $shared: it is writable by others" \
        env MOAT_CACHE_DIR="$shared" "$moat" run "$e"
    rm -rf "$shared"
    # a directory of another user, even one only they can write
    mkdir -p "$tmp/theirs" && chown $nobody "$tmp/theirs" &&
        chmod 755 "$tmp/theirs"
    cp "$entry" "$tmp/theirs/" && chown $nobody "$tmp/theirs/"*.o
    expect "dir of another user refused" 7 \
        "it is owned by uid $nobody, not by you (uid 0)" \
        env MOAT_CACHE_DIR="$tmp/theirs" "$moat" run "$e"
    # an entry of another user in our own directory
    chown $nobody "$entry"
    expect "entry of another user refused" 7 \
        "ignoring cache entry $entry: it is owned by uid $nobody" \
        "$moat" run "$e"
    check "entry of another user replaced by ours" \
        test "$(stat -c %u "$entry")" -eq 0
    expect "replaced entry used silently" 7 "" "$moat" run "$e"
    check "no warning once replaced" test -z "$("$moat" run "$e" 2>&1)"
fi

# ---- WASI programs built from C (guest/guest.c) ----
g=$tmp/guest.wasm
wasi_cc=(clang-19 --target=wasm32-wasi -O2)
[ -d /usr/share/wasi-sysroot ] && wasi_cc+=(--sysroot=/usr/share/wasi-sysroot)
echo "clang-19 not found" > "$tmp/cc.log"
if ! command -v clang-19 >/dev/null ||
        ! "${wasi_cc[@]}" "$src/guest/guest.c" -o "$g" 2>"$tmp/cc.log"; then
    # every check below this point is skipped: count them
    n=$(sed -n '/^# ---- WASI programs built from C/,$p' \
            "$src/run-launcher-tests.sh" |
        grep -cE '^(expect|expect_out|check) ')
    echo "SKIP $n checks of C guests: clang-19 cannot build wasm32-wasi" \
         "programs ($(head -1 "$tmp/cc.log" 2>/dev/null))"
    skipped=$((skipped + n))
    return 0
fi
expect_out "guest args unchanged" 0 "argc=7
[$g]
[args]
[--dir]
[-x]
[a b]
[]
[--]" "$moat" run "$g" args --dir -x "a b" "" --
expect_out "options before PROG only" 0 "argc=3
[$g]
[args]
[--env=A=1]" "$moat" run --env B=2 "$g" args --env=A=1
expect_out "--env (last one wins)" 0 "B=2
A=3" "$moat" run --env A=1 --env B=2 --env A=3 "$g" env
expect_out "empty environment" 0 "" "$moat" run "$g" env
out=$(MOAT_T1=inherited MOAT_T2=x "$moat" run --inherit-env --env MOAT_T2=y \
      "$g" env)
check "--inherit-env" grep -qx 'MOAT_T1=inherited' <<<"$out"
check "--env overrides inherited" \
    test "$(grep -c '^MOAT_T2=' <<<"$out")/$(grep '^MOAT_T2=' <<<"$out")" \
    = "1/MOAT_T2=y"
mkdir -p "$tmp/data/sub"
printf 'file contents\n' > "$tmp/data/sub/f.txt"
expect_out "--dir HOST::GUEST" 0 "file contents" \
    "$moat" run --dir "$tmp/data::/data" "$g" cat /data/sub/f.txt
expect_out "--dir HOST" 0 "file contents" \
    "$moat" run --dir "$tmp/data" "$g" cat "$tmp/data/sub/f.txt"
expect "no --dir, no file" 1 "" "$moat" run "$g" cat /data/sub/f.txt
expect_out "stdin is the process's" 0 "piped" \
    sh -c 'echo piped | "$0" run "$1" cat' "$moat" "$g"
expect_out "stdout" 0 "hello" "$moat" run "$g" hello
# a finished run exits without tearing down (cli/cmd_run.c): no munmap of
# the pool's reservation (tens of GiB); sanitizer builds do tear down
if ! command -v strace >/dev/null; then
    echo "SKIP 1 check: run ends without unmapping the pool: no strace"
    skipped=$((skipped + 1))
elif nm "$moat" 2>/dev/null | grep '__asan_init' >/dev/null; then
    echo "SKIP 1 check: run ends without unmapping the pool: ASan build"
    skipped=$((skipped + 1))
else
    strace -f -e trace=munmap -o "$tmp/munmap.log" "$moat" run "$g" hello \
        >/dev/null 2>&1
    check "run ends without unmapping the pool" \
        sh -c "grep -q munmap '$tmp/munmap.log' &&
               ! grep -qE 'munmap\(0x[0-9a-f]+, [0-9]{10,}\)' '$tmp/munmap.log'"
fi
expect "exit code" 42 "" "$moat" run "$g" exit 42
expect "--timeout stops a loop" 124 \
    "moat: trap: interrupted (timeout after 300ms)" \
    "$moat" run --timeout 300ms "$g" spin
"$moat" compile -O1 "$g" -o "$tmp/guest.o"
expect "--timeout without checks" 124 "has no interruption checks" \
    "$moat" run --timeout 0.3 "$tmp/guest.o" spin
expect_out "--max-memory: growth fails" 0 "alloc 64 MiB: failed" \
    "$moat" run --max-memory 16M "$g" alloc 64
expect_out "--max-memory: growth within" 0 "alloc 8 MiB: ok" \
    "$moat" run --max-memory 16M "$g" alloc 8
