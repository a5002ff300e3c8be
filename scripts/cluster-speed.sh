#!/usr/bin/env bash
# Redwire on a Redis Cluster against redwire on one redis-server started alongside (issue 16):
# a private cluster (3 masters, 3 replicas) and a private single server, then RUNS rounds
# (default 3) that each run redwire-latency on both, one after the other:
#   sync      one call at a time: p50 and p99 (goal: cluster p50 within 1.2x of the single's)
#   async     256 calls in flight: calls/s (goal: cluster at least 0.8x of the single's)
# and prints each round's ratios and their medians; then cluster_spread: 100 services over the
# cluster's masters, each master's share of the requests beside its share of the services.
#   bash scripts/cluster-speed.sh [RUNS] [BUILD_DIR]      (BUILD_DIR default: build)
set -euo pipefail
runs="${1:-3}"
build="${2:-build}"
for b in redwire-latency cluster_spread; do
  [ -x "$build/bench/$b" ] || { echo "no $build/bench/$b: build the target $b first" >&2; exit 1; }
done
work="$(mktemp -d -t redwire-cluster-speed.XXXXXX)"
# shellcheck source=private-redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/private-redis.sh"
cleanup_at_exit "$work"
mkdir -p "$work/single" "$work/cluster"
start_private_redis "$work/single"
pids+=("$PRIVATE_REDIS_PID")
start_private_cluster "$work/cluster"
single="$PRIVATE_REDIS_URL"
cluster="$PRIVATE_CLUSTER_URL"
echo "single server: $single"
echo "cluster:       $cluster"

# One redwire-latency run; prints "p50 p99 calls_per_s" (microseconds, calls/s).
measure() {
  local url="$1" concurrency="$2" out="$work/run.json"
  "$build/bench/redwire-latency" --url "$url" --concurrency "$concurrency" --duration 3 \
    --warmup 1 --json "$out" > /dev/null 2> "$work/latency.err" ||
    { cat "$work/latency.err" >&2; return 1; }
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1]));
print(j["latency_us"]["p50"], j["latency_us"]["p99"], j["calls_per_s"])' "$out"
}

printf '%-6s %-6s %12s %12s %12s\n' round bus "sync p50 µs" "sync p99 µs" "async /s"
: > "$work/ratios"
for i in $(seq 1 "$runs"); do
  read -r sp50 sp99 _ < <(measure "$single" 1)
  read -r _ _ srate < <(measure "$single" 256)
  read -r cp50 cp99 _ < <(measure "$cluster" 1)
  read -r _ _ crate < <(measure "$cluster" 256)
  printf '%-6s %-6s %12s %12s %12s\n' "$i" single "$sp50" "$sp99" "$srate"
  printf '%-6s %-6s %12s %12s %12s\n' "$i" cluster "$cp50" "$cp99" "$crate"
  python3 -c 'import sys; a=[float(x) for x in sys.argv[1:]];
print("%.3f %.3f %.3f" % (a[0]/a[1], a[2]/a[3], a[4]/a[5]))' \
    "$cp50" "$sp50" "$cp99" "$sp99" "$crate" "$srate" >> "$work/ratios"
done
echo
python3 - "$work/ratios" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
names = ["sync p50, cluster / single (goal <= 1.2x)", "sync p99, cluster / single",
         "async calls/s at 256 in flight, cluster / single (goal >= 0.8x)"]
for k, name in enumerate(names):
    v = [r[k] for r in rows]
    print("%-66s median %.2fx  range %.2f - %.2fx  (%d runs)" % (name, statistics.median(v), min(v), max(v), len(v)))
PY
echo
"$build/bench/cluster_spread" "$cluster" 20000
