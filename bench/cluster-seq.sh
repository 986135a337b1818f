#!/usr/bin/env bash
# Three Conduit nodes and one Redis (docs/cluster.md), all on 127.0.0.1: a 'conduit sub --check-seq'
# subscriber on each node and a 'conduit pub --seq' publisher on node 1; prints each subscriber's
# verdict (lost, duplicated, out of order) and the time. Needs redis-server and ./conduit's jar
# (./mvnw -pl conduit-cli -am package -DskipTests).   Usage: bench/cluster-seq.sh [MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
n="${1:-300000}"
dir="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
rport="$(free_port)"
start_redis "$rport" "$dir"
pids+=("$redis_pid")
ports=()
for i in 1 2 3; do
  p="$(free_port)"
  ports+=("$p")
  CONDUIT_CLUSTER_NODE_ID="n$i" ./conduit server --port "$p" --http-port -1 --cluster "redis://127.0.0.1:$rport" \
    >"$dir/n$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do await_listening "$dir/n$i.log"; done
for i in 1 2 3; do
  ./conduit sub --server "tcp://127.0.0.1:${ports[$((i-1))]}" --check-seq --count "$n" 'bench.>' >"$dir/sub$i.log" 2>&1 &
  subs[$i]=$!
done
sleep 3 # the subscriptions' interest reaches node 1 through Redis (a hint, within a round trip; at most 1 s)
start=$(date +%s.%N)
./conduit pub --server "tcp://127.0.0.1:${ports[0]}" --seq --count "$n" bench.seq x >"$dir/pub.log" 2>&1
for i in 1 2 3; do wait "${subs[$i]}" || true; done
end=$(date +%s.%N)
for i in 1 2 3; do echo "node $i subscriber: $(tail -n 2 "$dir/sub$i.log" | tr '\n' ' ')"; done
printf '%d messages from node 1 to a subscriber on each of 3 nodes: %.1f s\n' "$n" "$(echo "$end - $start" | bc)"
