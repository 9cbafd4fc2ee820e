#!/usr/bin/env bash
# setup.sh - from a fresh clone to a working build/moat: installs missing
# Debian packages, configures and builds, then runs the sample module.
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
