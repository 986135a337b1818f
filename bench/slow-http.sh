#!/usr/bin/env bash
# The slow-HTTP figures of docs/security.md ("The HTTP port before the upgrade"), measured against a
# `conduit server` with its defaults on 127.0.0.1:
#
#   1. slowhttptest -H (slow headers) and then -X (slow read), 4,000 connections each from 127.0.0.1
#      against the HTTP port: the share of them closed by the handshake timeout + 2 s (measured: an
#      idle request is timed until the server closes it), whether /healthz stayed available (asked
#      every second from 127.0.0.2), 100 request/reply round trips of a client from 127.0.0.2 during
#      the attack (p50/p99), and the server's log lines per second during it.
#   2. 20,000 slow HTTP requests from 127.0.0.1-127.0.0.4 (5,000 each, one process each), then a new
#      client from 127.0.0.5 on the binary port (HELLO to WELCOME) and on the HTTP port (/healthz),
#      timed, and how many of the 20,000 the server refused or held.
#
# bench/SlowLoad.java is the client side that must choose its source address (slowhttptest and the
# conduit command line cannot). Needs bash 5, slowhttptest (Debian: apt-get install slowhttptest), curl, ss
# (iproute2) and python3. Extra server environment (CONDUIT_HANDSHAKE_TIMEOUT=5s, ...) passes through.
#
#   bench/slow-http.sh [CONNECTIONS] [SLOW_TOTAL]     defaults 4000 and 20000
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/common.sh
connections="${1:-4000}"
slow_total="${2:-20000}"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  jobs -p | xargs -r kill 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v slowhttptest >/dev/null || { echo "slowhttptest is not installed (apt-get install slowhttptest)" >&2; exit 1; }
find_java
ulimit -n 20000 2>/dev/null || true

echo "building conduit-cli and conduit-testkit" >&2
./mvnw -B -ntp -q -pl conduit-cli,conduit-testkit -am package -DskipTests >&2
version="$(sed -n 's:.*<version>\(.*-SNAPSHOT\)</version>.*:\1:p' pom.xml | head -n 1)"
cp="conduit-protocol/target/conduit-protocol-$version.jar:conduit-testkit/target/conduit-testkit-$version.jar"
# Compiled once, run many times.
mkdir -p "$work/classes"
"$(dirname "$java")/javac" -nowarn -d "$work/classes" -cp "$cp" bench/SlowLoad.java 2>/dev/null
tool() { "$java" -cp "$work/classes:$cp" SlowLoad "$@"; }

port="$(free_port)"
http_port="$(free_port)"
"$java" -jar conduit-cli/target/conduit.jar server --port "$port" --http-port "$http_port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "http on" "$work/server.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "http on" "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }
url="http://127.0.0.1:$http_port"

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: conduit-cli/target/conduit.jar server --port $port --http-port $http_port (defaults), $("$java" -version 2>&1 | head -n 1)"

# The handshake timeout as the server applies it: an unfinished request, timed until it is closed.
timeout_s="$(python3 - "$http_port" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(120)
s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
t = time.monotonic()
while s.recv(4096):
    pass
print(round(time.monotonic() - t))
EOF
)"
echo "handshake timeout measured: an unfinished request was closed after ${timeout_s} s"

# /healthz from 127.0.0.2 once a second until $1 exists; prints "answered/asked, slowest".
probe_health() {
  local stop="$1" ok=0 n=0 worst=0 t code
  while [ ! -e "$stop" ]; do
    n=$((n + 1))
    read -r code t < <(curl -s -o /dev/null --interface 127.0.0.2 --max-time 2 -w '%{http_code} %{time_total}\n' "$url/healthz" || echo "000 2")
    [ "$code" = 200 ] && ok=$((ok + 1))
    worst="$(python3 -c "print(max($worst, $t))")"
    sleep 1
  done
  echo "/healthz from 127.0.0.2 during the attack: $ok of $n answered 200, slowest $(python3 -c "print(round($worst * 1000))") ms"
}

# Every half second until $1 exists: the time (epoch seconds), then the peer (address:port) of each
# connection the server holds established on the HTTP port. Server side: a socket the server closed
# with unsent data still queued for a slow reader is in FIN-WAIT, not counted, although slowhttptest
# sees it open until it has read everything; a connection waiting in the accept queue is counted.
sample_open() {
  local stop="$1"
  while [ ! -e "$stop" ]; do
    echo "$EPOCHREALTIME $(ss -Htn state established "( sport = :$http_port )" | awk '{print $NF}' | tr '\n' ' ')"
    sleep 0.5
  done
}

