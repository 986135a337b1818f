#!/usr/bin/env bash
# Side-by-side benchmarks: Conduit against nats-server (jnats), JeroMQ and a raw Netty echo server;
# W1-TLS, W3-TLS over TLS 1.3 (certificates made with openssl); C1, C2 across cluster nodes against
# single-node Conduit and a three-node nats-server cluster (needs redis-server, else they are skipped).
#
#   bench/compare.sh                  full counts; writes docs/benchmarks.md and docs/benchmarks.png
#   bench/compare.sh --quick          small counts, to try it (writes the docs only with --docs)
#   bench/compare.sh --only W1,W3     some workloads only (also W1-TLS, W3-TLS, C1, C2)
#   bench/compare.sh --no-docs        print the table only
#
# Counts can be overridden with BENCH_MESSAGES, BENCH_FANOUT_MESSAGES, BENCH_REQUESTS,
# BENCH_INFLIGHT_REQUESTS, BENCH_QUEUE_MESSAGES, BENCH_SESSIONS, BENCH_IDLE_SECONDS, BENCH_REPEATS,
# BENCH_RUN_TIMEOUT_SECONDS, BENCH_LATENCY_SECONDS (W9, seconds per fixed-rate run). Every server
# listens on 127.0.0.1 only. W9 publishes at half the NATS W1 16 B maximum of the same invocation
# (measured first if W1 is not run); W10 reads the server process's utime+stime from /proc.
# BENCH_DURABLE_SESSIONS=true runs C1 and C2's Conduit nodes with durable sessions (docs/cluster.md).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/common.sh

docs=docs
docs_given=0
only=""
args=()
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; args+=("$1") ;;
    --no-docs) docs="" ;;
    --docs) docs="$2"; docs_given=1; shift ;;
    --only) args+=("$1" "$2"); only="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
# a quick run does not overwrite the committed figures unless asked with --docs
if [ "$quick" = 1 ] && [ "$docs_given" = 0 ]; then docs=""; fi

# nats-server: install it if missing (we run as root on a Debian/Ubuntu machine)
if ! command -v nats-server >/dev/null 2>&1; then
  echo "installing nats-server" >&2
  if ! apt-get install -y nats-server >&2; then
    apt-get update >&2
    apt-get install -y nats-server >&2
  fi
fi
nats="$(command -v nats-server)"

# a JDK >= 21 to run the harness (Maven finds its own through the toolchains plugin)
find_java

echo "building conduit-benchmarks" >&2
./mvnw -B -ntp -q -pl conduit-benchmarks -am package -DskipTests \
  org.apache.maven.plugins:maven-dependency-plugin:3.7.0:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime >&2
cp="conduit-benchmarks/target/classes:$(cat conduit-benchmarks/target/classpath.txt)"

# C1, C2 (conduit-benchmarks ClusterWorkloads) run `conduit server --cluster` nodes from the launcher's jar and a redis-server
cluster=()
if [ -z "$only" ] || [[ ",${only^^}," =~ ,C[12], ]]; then
  if command -v redis-server >/dev/null 2>&1; then
    ./conduit --version >/dev/null
    cluster=(--redis "$(command -v redis-server)" --conduit-jar conduit-cli/target/conduit.jar)
  else
    echo "redis-server is not installed: C1 and C2 are skipped (Debian: apt-get install redis-server)" >&2
  fi
fi

command="bench/compare.sh${args[*]:+ ${args[*]}}"
docargs=()
[ -n "$docs" ] && docargs=(--docs "$docs")
exec "$java" --enable-native-access=ALL-UNNAMED "${java_opts[@]}" -Xms512m -cp "$cp" dev.conduit.benchmarks.Compare \
  --nats "$nats" "${cluster[@]}" --command "$command" "${args[@]}" "${docargs[@]}"
