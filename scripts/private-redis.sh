#!/usr/bin/env bash
# Sourced by the scripts that need a throwaway redis-server:
#   start_private_redis WORK_DIR   starts redis-server on a free 127.0.0.1 port with no
#                                  persistence, data and log in WORK_DIR; sets PRIVATE_REDIS_PID,
#                                  PRIVATE_REDIS_PORT and PRIVATE_REDIS_URL, and fails loudly
#                                  (log printed) when it does not answer within 5 s.
#   start_private_sentinel WORK_DIR  a master, a replica and three sentinels watching them
#                                  (master name "redwire"), each on a free port; sets
#                                  PRIVATE_SENTINEL_URL (redis-sentinel://...) and adds every
#                                  process to `pids`.
#   start_private_cluster WORK_DIR [REPLICAS]
#                                  a Redis Cluster of three masters, each with REPLICAS replicas
#                                  (default 1; redis-cli --cluster create), each node on a free
#                                  port with a free bus port; sets PRIVATE_CLUSTER_URL (redis-cluster://...)
#                                  and PRIVATE_CLUSTER_PORTS, adds every node to `pids`, and
#                                  fails loudly when the cluster is not ok within 60 s.
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

_redwire_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
    2>/dev/null || echo $((20000 + RANDOM % 20000))
}

start_private_redis() {
  local work="${1:?start_private_redis WORK_DIR}"
  command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; return 1; }
  PRIVATE_REDIS_PORT="$(_redwire_free_port)"
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

start_private_sentinel() {
  local work="${1:?start_private_sentinel WORK_DIR}" master replica port i urls=""
  mkdir -p "$work/master" "$work/replica"
  start_private_redis "$work/master" || return 1
  pids+=("$PRIVATE_REDIS_PID")
  master="$PRIVATE_REDIS_PORT"
  start_private_redis "$work/replica" || return 1
  pids+=("$PRIVATE_REDIS_PID")
  replica="$PRIVATE_REDIS_PORT"
  redis-cli -p "$replica" replicaof 127.0.0.1 "$master" >/dev/null
  for i in 1 2 3; do
    port="$(_redwire_free_port)"
    mkdir -p "$work/sentinel$i"
    printf 'port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor redwire 127.0.0.1 %s 2\nsentinel down-after-milliseconds redwire 1000\nsentinel failover-timeout redwire 5000\n' \
      "$port" "$work/sentinel$i" "$master" > "$work/sentinel$i/sentinel.conf"
    redis-server "$work/sentinel$i/sentinel.conf" --sentinel --logfile "$work/sentinel$i/log" &
    pids+=($!)
    urls="$urls${urls:+,}127.0.0.1:$port"
  done
  for _ in $(seq 1 100); do
    port="${urls##*:}"
    [ "$(redis-cli -p "$port" sentinel get-master-addr-by-name redwire 2>/dev/null | tail -1)" = "$master" ] &&
      { PRIVATE_SENTINEL_URL="redis-sentinel://$urls/redwire"; return 0; }
    sleep 0.05
  done
  echo "private sentinels did not start" >&2
  return 1
}

start_private_cluster() {
  local work="${1:?start_private_cluster WORK_DIR}" replicas="${2:-1}" i port nodes="" urls=""
  local count=$((3 * (1 + replicas)))
  PRIVATE_CLUSTER_PORTS=""
  for i in $(seq 1 "$count"); do
    port="$(_redwire_free_port)"
    mkdir -p "$work/node$i"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
      --cluster-enabled yes --cluster-port "$(_redwire_free_port)" --cluster-node-timeout 1000 \
      --cluster-config-file nodes.conf --dir "$work/node$i" --logfile "$work/node$i/log" &
    pids+=($!)
    nodes="$nodes 127.0.0.1:$port"
    urls="$urls${urls:+,}127.0.0.1:$port"
    PRIVATE_CLUSTER_PORTS="$PRIVATE_CLUSTER_PORTS${PRIVATE_CLUSTER_PORTS:+ }$port"
  done
  for port in $PRIVATE_CLUSTER_PORTS; do
    for _ in $(seq 1 100); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.05
    done
  done
  # shellcheck disable=SC2086
  redis-cli --cluster create $nodes --cluster-replicas "$replicas" --cluster-yes > "$work/create.log" 2>&1 ||
    { echo "redis-cli --cluster create failed:" >&2; cat "$work/create.log" >&2; return 1; }
  for _ in $(seq 1 1200); do
    local ok=0
    for port in $PRIVATE_CLUSTER_PORTS; do
      redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && ok=$((ok + 1))
    done
    [ "$ok" = "$count" ] && { PRIVATE_CLUSTER_URL="redis-cluster://$urls"; return 0; }
    sleep 0.05
  done
  echo "private cluster did not become ok within 60 s:" >&2
  cat "$work/create.log" >&2
  return 1
}
