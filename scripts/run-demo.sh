#!/usr/bin/env bash
# Runs the demo with example programs already built in BIN_DIR:
#   a hello service and its caller, then two calc replicas and a caller that shows which
#   replica answered each call. Talks to $REDWIRE_REDIS_URL if set, else to a private
#   redis-server that it starts on a free port and stops at the end.
# Usage: bash scripts/run-demo.sh BIN_DIR
set -euo pipefail
bin="$(cd "${1:?usage: run-demo.sh BIN_DIR}" && pwd)"
work="$(mktemp -d -t redwire-demo.XXXXXX)"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

url="${REDWIRE_REDIS_URL:-}"
if [ -z "$url" ]; then
  command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; exit 1; }
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
    --logfile "$work/redis.log" &
  pids+=($!)
  url="redis://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then break; fi
    sleep 0.05
  done
  redis-cli -p "$port" ping >/dev/null || { echo "private redis-server did not start" >&2; cat "$work/redis.log" >&2; exit 1; }
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
sleep 0.3  # let both replicas start waiting, so that both get work
"$bin/calc_caller" "$url" --expect-replicas 2

echo "== demo finished"
