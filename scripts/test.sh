#!/usr/bin/env bash
# Builds redwire and runs its whole test suite: unit tests, the typed-call suite on the
# in-memory transport and on a private redis-server, compile-fail checks, the install check and
# the examples; then sanitizers and fuzzing. Usage: bash scripts/test.sh   (from anywhere;
# installs missing packages first)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${REDWIRE_BUILD_DIR:-$here/build}"
jobs="${REDWIRE_JOBS:-$(nproc)}"

bash "$here/scripts/install-deps.sh"

# Layout is checked, not hoped for: every C++ file follows .clang-format.
bash "$here/scripts/check-format.sh"

# The test build is built to be tested: -O1 with line tables (enough for stack traces) builds in
# about 0.6 of the time of -O2 -g. What docs/performance.md measures is built apart, in Release.
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 900

# Then a subset again under ASan+UBSan and TSan, and a short fuzzing session
# (scripts/sanitize-and-fuzz.sh; docs/reliability.md). REDWIRE_SANITIZERS=0 skips it.
if [ "${REDWIRE_SANITIZERS:-1}" != 0 ]; then
  bash "$here/scripts/sanitize-and-fuzz.sh"
fi
