#!/usr/bin/env bash
# Installs redwire from BUILD_DIR into a temporary prefix, then configures, builds and runs a
# separate project that finds it with find_package(redwire CONFIG REQUIRED).
set -euo pipefail
build="$1"; source_dir="$2"; compiler="$3"
prefix="$(mktemp -d -t redwire-install.XXXXXX)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix/usr" >/dev/null
test -f "$prefix/usr/include/redwire/redwire.hpp"
test -f "$prefix/usr/include/redwire/memory.hpp"
test -f "$prefix/usr/include/redwire/inventa.hpp"
if [ -d "$build/tools/redwire" ]; then  # the tool is installed with the package
  "$prefix/usr/bin/redwire" --help | grep -q "usage: redwire <command>"
fi
cmake -S "$source_dir" -B "$prefix/build" -G Ninja -DCMAKE_CXX_COMPILER="$compiler" \
  -DCMAKE_PREFIX_PATH="$prefix/usr" >/dev/null
cmake --build "$prefix/build" >/dev/null
"$prefix/build/consumer"
echo "installed package found, built and ran"
