#!/usr/bin/env bash
# Soak run (docs/reliability.md): redwire-latency under load against a private
# redis-server for DURATION seconds (default 600), sampling the process's resident memory and
# Redis's key count, memory and client count every INTERVAL seconds (default 30).
# Fails when, after the first two minutes, resident memory grows by more than 10% (+4 MiB) or the
# count of lasting keys (all but the request queues, which come and go with their requests) changes.
# Usage: bash scripts/soak.sh BUILD_DIR [DURATION] [INTERVAL]   (BUILD_DIR with bench/redwire-latency)
set -euo pipefail
tool="${1:?usage: soak.sh BUILD_DIR [DURATION] [INTERVAL]}/bench/redwire-latency"
duration="${2:-600}"
interval="${3:-30}"
[ -x "$tool" ] || { echo "$tool not built (configure with -DREDWIRE_BUILD_BENCH=ON)" >&2; exit 1; }
work="$(mktemp -d -t redwire-soak.XXXXXX)"
# shellcheck source=private-redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/private-redis.sh"
cleanup_at_exit "$work"

start_private_redis "$work"
pids+=("$PRIVATE_REDIS_PID")
cli() { redis-cli -p "$PRIVATE_REDIS_PORT" "$@"; }

# Async calls, 64 in flight from 2 caller threads, over 2 service instances with 1 KiB payloads.
"$tool" --url "$PRIVATE_REDIS_URL" --concurrency 64 --threads 2 --replicas 2 --payload 1k \
  --duration "$duration" --warmup 1 --prefix soak --json "$work/result.json" \
  > "$work/latency.out" 2> "$work/progress.err" &
load=$!
pids+=("$load")

# Request queues are lists that exist only while they hold requests; every other key counts.
lasting_keys() {
  local n=0 k
  : > "$work/keys.$1"
  while read -r k; do
    [ -n "$k" ] || continue
    case "$(cli TYPE "$k")" in list|none) ;; *) n=$((n + 1)); echo "$k" >> "$work/keys.$1" ;; esac
  done < <(cli --scan)
  echo "$n"
}

echo "elapsed_s rss_kib lasting_keys all_keys redis_used_memory clients"
start=$(date +%s)
samples=()
while kill -0 "$load" 2>/dev/null; do
  t0=$(( $(date +%s) - start ))
  rss="$(awk '/VmRSS/{print $2}' "/proc/$load/status" 2>/dev/null || true)"
  [ -n "$rss" ] || break
  keys="$(lasting_keys "$t0")"
  all="$(cli DBSIZE)"
  mem="$(cli INFO memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')"
  clients="$(cli INFO clients | awk -F: '/^connected_clients:/{print $2}' | tr -d '\r')"
  t=$t0
  echo "$t $rss $keys $all $mem $clients"
  samples+=("$t $rss $keys")
  sleep "$interval"
done
wait "$load"
status=$?
pids=("$PRIVATE_REDIS_PID")
cat "$work/latency.out"
[ "$status" -eq 0 ] || { echo "redwire-latency failed ($status)" >&2; cat "$work/progress.err" >&2; exit 1; }
echo "lasting keys at the second and the last sample:"
for s in "${samples[1]:-}" "${samples[-1]}"; do sort "$work/keys.${s%% *}" | tr '\n' ' '; echo; done
echo "keys left after the run: $(cli DBSIZE) ($(cli --scan | head -5 | tr '\n' ' '))"

# Verdict: from the first sample at or after 120 s (or the middle of a short run) to the end.
settle=$(( duration < 240 ? duration / 2 : 120 ))
printf '%s\n' "${samples[@]}" | awk -v settle="$settle" '
  $1 >= settle && !base { base = $2; keys = $3; max = $2; next }
  base { if ($2 > max) max = $2; if ($3 != keys) changed = $3 }
  END {
    if (!base) { print "soak: too few samples"; exit 1 }
    limit = base * 1.10 + 4096
    printf "soak: rss at settle %d KiB, max after %d KiB (limit %d); keys %d%s\n", base, max, limit, keys, (changed != "" ? " -> " changed : " flat")
    if (max > limit || changed != "") { print "soak: FAILED"; exit 1 }
    print "soak: passed"
  }'
