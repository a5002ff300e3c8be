#!/usr/bin/env bash
# Builds redwire and runs its whole test suite: unit tests, the typed-call suite on the
# in-memory transport and on a private redis-server, compile-fail checks, the install check and
# the examples. Usage: bash scripts/test.sh   (from anywhere; installs missing packages first)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${REDWIRE_BUILD_DIR:-$here/build}"
jobs="${REDWIRE_JOBS:-$(nproc)}"

bash "$here/scripts/install-deps.sh"

cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 900
