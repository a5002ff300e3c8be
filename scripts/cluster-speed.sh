#!/usr/bin/env bash
# Redwire on a Redis Cluster against redwire on one redis-server started alongside (issue 16):
# four private buses, compared like for like, since on one machine a replica takes CPU from the
# call's path (in production it runs on another host):
#   single      one redis-server           masters     a cluster of 3 masters alone
#   replicated  one server and a replica   cluster     3 masters, each with a replica
# then RUNS rounds (default 3) that each run redwire-latency on the four, one after the other:
#   sync      one call at a time: p50 and p99 (goal: cluster p50 within 1.2x of the single's)
#   async     256 calls in flight: calls/s (goal: cluster at least 0.8x of the single's)
# and prints the medians of cluster / replicated, masters / single and cluster / single; then
# cluster_spread: 100 services over the cluster's masters, each master's share of the requests
# beside its share of the services.
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
mkdir -p "$work/single" "$work/primary" "$work/replica" "$work/cluster" "$work/masters"
start_private_redis "$work/single"
pids+=("$PRIVATE_REDIS_PID")
single="$PRIVATE_REDIS_URL"
start_private_redis "$work/primary"
pids+=("$PRIVATE_REDIS_PID")
replicated="$PRIVATE_REDIS_URL"
primary_port="$PRIVATE_REDIS_PORT"
start_private_redis "$work/replica"
pids+=("$PRIVATE_REDIS_PID")
redis-cli -p "$PRIVATE_REDIS_PORT" replicaof 127.0.0.1 "$primary_port" > /dev/null
start_private_cluster "$work/cluster"
cluster="$PRIVATE_CLUSTER_URL"
start_private_cluster "$work/masters" 0
masters="$PRIVATE_CLUSTER_URL"
echo "single:     one server                   $single"
echo "replicated: one server and its replica     $replicated"
echo "cluster:    3 masters, 3 replicas          $cluster"
echo "masters:    3 masters alone                $masters"

# One redwire-latency run; prints "p50 p99 calls_per_s" (microseconds, calls/s).
measure() {
  local url="$1" concurrency="$2" out="$work/run.json"
  "$build/bench/redwire-latency" --url "$url" --concurrency "$concurrency" --duration 3 \
    --warmup 1 --json "$out" > /dev/null 2> "$work/latency.err" ||
    { cat "$work/latency.err" >&2; return 1; }
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1]));
print(j["latency_us"]["p50"], j["latency_us"]["p99"], j["calls_per_s"])' "$out"
}

# One bus's sync and async figures, printed as a row; "p50 p99 rate" appended to FILE.
measure_bus() {
  local round="$1" name="$2" url="$3" file="$4" p50 p99 rate
  read -r p50 p99 _ < <(measure "$url" 1)
  read -r _ _ rate < <(measure "$url" 256)
  printf '%-6s %-10s %12s %12s %12s\n' "$round" "$name" "$p50" "$p99" "$rate"
  echo "$p50 $p99 $rate" >> "$file"
}

printf '%-6s %-10s %12s %12s %12s\n' round bus "sync p50 µs" "sync p99 µs" "async /s"
: > "$work/ratios"
for i in $(seq 1 "$runs"); do
  : > "$work/round"
  measure_bus "$i" single "$single" "$work/round"
  measure_bus "$i" replicated "$replicated" "$work/round"
  measure_bus "$i" cluster "$cluster" "$work/round"
  measure_bus "$i" masters "$masters" "$work/round"
  python3 -c 'import sys; s, r, c, m = [list(map(float, l.split())) for l in open(sys.argv[1])];
print(" ".join("%.3f" % (a[k] / b[k]) for a, b in ((c, r), (m, s), (c, s)) for k in range(3)))' \
    "$work/round" >> "$work/ratios"
done
echo
python3 - "$work/ratios" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
names = []
for pair in ("cluster / replicated", "masters / single", "cluster / single"):
    names += ["%s: sync p50 (goal <= 1.2x)" % pair, "%s: sync p99" % pair,
              "%s: async calls/s at 256 in flight (goal >= 0.8x)" % pair]
for k, name in enumerate(names):
    v = [r[k] for r in rows]
    print("%-66s median %.2fx  range %.2f - %.2fx  (%d runs)" % (name, statistics.median(v), min(v), max(v), len(v)))
PY
echo
"$build/bench/cluster_spread" "$cluster" 20000
