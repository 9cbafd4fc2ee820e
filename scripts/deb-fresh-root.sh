#!/usr/bin/env bash
# deb-fresh-root.sh - builds Moat's Debian packages from the committed HEAD
# and tests them on a Debian 12 root that has never seen Moat, the way
# ../shared/tools/fresh-machine tests the README (docs/install.md):
#
#   scripts/deb-fresh-root.sh [--keep]
#
# 1. `dpkg-buildpackage -us -uc -b` on a copy of HEAD in a temporary
#    directory (installs the packaging tools debhelper and dpkg-dev when
#    missing; the build dependencies are scripts/deps.sh's);
# 2. the fresh root: /var/tmp/fresh-machine-bookworm.tar, fresh-machine's
#    cached debootstrap minbase (+ git, python3, build-essential, sudo),
#    built the same way when absent;
# 3. in it: `apt-get install ./*.deb gcc pkg-config` (apt pulls the runtime
#    dependencies), then moat compiles the example plugin, examples/host.c
#    builds with `pkg-config --cflags --libs moat` (and moat-static) and
#    runs it, compile_in_process.c builds with moat-compiler.pc and runs,
#    and `moat run hello.wasm` runs a WASI program (built here on the host
#    with clang-19 for wasm32-wasi, or taken from build/examples/).
# Prints each step's time and "deb-fresh-root: PASS", or FAIL and the step.
# Needs root and the Debian mirror. --keep keeps the work directory.
set -euo pipefail
keep=0
[ "${1:-}" = "--keep" ] && keep=1
proj=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel)
base=/var/tmp/fresh-machine-bookworm.tar
[ "$(id -u)" -eq 0 ] || { echo "deb-fresh-root: needs root" >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive

say() { echo "deb-fresh-root: $*"; }
fail() { say "FAIL: $*"; exit 1; }
t0=$(date +%s)
lap() { say "$1 ($(( $(date +%s) - t0 )) s so far)"; }

need=()
for p in debhelper dpkg-dev debootstrap wabt; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d /var/tmp/deb-fresh-root.XXXXXX)
root=$work/root
cleanup() {
    for m in dev sys proc; do
        umount -R "$root/$m" 2>/dev/null ||
            umount -l "$root/$m" 2>/dev/null || true
    done
    if [ $keep -eq 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- 1. the packages, from HEAD ----
mkdir -p "$work/src/moat"
git -C "$proj" archive HEAD | tar -x -C "$work/src/moat"
say "building the packages from $(git -C "$proj" rev-parse --short HEAD)"
(cd "$work/src/moat" && dpkg-checkbuilddeps) ||
    fail "build dependencies missing: run scripts/deps.sh"
(cd "$work/src/moat" &&
    DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" \
    dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
    { tail -30 "$work/build.log"; fail "dpkg-buildpackage (log above)"; }
mapfile -t debs < <(find "$work/src" -maxdepth 1 -name '*.deb' \
                        ! -name '*-dbgsym_*')
[ ${#debs[@]} -eq 3 ] || fail "want 3 packages, got: ${debs[*]}"
lap "built $(for d in "${debs[@]}"; do basename "$d"; done | tr '\n' ' ')"

# ---- the guests, made on this side ----
mkdir -p "$work/t"
wat2wasm "$proj/examples/plugin.wat" -o "$work/t/plugin.wasm" ||
    fail "wat2wasm plugin.wat"
if command -v clang-19 >/dev/null &&
        clang-19 --target=wasm32-wasi -O2 "$proj/examples/hello.c" \
            -o "$work/t/hello.wasm" 2>/dev/null; then :
elif [ -f "$proj/build/examples/hello.wasm" ]; then
    cp "$proj/build/examples/hello.wasm" "$work/t/"
else
    fail "no hello.wasm: install clang-19 and wasi-libc (scripts/deps.sh)"
fi
cp "$proj/examples/host.c" "$proj/examples/compile_in_process.c" \
   "${debs[@]}" "$work/t/"

# ---- 2. the fresh root ----
if [ ! -f "$base" ]; then
    b=$(mktemp -d /var/tmp/fresh-machine-build.XXXXXX)
    say "building the base root (once)"
    debootstrap --variant=minbase \
        --include=git,ca-certificates,python3,build-essential,sudo \
        bookworm "$b" http://deb.debian.org/debian \
        >/var/tmp/fresh-machine-debootstrap.log 2>&1 ||
        fail "debootstrap, see /var/tmp/fresh-machine-debootstrap.log"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cp /etc/apt/sources.list.d/debian.sources "$b/etc/apt/sources.list.d/"
        rm -f "$b/etc/apt/sources.list"
    fi
    tar -C "$b" -cf "$base" . && rm -rf "$b"
fi
mkdir -p "$root"
tar -C "$root" -xf "$base"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp -r "$work/t" "$root/t"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
lap "fresh root ready"

# ---- 3. install and use, inside ----
cat >"$root/t/check.sh" <<'EOF'
set -u
cd /t
step() {
    local name=$1; shift
    if out=$("$@" 2>&1); then
        echo "  ok   $name"
    else
        echo "  FAIL $name"; echo "$out" | tail -20 | sed 's/^/       /'
        exit 1
    fi
}
# expect NAME WANT COMMAND...: COMMAND succeeds and prints exactly WANT
expect() {
    local name=$1 want=$2; shift 2
    local got
    if got=$("$@" 2>&1) && [ "$got" == "$want" ]; then
        echo "  ok   $name"
    else
        echo "  FAIL $name"
        printf '       got:  %s\n       want: %s\n' "$got" "$want"
        exit 1
    fi
}
export DEBIAN_FRONTEND=noninteractive
step "apt-get update" apt-get update -qq
step "apt-get install ./*.deb gcc pkg-config" \
    apt-get install -y -qq --no-install-recommends ./*.deb gcc pkg-config
host_out=$(printf '%s\n' "guest says: 5050" \
    "sum_to(100) = 5050 after 1 host call(s)" \
    "divide(7, 0) trapped: integer divide by zero" "divide(7, 2) = 3")
step "moat version" sh -c 'moat version | grep "^moat 0\.1"'
step "man page installed" test -f /usr/share/man/man1/moat.1.gz
step "moat serve runs /usr/libexec/moat/moat-serve" \
    sh -c 'moat serve --help | grep -q ROUTES'
step "moat compile plugin.wasm -o plugin.o" moat compile plugin.wasm -o plugin.o
step "cc host.c \$(pkg-config --cflags --libs moat)" \
    sh -c 'cc host.c $(pkg-config --cflags --libs moat) -o host'
expect "host runs (shared libmoat)" "$host_out" ./host plugin.o
step "cc host.c \$(pkg-config --cflags --libs moat-static)" \
    sh -c 'cc host.c $(pkg-config --cflags --libs moat-static) -o host-static'
step "static host needs no libmoat.so" \
    sh -c '! ldd host-static | grep -q libmoat'
expect "host runs (static libmoat)" "$host_out" ./host-static plugin.o
step "cc compile_in_process.c \$(pkg-config --cflags --libs moat-compiler)" \
    sh -c 'cc compile_in_process.c -o cip \
           $(pkg-config --cflags --libs moat-compiler)'
expect "in-process compiler runs" \
    "$(printf 'guest says: 55\nsum_to(10) = 55')" \
    ./cip plugin.wasm 10
expect "moat run hello.wasm" "hello from wasm, fresh root" \
    env HOME=/tmp moat run --env WHO='fresh root' hello.wasm
expect "moat run hello.wasm (from the cache)" "hello from wasm, fresh root" \
    env HOME=/tmp moat run --env WHO='fresh root' hello.wasm
EOF
if ! chroot "$root" /bin/bash /t/check.sh; then
    fail "a step inside the fresh root failed (above)"
fi
lap "all steps passed"
say "PASS"
