#!/usr/bin/env bash
# JDK Flight Recorder profiles (CPU samples and allocation samples) of W1 (16 B pub/sub 1 -> 1) and
# W3 (16 B request/reply, one in flight) against a Conduit server process, and a summary of each.
#
#   bench/profile.sh                 both workloads; recordings and summaries in target/profile/
#   bench/profile.sh --only W3       one of them
#   bench/profile.sh --out DIR       somewhere else
#
# Counts: PROFILE_MESSAGES (W1, 2,000,000 by default) and PROFILE_REQUESTS (W3, 20,000). A fifth of
# each runs first to warm up, unrecorded; then the measured run is recorded in the server process
# (DIR/w1-server.jfr) and in the client process (DIR/w1-client.jfr, publisher and subscriber, or
# requester and responder) with the JDK's "profile" settings and a CPU sample every millisecond.
# DIR/w1-summary.txt holds the run's figure, both processes' CPU time per million and `jfr view`
# tables: hot methods (top frames of the CPU samples) and allocation by site and by class.
# The server listens on 127.0.0.1 only.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/common.sh

out=target/profile
workloads="W1 W3"
while [ $# -gt 0 ]; do
  case "$1" in
    --only) workloads="${2//,/ }"; shift ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
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
    W3) count="${PROFILE_REQUESTS:-20000}" ;;
    *) echo "unknown workload: $w (W1 or W3)" >&2; exit 2 ;;
  esac
  name="$(echo "$w" | tr 'A-Z' 'a-z')"
  summary="$out/$name-summary.txt"
  {
    echo "# $w, $count, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg), $(git rev-parse --short HEAD)"
    "$java" --enable-native-access=ALL-UNNAMED -Xms512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      -cp "$cp" dev.conduit.benchmarks.Profile "$w" "$count" "$out"
    for side in server client; do
      f="$out/$name-$side.jfr"
      echo; echo "## $side: $f"
      "$jfr" view --width 200 hot-methods "$f"
      "$jfr" view --width 200 allocation-by-site "$f"
      "$jfr" view --width 200 allocation-by-class "$f"
    done
  } > "$summary"
  echo "$w: $summary" >&2
done
