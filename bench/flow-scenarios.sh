#!/usr/bin/env bash
# Flow-control scenarios of docs/guarantees.md, run with the real ./conduit on 127.0.0.1:
#
#   bench/flow-scenarios.sh seq [N] [RUNS]     N x 16 B pub --seq into sub --check-seq writing to a file,
#                                              RUNS times (default 1,000,000 x 3)
#   bench/flow-scenarios.sh paused [SECONDS]   one publisher, four reliable subscribers and one lossy one;
#                                              one reliable subscriber is stopped (SIGSTOP) for SECONDS
#                                              (default 20) then continued; prints each summary, the
#                                              server's RSS growth and whether the publisher failed
#   bench/flow-scenarios.sh stall              as paused, but stopped for longer than the server's
#                                              maxStall (5 s here): that subscriber exits 6, the others go on
#   bench/flow-scenarios.sh queue-kill [N]     a queue group of two `reply --queue` responders; N requests
#                                              (default 20,000) one at a time with a 5 s deadline, while one
#                                              responder is killed with kill -9 and restarted three times;
#                                              prints how many requests failed and how
#
# Each scenario starts its own server on a free port and stops everything it started.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
conduit="$root/conduit"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

. "$root/bench/common.sh"

start_server() { # extra server flags in $@; sets port, server_pid
  port="$(free_port)"
  "$conduit" server --port "$port" --http-port -1 "$@" >"$work/server.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 1 600); do
    grep -q "listening on" "$work/server.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; cat "$work/server.log" >&2; exit 1
}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# sub NAME ARGS...: starts a subscriber writing to $work/NAME.out, waits until it has subscribed
start_sub() {
  local name="$1"; shift
  "$conduit" sub --server "tcp://127.0.0.1:$port" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  local pid=$!
  pids+=("$pid")
  eval "${name}_pid=$pid"
  for _ in $(seq 1 600); do
    grep -q "subscribed to" "$work/$name.err" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$name did not subscribe" >&2; cat "$work/$name.err" >&2; exit 1
}

summary() { grep -E '^received=' "$work/$1.err" | tail -n 1 || echo "(no summary)"; }

scenario_seq() {
  local n="${1:-1000000}" runs="${2:-3}"
  for run in $(seq 1 "$runs"); do
    start_server
    start_sub s 'seq.>' --check-seq --count "$n"
    local t0; t0=$(date +%s.%N)
    local pub_exit=0
    "$conduit" pub --server "tcp://127.0.0.1:$port" seq.test x --count "$n" --seq || pub_exit=$?
    local sub_exit=0
    wait "$s_pid" || sub_exit=$?
    local t1; t1=$(date +%s.%N)
    echo "run $run: n=$n pub_exit=$pub_exit sub_exit=$sub_exit $(summary s) lines=$(wc -l <"$work/s.out") seconds=$(echo "$t1 - $t0" | bc)"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  done
}

scenario_paused() {
  local pause="${1:-20}" stall="${2:-30s}"
  local n=1000000
  start_server --config <(printf 'maxStall: %s\n' "$stall")
  local rss0; rss0=$(rss_kib "$server_pid")
  for i in 1 2 3 4; do start_sub "r$i" 'seq.>' --check-seq --count "$n"; done
  start_sub lossy 'seq.>' --lossy --check-seq
  "$conduit" pub --server "tcp://127.0.0.1:$port" seq.test x --count "$n" --seq >"$work/pub.out" 2>"$work/pub.err" &
  local pub_pid=$!
  pids+=("$pub_pid")
  sleep 1
  kill -STOP "$r4_pid"
  local max=0 pubstate
  for _ in $(seq 1 "$pause"); do
    sleep 1
    local r; r=$(rss_kib "$server_pid"); [ "$r" -gt "$max" ] && max=$r
  done
  pubstate=$(kill -0 "$pub_pid" 2>/dev/null && echo running || echo exited)
  kill -CONT "$r4_pid"
  local pub_exit=0; wait "$pub_pid" || pub_exit=$?
  sleep 2
  kill -TERM "$lossy_pid" 2>/dev/null || true # it skips what it cannot take, so it never reaches a count
  for s in r1 r2 r3 r4 lossy; do
    local pid_var="${s}_pid" e=0
    wait "${!pid_var}" || e=$?
    echo "$s: exit=$e $(summary "$s")"
  done
  echo "publisher during the pause: $pubstate; pub exit=$pub_exit $(tail -n 1 "$work/pub.err" 2>/dev/null)"
  echo "server RSS: start ${rss0} KiB, max during the pause ${max} KiB, growth $(( (max - rss0) / 1024 )) MiB"
}

start_replier() { # NAME: a queue-group member echoing on svc.echo
  "$conduit" reply --server "tcp://127.0.0.1:$port" --queue workers --echo svc.echo >/dev/null 2>"$work/$1.err" &
  eval "${1}_pid=$!"
  pids+=("$!")
}

scenario_queue_kill() {
  local n="${1:-20000}"
  start_server
  start_replier a
  start_replier b
  "$conduit" bench reqreply --server "tcp://127.0.0.1:$port" --external --subject svc.echo --count "$n" \
    --retry-connect --request-timeout 5s --timeout 600s --progress never >"$work/req.out" 2>"$work/req.err" &
  local req_pid=$!
  pids+=("$req_pid")
  for kill in 1 2 3; do
    sleep 1
    kill -9 "$a_pid"; wait "$a_pid" 2>/dev/null || true
    echo "kill $kill: responder a killed; requester $(kill -0 "$req_pid" 2>/dev/null && echo still running || echo already done)"
    sleep 0.5
    start_replier a
  done
  local e=0; wait "$req_pid" || e=$?
  echo "requester exit=$e"
  cat "$work/req.out"
  tail -n 3 "$work/req.err"
}

case "${1:-}" in
  seq) shift; scenario_seq "$@" ;;
  paused) shift; scenario_paused "${1:-20}" 30s ;;
  stall) shift; scenario_paused 12 5s ;;
  queue-kill) shift; scenario_queue_kill "$@" ;;
  *) sed -n '2,18p' "$0"; exit 2 ;;
esac
