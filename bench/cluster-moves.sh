#!/usr/bin/env bash
# Sessions moving between cluster nodes (docs/cluster.md), with the `conduit` launcher and one
# redis-server, all on 127.0.0.1:
#  1. rolling restart: a 'conduit sub --check-seq' on node 1 and a 'conduit pub --seq' on node 2,
#     each knowing all three nodes, RATE messages a second; every node is stopped with SIGTERM and
#     started again in turn while the stream runs (one restart every STEP seconds); prints the
#     subscriber's verdict.
#  2. kill -9: a subscriber on node 3, node 3 killed; the subscriber resumes elsewhere and is told
#     its session was lost (durable sessions are not built), then subscribes again.
# Needs redis-server and ./conduit's jar (./mvnw -pl conduit-cli -am package -DskipTests).
# Usage: bench/cluster-moves.sh [MESSAGES] [STEP_SECONDS] [RATE]   (defaults: a 60 s stream)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
n="${1:-1200000}"
step="${2:-8}"
rate="${3:-20000}"
cluster_up
all="$(url 0),$(url 1),$(url 2)"

echo "1. rolling restart: $n messages ($rate/s) from node 2 to a subscriber on node 1, one node restarted every ${step}s"
./conduit sub --server "$(url 0),$(url 1),$(url 2)" --check-seq --count "$n" 'move.>' >"$dir/sub.log" 2>&1 &
sub=$!
sleep 3 # the subscription's interest reaches the other nodes through Redis
begin=$(date +%s)
./conduit pub --server "$(url 1),$(url 2),$(url 0)" --seq --rate "$rate" --count "$n" move.seq >"$dir/pub.log" 2>&1 &
pub=$!
for i in 0 1 2; do
  sleep "$step"
  if ! kill -0 "$pub" 2>/dev/null; then echo "   (the stream ended before node $((i+1))'s restart: raise MESSAGES)"; break; fi
  echo "   $(( $(date +%s) - begin ))s: SIGTERM to node $((i+1)), then start it again"
  kill -TERM "${node[$i]}"; wait "${node[$i]}" || true
  start_node "$i"
done
wait "$pub" || echo "   publisher exit code $?"
wait "$sub" || echo "   subscriber exit code $?"
echo "   stream of $(( $(date +%s) - begin ))s; subscriber: $(tail -n 2 "$dir/sub.log" | tr '\n' ' ')"
echo "   publisher: $(tail -n 1 "$dir/pub.log")"
grep -h "resumed on\|lost (" "$dir/sub.log" "$dir/pub.log" | sed 's/^/   /' | head -10 || true

echo "2. kill -9 of node 3 under a subscriber (no durable sessions: the session is lost, and said so)"
./conduit sub --server "$(url 2),$(url 0)" 'crash.>' >"$dir/crash.log" 2>&1 &
crash=$!
sleep 3
kill -KILL "${node[2]}"; wait "${node[2]}" 2>/dev/null || true
sleep 15 # the presence key expires (3 s), the claim is refused, the client opens a new session
./conduit pub --server "$(url 0)" crash.after "after the crash" >/dev/null 2>&1 || true
sleep 1
kill "$crash" 2>/dev/null || true
grep -h "lost\|410\|after the crash\|resum" "$dir/crash.log" | sed 's/^/   /' | head -10 || true
