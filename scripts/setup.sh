#!/usr/bin/env bash
# setup.sh - from a fresh clone to a working build/moat: installs missing
# Debian packages, configures and builds, then runs the sample modules: a
# WASI program through `moat run` (compiled on first use into the cache),
# and validate + inspect of a small module.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
if [ ! -f build/build.ninja ]; then
    meson setup build
fi
ninja -C build

echo "== moat validate build/examples/sample.wasm"
build/moat validate build/examples/sample.wasm && echo "valid"
echo "== moat inspect build/examples/sample.wasm"
build/moat inspect build/examples/sample.wasm
echo "== moat run build/examples/hello.wasm"
status=0
build/moat run --env WHO=Debian build/examples/hello.wasm first second ||
    status=$?
echo "(exit status $status: the program returns its argument count)"
[ "$status" -eq 2 ]
