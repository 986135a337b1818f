#!/usr/bin/env bash
# The server-wide memory bounds of docs/operations.md ("Memory bounds"), measured against a real
# `conduit server` process on 127.0.0.1 by BoundsFigures (conduit-benchmarks test sources):
#
#   bench/bounds-figures.sh slow [CONNECTIONS] [SECONDS]   CONNECTIONS (default 1,000) subscribers that
#                                                          never read, 1 KiB published at full rate for
#                                                          SECONDS (default 60); a fresh client's
#                                                          request/reply latency meanwhile
#   bench/bounds-figures.sh detached [SESSIONS] [FEED]      SESSIONS (default 50,000) sessions opened,
#                                                          subscribed and dropped; FEED=false publishes
#                                                          nothing to them
#
# The server runs with -Xmx1g (so maxMemory is 256 MiB and maxDetachedBytes 128 MiB) and
# maxConnectionsPerAddress 5,000. Extra server environment (for example CONDUIT_HEARTBEAT_INTERVAL=0s)
# passes through.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/common.sh
work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

find_java

echo "building conduit-cli and conduit-benchmarks' test classes" >&2
./mvnw -B -ntp -q -pl conduit-cli,conduit-benchmarks -am package -DskipTests \
  org.apache.maven.plugins:maven-dependency-plugin:3.7.0:build-classpath \
  -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >&2
cp="conduit-benchmarks/target/test-classes:conduit-benchmarks/target/classes:$(cat conduit-benchmarks/target/test-classpath.txt)"

port="$(free_port)"
http_port="$(free_port)"
CONDUIT_MAX_CONNECTIONS_PER_ADDRESS=5000 "$java" -Xmx1g -jar conduit-cli/target/conduit.jar server \
  --port "$port" --http-port "$http_port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "listening on" "$work/server.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }
ulimit -n 20000 2>/dev/null || true

mode="${1:-slow}"
case "$mode" in
  slow) "$java" -cp "$cp" dev.conduit.benchmarks.BoundsFigures slow "$server_pid" "$port" "$http_port" "${2:-1000}" "${3:-60}" ;;
  detached) "$java" -cp "$cp" dev.conduit.benchmarks.BoundsFigures detached "$server_pid" "$port" "$http_port" "${2:-50000}" "${3:-true}" ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
