#!/usr/bin/env bash
# What an idle service costs (issue 20, item 6): one calc_service with default options on a
# private redis-server, nothing calling it. After a warm-up, for SECONDS it counts
#   - the commands the service's process sends to Redis (MONITOR lines, not those a Lua script
#     runs inside itself), per second, in all and per command;
#   - the process's CPU time (utime + stime from /proc), as a share of one core;
#   - its connections, as Redis counts them (connected_clients, less the monitor).
#   bash scripts/idle-cost.sh [SECONDS] [BUILD_DIR]      (defaults: 30, build)
set -euo pipefail
seconds="${1:-30}"
build="${2:-build}"
service="$build/examples/calc_service"
[ -x "$service" ] || { echo "no $service: build the target calc_service first" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/private-redis.sh
source "$here/private-redis.sh"
work="$(mktemp -d)"
cleanup_at_exit "$work"
start_private_redis "$work"
pids+=("$PRIVATE_REDIS_PID")

"$service" "$PRIVATE_REDIS_URL" > "$work/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
sleep 5  # registered, connections open, first beats done

ticks() { awk '{ print $14 + $15 }' "/proc/$service_pid/stat"; }
redis-cli -p "$PRIVATE_REDIS_PORT" monitor > "$work/monitor" &
monitor_pid=$!
pids+=("$monitor_pid")
sleep 0.5
clients="$(redis-cli -p "$PRIVATE_REDIS_PORT" info clients | awk -F: '/^connected_clients/ { print $2 - 2 }')"
t0="$(ticks)"
sleep "$seconds"
t1="$(ticks)"
kill "$monitor_pid"
wait "$monitor_pid" 2>/dev/null || true
hz="$(getconf CLK_TCK)"

# A MONITOR line: 1700000000.123456 [0 127.0.0.1:5555] "CMD" ... ; a script's own: [0 lua]
grep -v ' lua\] ' "$work/monitor" | grep -v '"monitor"\|"info"' |
  awk -v s="$seconds" '
    /^[0-9]/ { cmd = toupper($4); gsub(/"/, "", cmd); n[cmd]++; all++ }
    END {
      printf "commands/s  %.2f\n", all / s
      for (c in n) printf "  %-16s %.2f/s\n", c, n[c] / s
    }'
awk -v t0="$t0" -v t1="$t1" -v hz="$hz" -v s="$seconds" \
  'BEGIN { printf "cpu         %.3f %% of a core\n", 100 * (t1 - t0) / hz / s }'
echo "connections $clients"
