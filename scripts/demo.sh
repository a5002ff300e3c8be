#!/usr/bin/env bash
# Builds redwire's examples and runs the demo: services, replicas and callers talking through
# Redis — a private redis-server started for the demo, unless REDWIRE_REDIS_URL is set.
# Usage: bash scripts/demo.sh [--sentinel | --cluster]   (from anywhere; installs what is missing)
#   --sentinel: the same demo against a private Sentinel deployment (redis-sentinel:// URL)
#   --cluster:  the same demo against a private Redis Cluster, 3 masters + 3 replicas
#               (redis-cluster:// URL)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${REDWIRE_BUILD_DIR:-$here/build}"

bash "$here/scripts/install-deps.sh"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target hello_service hello_caller calc_service calc_caller
bash "$here/scripts/run-demo.sh" "$build/examples" "$@"
