#!/usr/bin/env bash
# End-to-end run of the library example against a private redis-server on a free port:
# two lending instances and one shelving service; users borrow and return through `library`.
# Usage: bash examples/library/selftest.sh BIN_DIR      (exits non-zero on any surprise)
set -euo pipefail
bin="$(cd "${1:?usage: selftest.sh BIN_DIR}" && pwd)"
work="$(mktemp -d -t redwire-library.XXXXXX)"
# shellcheck source=../../scripts/private-redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/private-redis.sh"
cleanup_at_exit "$work"

start_private_redis "$work"
pids+=("$PRIVATE_REDIS_PID")
url="$PRIVATE_REDIS_URL"

"$bin/lending_service" "$url" --name lending-1 > "$work/lending-1.out" 2>&1 & pids+=($!)
"$bin/lending_service" "$url" --name lending-2 > "$work/lending-2.out" 2>&1 & pids+=($!)
"$bin/shelving_service" "$url" > "$work/shelving.out" 2>&1 & pids+=($!)

lib() { "$bin/library" "$url" "$@"; }
expect() {  # expect "<text>" command...
  local want="$1"; shift
  local got; got="$(lib "$@")"
  echo "$got"
  [[ "$got" == *"$want"* ]] || { echo "expected: $want" >&2; exit 1; }
}

expect "added 1 copies" add 978-0 1 Redis Microservices for Dummies
expect "alice borrow 978-0: ok: lent" borrow alice 978-0
expect "bob borrow 978-0: refused: no copy available" borrow bob 978-0
expect "alice has 1: 978-0" loans alice
expect "bob return 978-0: refused: not borrowed by this user" return bob 978-0
expect "alice return 978-0: ok: returned" return alice 978-0
# The shelving service makes the book available again once it is back on the shelf.
for _ in $(seq 1 100); do
  lib show 978-0 | grep -q "available=1" && break
  sleep 0.05
done
expect "available=1" show 978-0
expect "bob borrow 978-0: ok: lent" borrow bob 978-0
expect "burst: 40 of 40 lent" burst 40

# Both lending instances took part.
for name in lending-1 lending-2; do
  n="$(grep -c " -> " "$work/$name.out" || true)"
  echo "$name handled $n requests"
  [ "$n" -gt 0 ] || { echo "$name did no work" >&2; cat "$work"/*.out >&2; exit 1; }
done
echo "library selftest passed"
