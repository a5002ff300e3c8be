#!/usr/bin/env bash
# Runs the demo with example programs already built in BIN_DIR:
#   a hello service and its caller, then two calc replicas and a caller that shows which
#   replica answered each call. Talks to $REDWIRE_REDIS_URL if set, else to a private
#   redis-server that it starts on a free port and stops at the end. With --sentinel, to a
#   private Sentinel deployment instead (a master, a replica, three sentinels), through a
#   redis-sentinel:// URL; with --cluster, to a private Redis Cluster (three masters, three
#   replicas), through a redis-cluster:// URL.
# Usage: bash scripts/run-demo.sh BIN_DIR [--sentinel | --cluster]
set -euo pipefail
bin="$(cd "${1:?usage: run-demo.sh BIN_DIR [--sentinel | --cluster]}" && pwd)"
topology="${2:-}"
work="$(mktemp -d -t redwire-demo.XXXXXX)"
# shellcheck source=private-redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/private-redis.sh"
cleanup_at_exit "$work"

url="${REDWIRE_REDIS_URL:-}"
if [ "$topology" = --sentinel ]; then
  start_private_sentinel "$work"
  url="$PRIVATE_SENTINEL_URL"
  echo "== private Sentinel deployment at $url"
elif [ "$topology" = --cluster ]; then
  start_private_cluster "$work"
  url="$PRIVATE_CLUSTER_URL"
  echo "== private Redis Cluster at $url"
elif [ -z "$url" ]; then
  start_private_redis "$work"
  pids+=("$PRIVATE_REDIS_PID")
  url="$PRIVATE_REDIS_URL"
  echo "== private redis-server at $url"
else
  echo "== using REDWIRE_REDIS_URL=$url"
fi
export REDWIRE_REDIS_URL="$url"

echo "== hello: one service, one caller"
"$bin/hello_service" "$url" > "$work/hello.out" 2>&1 &
pids+=($!)
"$bin/hello_caller" "$url" world
"$bin/hello_caller" "$url" redwire

echo "== calc: two replicas and a caller"
"$bin/calc_service" "$url" --instance calc-a > "$work/calc-a.out" 2>&1 &
pids+=($!)
"$bin/calc_service" "$url" --instance calc-b > "$work/calc-b.out" 2>&1 &
pids+=($!)
# The caller waits until both replicas are registered, so that both get work.
"$bin/calc_caller" "$url" --expect-replicas 2

echo "== demo finished"