attack() { # $1 = name, rest = slowhttptest mode arguments
  local name="$1"; shift
  local rate=500 length=$(( connections / 500 + timeout_s + 12 ))
  local lines_before lines_after t0 t1
  echo
  echo "== slowhttptest $name: $connections connections at $rate/s from 127.0.0.1"
  lines_before="$(wc -l <"$work/server.log")"
  t0="$EPOCHREALTIME"
  rm -f "$work/stop"
  probe_health "$work/stop" >"$work/health.txt" &
  local health_pid=$!
  sample_open "$work/stop" >"$work/$name.open" &
  local sample_pid=$!
  (sleep $(( connections / rate + 2 )); tool reqreply 127.0.0.1 "$port" 127.0.0.2 100 >"$work/reqreply.txt" 2>&1) &
  local rr_pid=$!
  slowhttptest -c "$connections" -r "$rate" -l "$length" -g -o "$work/$name" "$@" >"$work/$name.out" 2>&1 || true
  t1="$(date +%s.%N)"
  # Sample a timeout past slowhttptest's end, so that the connections it still had are seen closing.
  sleep 0.5
  touch "$work/stop"
  wait "$health_pid" "$rr_pid" "$sample_pid" || true
  lines_after="$(wc -l <"$work/server.log")"
  echo "command: slowhttptest -c $connections -r $rate -l $length $*"
  # Connection i opens about i/rate s after the start: all of them are past timeout + 2 s once
  # connections/rate + timeout + 2 s have passed; the share closed by then.
  python3 - "$work/$name.csv" "$work/$name.out" "$connections" "$rate" "$timeout_s" "$work/$name.open" "$t0" <<'EOF'
import csv, math, re, sys
samples = []
for l in open(sys.argv[6]):
    parts = l.split()
    if parts:
        samples.append((float(parts[0]) - float(sys.argv[7]), parts[1:]))
rows = [r for r in csv.reader(open(sys.argv[1]))]
head, data = rows[0], [r for r in rows[1:] if r and r[0].strip().isdigit()]
col = {h.strip().lower(): i for i, h in enumerate(head)}
out = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[2], errors="replace").read())
c, rate, timeout = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
limit = timeout + 2
# Each connection's life on the server: a run of consecutive samples that hold its peer address and
# port (+0.5 s); a port the client reuses later starts a new run.
runs, start, seen = [], {}, {}
for t, peers in samples:
    now = set(peers)
    for p in list(start):
        if p not in now:
            runs.append((seen[p] - start.pop(p) + 0.5, False))
    for p in now:
        start.setdefault(p, t)
        seen[p] = t
end = samples[-1][0]
runs += [(end - start[p] + 0.5, True) for p in start]
lives = sorted(life for life, _ in runs)
late = sum(1 for life, _ in runs if life > limit)
unknown = sum(1 for life, still in runs if still and life <= limit)
first = runs
peak = max(len(peers) for t, peers in samples)
print(f"server side: {len(first)} of the {c} connections seen held (at most {peak} at once), each for "
      f"{lives[0]:.1f} s to {lives[-1]:.1f} s (median {lives[len(lives) // 2]:.1f} s); the others refused at once. "
      f"Closed within timeout {timeout} s + 2 s of being established: {c - late - unknown} of {c} "
      f"({100 * (c - late - unknown) / c:.1f}%), {late} held longer" + (f", {unknown} still open at the end" if unknown else ""))
peak_client = max(int(r[col["connected"]]) for r in data)
unavailable = sum(1 for r in data if int(r[col["service available"]]) == 0)
ended = re.search(r"Test ended on (\d+)\w* second\s*Exit status:\s*(.*)", out)
print(f"slowhttptest's view: most connected at once {peak_client}; seconds in which its own probe found the service "
      f"unavailable: {unavailable} of {len(data)}" + (f"; {ended.group(2).strip()} at {ended.group(1)} s" if ended else ""))
EOF
  cat "$work/health.txt"
  echo "during it: $(cat "$work/reqreply.txt")"
  python3 -c "print(f'server log: {$lines_after - $lines_before} lines in {$t1 - $t0:.0f} s ({($lines_after - $lines_before) / ($t1 - $t0):.1f} lines/s)')"
}

attack slow-headers -H -i 10 -u "$url/conduit"
attack slow-read -X -w 512 -y 1024 -n 5 -z 32 -k 3 -u "$url/dashboard.js"

echo
per=$(( slow_total / 4 ))
echo "== $slow_total slow HTTP requests from 127.0.0.1-127.0.0.4 ($per each, one process each, 2,500/s each)"
sleep "$timeout_s" # let the last attack's connections go
lines_before="$(wc -l <"$work/server.log")"
t0="$(date +%s.%N)"
pids=()
for a in 1 2 3 4; do
  tool slow 127.0.0.1 "$http_port" "127.0.0.$a" "$per" 2500 $(( timeout_s + 4 )) >"$work/slow-$a.txt" 2>&1 &
  pids+=($!)
done
sleep $(( per / 2500 + 1 ))
echo "$(python3 -c "import time; print(round(time.time() - $t0, 1))") s after the start:"
tool probe 127.0.0.1 "$port" "$http_port" 127.0.0.5
sleep 3
echo "$(python3 -c "import time; print(round(time.time() - $t0, 1))") s after the start:"
tool probe 127.0.0.1 "$port" "$http_port" 127.0.0.5
wait "${pids[@]}" || true
t1="$(date +%s.%N)"
cat "$work"/slow-*.txt
lines_after="$(wc -l <"$work/server.log")"
python3 -c "print(f'server log: {$lines_after - $lines_before} lines in {$t1 - $t0:.0f} s ({($lines_after - $lines_before) / ($t1 - $t0):.1f} lines/s)')"
echo "server resident memory at the end: $(( $(sed -n 's/^VmRSS:\s*\([0-9]*\).*/\1/p' /proc/"$server_pid"/status) / 1024 )) MB"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
