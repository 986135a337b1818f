#!/usr/bin/env bash
# Issue 14's Redis fault, literally (docs/cluster.md, "Redis faults"): three Conduit nodes and one
# Redis on 127.0.0.1 (append-only file, fsync always), 'conduit pub --seq --rate' on node 1 and a
# 'conduit sub --check-seq' on each node; 5 s into the stream Redis is killed (SIGKILL), kept down
# 10 s, and started again. Prints node 1's /readyz and held bytes during the outage, how many
# messages node 1's own subscriber got meanwhile, and each subscriber's verdict at the end.
# Needs redis-server, curl and ./conduit's jar (./mvnw -pl conduit-cli -am package -DskipTests).
# Usage: bench/redis-outage.sh [RATE_PER_S] [SECONDS]   (default 2000 messages/s for 25 s)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
rate="${1:-2000}"
seconds="${2:-25}"
n=$((rate * seconds))
dir="$(mktemp -d)"
pids=()
redis_pid=""
cleanup() {
  for p in "${pids[@]}" $redis_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
rport="$(free_port)"
redis_up() { start_redis "$rport" "$dir" --appendonly yes --appendfsync always; } # fsynced: it comes back with its data
redis_up
ports=()
http=()
for i in 1 2 3; do
  p="$(free_port)"; h="$(free_port)"
  ports+=("$p"); http+=("$h")
  CONDUIT_CLUSTER_NODE_ID="n$i" ./conduit server --port "$p" --http-port "$h" --cluster "redis://127.0.0.1:$rport" \
    >"$dir/n$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do await_listening "$dir/n$i.log"; done
for i in 1 2 3; do
  ./conduit sub --server "tcp://127.0.0.1:${ports[$((i-1))]}" --check-seq --count "$n" 'bench.>' >"$dir/sub$i.log" 2>&1 &
  subs[$i]=$!
done
# A plain subscriber on node 1 too, printing each payload: its line count shows local traffic going on.
./conduit sub --server "tcp://127.0.0.1:${ports[0]}" --count "$n" 'bench.>' >"$dir/local.out" 2>/dev/null &
local_sub=$!
pids+=("$local_sub")
metric() { curl -s "http://127.0.0.1:${http[0]}/metrics" | awk -v m="$1" '$1 ~ "^"m {s += $2} END {print s + 0}'; }
# Every subscriber subscribed, and node 1 knows the two other nodes' interest (through Redis).
for i in 1 2 3; do until grep -q "subscribed to" "$dir/sub$i.log"; do sleep 0.2; done; done
until [ "$(metric conduit_cluster_remote_interests)" = "2" ]; do sleep 0.2; done
readyz() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${http[0]}/readyz"; echo " $(curl -s "http://127.0.0.1:${http[0]}/readyz")"; }
held() { curl -s "http://127.0.0.1:${http[0]}/metrics" | grep -E '^conduit_cluster_(held_bytes|lag_ms)' | tr '\n' ' '; }
echo "node 1 /readyz before: $(readyz)"
./conduit pub --server "tcp://127.0.0.1:${ports[0]}" --seq --count "$n" --rate "$rate" bench.seq >"$dir/pub.log" 2>&1 &
pub=$!
until [ "$(metric conduit_cluster_forwarded_total)" != "0" ]; do sleep 0.2; done
sleep 3 # mid-stream
kill -9 "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
down=$(wc -l <"$dir/local.out")
echo "Redis killed after node 1's own subscriber had $down messages"
sleep 2
echo "node 1 /readyz 2 s into the outage: $(readyz)"
echo "node 1 2 s into the outage: $(held)"
sleep 8
echo "node 1 at 10 s: $(held)"
echo "node 1 /readyz at 10 s: $(readyz)"
up=$(wc -l <"$dir/local.out")
echo "node 1's own subscriber got $((up - down)) messages while Redis was down"
redis_up
echo "Redis started again (same port, its append-only file)"
wait "$pub" || echo "pub exited with $?"
# Each subscriber exits after its N messages; one still waiting after 60 s is stopped (TERM: it prints its verdict).
for t in $(seq 300); do
  left=0; for i in 1 2 3; do kill -0 "${subs[$i]}" 2>/dev/null && left=1; done
  [ "$left" = 0 ] && break; sleep 0.2
done
for i in 1 2 3; do kill "${subs[$i]}" 2>/dev/null || true; wait "${subs[$i]}" || true; done
echo "node 1 /readyz after: $(sleep 6; readyz)"
for i in 1 2 3; do echo "node $i subscriber: $(tail -n 1 "$dir/sub$i.log")"; done
echo "node 1: $(held)dropped $(metric conduit_cluster_dropped_total); node 2: duplicates dropped $(curl -s "http://127.0.0.1:${http[1]}/metrics" | awk '$1 ~ /^conduit_cluster_duplicates/ {print $2}')"
