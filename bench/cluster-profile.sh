#!/usr/bin/env bash
# Where C2's cross-node round trip goes: compare.sh's C2 (request/reply, one in flight, 16 B, requester
# on node 1, responder on node 2 of three `conduit server --cluster` processes and one redis-server),
# a fifth of the count to warm up, then the measured run with its p50/p99, the Redis commands per
# request and Redis's time in each (`redis-cli info commandstats` before and after) and the wake-ups (voluntary context
# switches from /proc) per request of every process by thread: redis-server, each node, and the
# harness JVM holding requester and responder (dev.conduit.benchmarks.ClusterProfile).
#
#   bench/cluster-profile.sh [REQUESTS]       20,000 by default
#   bench/cluster-profile.sh MESSAGES c1      the same for C1 (pub/sub, 16 B, node 1 -> node 2), per message
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/common.sh

count="${1:-20000}"
mode=()
[ "${2:-}" = c1 ] && mode=(c1)
command -v redis-server >/dev/null 2>&1 || { echo "needs redis-server (Debian: apt-get install redis-server)" >&2; exit 2; }
find_java
echo "building conduit-benchmarks and the launcher" >&2
./mvnw -B -ntp -q -pl conduit-benchmarks -am package -DskipTests \
  org.apache.maven.plugins:maven-dependency-plugin:3.7.0:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime >&2
./conduit --version >/dev/null
cp="conduit-benchmarks/target/classes:$(cat conduit-benchmarks/target/classpath.txt)"
exec "$java" --enable-native-access=ALL-UNNAMED "${java_opts[@]}" -Xms512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$cp" dev.conduit.benchmarks.ClusterProfile "$(command -v redis-server)" conduit-cli/target/conduit.jar "$count" "${mode[@]}"
