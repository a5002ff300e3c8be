#!/usr/bin/env bash
# Sourced by the scripts that need a throwaway redis-server:
#   start_private_redis WORK_DIR   starts redis-server on a free 127.0.0.1 port with no
#                                  persistence, data and log in WORK_DIR; sets PRIVATE_REDIS_PID,
#                                  PRIVATE_REDIS_PORT and PRIVATE_REDIS_URL, and fails loudly
#                                  (log printed) when it does not answer within 5 s.
#   cleanup_at_exit WORK_DIR       at exit, stops every process in the array `pids` (TERM, then
#                                  waits for it) and removes WORK_DIR.
# Scripts add the server and their own background processes to `pids`.

pids=()

cleanup_at_exit() {
  _redwire_work="${1:?cleanup_at_exit WORK_DIR}"
  trap _redwire_cleanup EXIT
}

_redwire_cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$_redwire_work"
}

start_private_redis() {
  local work="${1:?start_private_redis WORK_DIR}"
  command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; return 1; }
  PRIVATE_REDIS_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000)))"
  redis-server --port "$PRIVATE_REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$work" --logfile "$work/redis.log" &
  PRIVATE_REDIS_PID=$!
  PRIVATE_REDIS_URL="redis://127.0.0.1:$PRIVATE_REDIS_PORT"
  local _
  for _ in $(seq 1 100); do
    redis-cli -p "$PRIVATE_REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "private redis-server on port $PRIVATE_REDIS_PORT did not start:" >&2
  cat "$work/redis.log" >&2 || true
  kill "$PRIVATE_REDIS_PID" 2>/dev/null || true
  return 1
}
