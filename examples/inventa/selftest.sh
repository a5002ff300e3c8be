#!/usr/bin/env bash
# End-to-end run of the Inventa example against a private redis-server on a free port: the C++
# orchestrator, two C++ calc services, and a foreign peer played with redis-cli the way the
# Python and Go libraries talk (raw frames on ch:<full id>).
# Usage: bash examples/inventa/selftest.sh BIN_DIR      (exits non-zero on any surprise)
set -euo pipefail
bin="$(cd "${1:?usage: selftest.sh BIN_DIR}" && pwd)"
work="$(mktemp -d -t redwire-inventa.XXXXXX)"
# shellcheck source=../../scripts/private-redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/private-redis.sh"
cleanup_at_exit "$work"

start_private_redis "$work"
pids+=("$PRIVATE_REDIS_PID")
url="$PRIVATE_REDIS_URL"
cli() { redis-cli -p "$PRIVATE_REDIS_PORT" "$@"; }
fail() { echo "inventa selftest: $*" >&2; cat "$work"/*.out >&2 || true; exit 1; }

"$bin/inventa_calc_service" "$url" --id a > "$work/calc-a.out" 2>&1 & pids+=($!)
"$bin/inventa_calc_service" "$url" --id b > "$work/calc-b.out" 2>&1 & pids+=($!)
# Before the orchestrator: the services keep trying to register until it is there.
sleep 0.5
"$bin/inventa_orchestrator" "$url" --calls 4 > "$work/orc.out" 2>&1 || fail "orchestrator failed"
cat "$work/orc.out"
grep -q "registering svc:calc:a" "$work/orc.out" || fail "calc a did not register"
grep -q "registering svc:calc:b" "$work/orc.out" || fail "calc b did not register"
[ "$(grep -c "^calculate-sum(.*) = " "$work/orc.out")" -ge 4 ] || fail "fewer than 4 answers"
grep -q "registered with svc:orc:" "$work/calc-a.out" || fail "calc a says it did not register"

# A foreign peer (what a Python caller sends): the recorded sum request, answered byte for byte.
cli SUBSCRIBE ch:svc:client:c1 > "$work/peer.out" & peer=$!; pids+=($peer)
for _ in $(seq 1 100); do grep -q "ch:svc:client:c1" "$work/peer.out" 2>/dev/null && break; sleep 0.05; done
cli PUBLISH ch:svc:calc:a "req|WkXvk-1796008403|svc:client:c1|sum|465!855" > /dev/null
cli PUBLISH ch:svc:calc:b "req|manual-3|svc:client:c1|nope|" > /dev/null
for _ in $(seq 1 100); do [ "$(grep -c '^resp|' "$work/peer.out")" -ge 2 ] && break; sleep 0.05; done
cat "$work/peer.out"
grep -qx "resp|WkXvk-1796008403|svc:calc:a|1320" "$work/peer.out" || fail "no sum response"
grep -qx "resp|manual-3|svc:calc:b|error!unknown command type: nope" "$work/peer.out" \
  || fail "no error response"
# The services heartbeat their keys as the protocol says.
[ "$(cli GET svc:calc:a)" = "1" ] || fail "svc:calc:a has no liveness key"
echo "inventa selftest passed"
