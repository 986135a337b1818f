#!/usr/bin/env bash
# A local cluster (docs/cluster.md) with one command: one Redis and three Conduit nodes on 127.0.0.1,
# in the foreground until Ctrl-C, which stops them all. Needs redis-server (Debian: apt-get install
# redis-server) and builds ./conduit's jar on first use.
#
#   examples/cluster/run.sh            Redis on 6380 (not 6379, so a system Redis is left alone),
#                                      nodes n1, n2, n3 on tcp 7441-7443, HTTP/dashboard 7481-7483
#   REDIS_PORT=6390 BASE_PORT=7541 BASE_HTTP_PORT=7581 examples/cluster/run.sh
#
# Then, in other terminals:  ./conduit sub 'demo.>' --server tcp://127.0.0.1:7443
#                            ./conduit pub demo.hello hi --server tcp://127.0.0.1:7441
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v redis-server >/dev/null || { echo "redis-server is not installed (Debian: apt-get install redis-server)" >&2; exit 1; }
redis_port="${REDIS_PORT:-6380}"
base="${BASE_PORT:-7441}"
http_base="${BASE_HTTP_PORT:-7481}"
./conduit --version >/dev/null # builds the jar once, before three nodes would each want to
dir="$(mktemp -d)"
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
pids+=($!)
until redis-cli -p "$redis_port" ping >/dev/null 2>&1 || grep -q "Ready to accept" "$dir/redis.log"; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$dir/redis.log" >&2; exit 1; }
  sleep 0.1
done
echo "redis: redis://127.0.0.1:$redis_port"

for i in 1 2 3; do
  port=$((base + i - 1))
  http=$((http_base + i - 1))
  CONDUIT_CLUSTER_NODE_ID="n$i" CONDUIT_CLUSTER_ADVERTISE="tcp://127.0.0.1:$port" \
    ./conduit server --port "$port" --http-port "$http" --cluster "redis://127.0.0.1:$redis_port" \
    > >(sed -u "s/^/[n$i] /") 2>&1 &
  pids+=($!)
  echo "node n$i: tcp://127.0.0.1:$port, dashboard http://127.0.0.1:$http/"
done
echo "Ctrl-C stops the three nodes and Redis."
wait
