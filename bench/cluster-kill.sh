#!/usr/bin/env bash
# kill -9 of a cluster node under durable sessions (docs/cluster.md, "Durable sessions"), with the
# `conduit` launcher and one redis-server, all on 127.0.0.1: three nodes started with
# --durable-sessions; a 'conduit sub --check-seq' on node 3 (knowing node 2 as well), a
# 'conduit pub --seq' on node 3 (knowing node 2) and a 'conduit sub --check-seq' of its messages
# on node 1, plus a 'conduit pub --seq' on node 1 for the subscriber of node 3. Node 3 gets SIGKILL
# KILL_AFTER seconds into the stream; both subscribers' verdicts are printed.
# Needs redis-server and ./conduit's jar (./mvnw -pl conduit-cli -am package -DskipTests).
# Usage: bench/cluster-kill.sh [MESSAGES] [RATE] [KILL_AFTER_SECONDS]   (defaults: 200000 at 10000/s, kill at 5 s)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
n="${1:-200000}"
rate="${2:-10000}"
killafter="${3:-5}"
cluster_up --durable-sessions

echo "kill -9 of node 3 with durable sessions: $n messages each way at $rate/s, SIGKILL at ${killafter}s"
./conduit sub --server "$(url 2),$(url 1)" --check-seq --count "$n" 'down.>' >"$dir/down.log" 2>&1 &
down=$!
./conduit sub --server "$(url 0)" --check-seq --count "$n" 'up.>' >"$dir/up.log" 2>&1 &
up=$!
sleep 3 # the subscriptions reach the other nodes' tables through Redis
./conduit pub --server "$(url 0)" --seq --rate "$rate" --count "$n" down.seq >"$dir/pub-down.log" 2>&1 &
pubdown=$!
./conduit pub --server "$(url 2),$(url 1)" --seq --rate "$rate" --count "$n" up.seq >"$dir/pub-up.log" 2>&1 &
pubup=$!
sleep "$killafter"
echo "   SIGKILL to node 3"
kill -KILL "${node[2]}"; wait "${node[2]}" 2>/dev/null || true
wait "$pubdown" || echo "   publisher to node 3's subscriber: exit code $?"
wait "$pubup" || echo "   publisher of node 3: exit code $?"
wait "$down" || echo "   subscriber of node 3: exit code $?"
wait "$up" || echo "   subscriber on node 1: exit code $?"
echo "   to the subscriber of node 3:  $(tail -n 1 "$dir/down.log")"
echo "   from the publisher of node 3: $(tail -n 1 "$dir/up.log")"
grep -h "resum\|lost (" "$dir/down.log" "$dir/pub-up.log" | sed 's/^/   /' | head -10 || true
