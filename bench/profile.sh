#!/usr/bin/env bash
# JDK Flight Recorder profiles (CPU samples and allocation samples) of Conduit workloads of
# bench/compare.sh against a Conduit server process, and a summary of each: W1 (16 B pub/sub 1 -> 1),
# W2 (16 B fan-out 1 -> 4), W3 (16 B request/reply, one in flight), W4 (16 B request/reply, 64 in
# flight), W5 (16 B to a queue group of 4 workers).
#
#   bench/profile.sh                 W1 and W3; recordings and summaries in target/profile/
#   bench/profile.sh --only W2,W4,W5 those (any of W1-W5, comma-separated)
#   bench/profile.sh --out DIR       somewhere else
#   bench/profile.sh --nats PATH     then the same workload against that nats-server (jnats), not
#                                    recorded: its figure, CPU, client allocation and context switches
#   bench/profile.sh --echo          W1 and W3 also against compare.sh's raw Netty echo server (W7),
#                                    not recorded, the same figures
#
# Counts (compare.sh's full counts): PROFILE_MESSAGES (W1, 2,000,000 by default), PROFILE_FANOUT_MESSAGES
# (W2, 500,000 published), PROFILE_REQUESTS (W3, 20,000), PROFILE_INFLIGHT_REQUESTS (W4, 200,000),
# PROFILE_QUEUE_MESSAGES (W5, 1,000,000). A fifth of each runs first to warm up, unrecorded; then the
# measured run is recorded in the server process (DIR/w1-server.jfr) and in the client process
# (DIR/w1-client.jfr, publisher and subscribers, or requester and responder) with the JDK's
# "profile" settings and a CPU sample every millisecond.
# DIR/w1-summary.txt holds the run's figure, both processes' CPU time per million, bytes allocated
# per message or request (the JVMs' exact counters), context switches per message or request from
# /proc (voluntary ones are wake-ups), in all and by thread, and `jfr view` tables: hot methods (top
# frames of the CPU samples) and allocation by site and by class, then the CPU and allocation
# samples charged to the nearest Conduit method (and line) on their stacks, with the top frames under each
# (dev.conduit.benchmarks.JfrCallers).
# The server listens on 127.0.0.1 only.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/common.sh

out=target/profile
workloads="W1 W3"
peers=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only) workloads="${2//,/ }"; shift ;;
    --out) out="$2"; shift ;;
    --nats) peers+=(--nats "$2"); shift ;;
    --echo) peers+=(--echo) ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"

find_java
jfr="$(dirname "$java")/jfr"

echo "building conduit-benchmarks" >&2
./mvnw -B -ntp -q -pl conduit-benchmarks -am package -DskipTests \
  org.apache.maven.plugins:maven-dependency-plugin:3.7.0:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime >&2
cp="conduit-benchmarks/target/classes:$(cat conduit-benchmarks/target/classpath.txt)"

for w in $workloads; do
  case "$w" in
    W1) count="${PROFILE_MESSAGES:-2000000}" ;;
    W2) count="${PROFILE_FANOUT_MESSAGES:-500000}" ;;
    W3) count="${PROFILE_REQUESTS:-20000}" ;;
    W4) count="${PROFILE_INFLIGHT_REQUESTS:-200000}" ;;
    W5) count="${PROFILE_QUEUE_MESSAGES:-1000000}" ;;
    *) echo "unknown workload: $w (W1, W2, W3, W4 or W5)" >&2; exit 2 ;;
  esac
  name="$(echo "$w" | tr 'A-Z' 'a-z')"
  summary="$out/$name-summary.txt"
  {
    echo "# $w, $count, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg), $(git rev-parse --short HEAD)"
    "$java" --enable-native-access=ALL-UNNAMED "${java_opts[@]}" -Xms512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      -cp "$cp" dev.conduit.benchmarks.Profile "$w" "$count" "$out" "${peers[@]}"
    for side in server client; do
      f="$out/$name-$side.jfr"
      echo; echo "## $side: $f"
      "$jfr" view --width 200 hot-methods "$f"
      "$jfr" view --width 200 allocation-by-site "$f"
      "$jfr" view --width 200 allocation-by-class "$f"
      "$java" -cp "$cp" dev.conduit.benchmarks.JfrCallers "$f"
    done
  } > "$summary"
  echo "$w: $summary" >&2
done
