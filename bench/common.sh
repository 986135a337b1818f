# Shared by the scripts in bench/ (sourced, not run).

# Sets java to a JDK >= 21: JAVA_HOME's, else the newest found under /usr/lib/jvm or on PATH
# (the default java may be older); exits if there is none.
find_java() {
  java=""
  local j v
  for j in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/*/bin/java "$(command -v java || true)"; do
    [ -x "$j" ] || continue
    v="$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    if [ -n "$v" ] && [ "${v%%.*}" -ge 21 ]; then java="$j"; java_version="${v%%.*}"; fi
  done
  if [ -z "$java" ]; then echo "no JDK >= 21 found under JAVA_HOME, /usr/lib/jvm or PATH" >&2; exit 1; fi
  # As the conduit launcher does from JDK 23 on: Netty may use sun.misc.Unsafe for its buffers.
  java_opts=()
  if [ "$java_version" -ge 23 ]; then java_opts=(--sun-misc-unsafe-memory-access=allow); fi
}

# Prints a TCP port free on 127.0.0.1 now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_redis PORT DIR [ARGS...]: a redis-server on 127.0.0.1:PORT in the background, its data in DIR
# (no persistence unless ARGS say otherwise), its log appended to DIR/redis.log; sets redis_pid and
# returns once it answers.
start_redis() {
  local port="$1" dir="$2"; shift 2
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" "$@" >>"$dir/redis.log" 2>&1 &
  redis_pid=$!
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
}

# await_listening LOG: returns once the `conduit server` writing LOG listens.
await_listening() { until grep -q "listening on tcp" "$1"; do sleep 0.2; done; }

# cluster_up [NODE_ARGS...]: a redis-server and three `conduit server --cluster` nodes n1-n3 on
# 127.0.0.1 (NODE_ARGS added to each), all killed and their folder removed on exit. Sets dir,
# rport, ports[] and node[] (the nodes' pids); start_node I starts node I (0-based) again on its
# port; url I prints its URL.
cluster_up() {
  cluster_args=("$@")
  dir="$(mktemp -d)"
  pids=()
  trap 'for p in "${pids[@]}" "${node[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
  rport="$(free_port)"
  start_redis "$rport" "$dir"
  pids+=("$redis_pid")
  ports=("$(free_port)" "$(free_port)" "$(free_port)")
  node=()
  for i in 0 1 2; do start_node "$i"; done
}

# start_node I: node I (0-based) of cluster_up on its port; returns once it listens.
start_node() {
  local i="$1" log="$dir/n$1.$(date +%s%N).log"
  CONDUIT_CLUSTER_NODE_ID="n$((i+1))" ./conduit server --port "${ports[$i]}" --http-port -1 \
    --cluster "redis://127.0.0.1:$rport" "${cluster_args[@]}" >"$log" 2>&1 &
  node[$i]=$!
  await_listening "$log"
}

url() { echo "tcp://127.0.0.1:${ports[$1]}"; }
