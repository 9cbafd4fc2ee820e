#!/usr/bin/env bash
# deps.sh - installs the Debian packages Moat needs, only those missing.
# Safe to run any number of times; does nothing when all are present.
set -euo pipefail

PACKAGES=(
    build-essential pkg-config meson ninja-build python3
    llvm-19-dev clang-19 lld-19 libffi-dev libcmocka-dev
    libclang-rt-19-dev wabt binaryen wasi-libc libclang-rt-19-dev-wasm32
    hyperfine nodejs time libmicrohttpd-dev libinih-dev libsystemd-dev
    groff-base
    rustc libstd-rust-dev-wasm32 lld-14 libc++-19-dev-wasm32 libc++abi-19-dev-wasm32
    zlib1g-dev dpkg-dev
    gdb linux-perf
    libdw-dev libelf-dev libbz2-dev liblzma-dev libiberty-dev
    libzydis-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "deps: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
