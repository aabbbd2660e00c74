#!/usr/bin/env bash
# The distributed mesh on one machine: `./mesh up --distributed`, `./mesh status`, `./mesh down`.
# Separate processes on loopback: redis-server and a Kafka KRaft broker (infra.sh), one worker pool
# per expert of the routing config (colocated replicas, or prefill + decode replicas), and the
# gateway (router inside) in remote-pool mode. Workers announce themselves and report load and KV
# events over Kafka, and are listed as the gateway's seeds (polled for health and load over gRPC);
# the KV of disaggregated requests goes through Redis, and so do the tenants' limits (requests and
# tokens per minute, concurrency: shared by every gateway). Only what `up` started
# (pid files under $RUN_DIR/mesh) is ever stopped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${MESH_RUN_DIR:-$ROOT/run}"
MESH_DIR="$RUN_DIR/mesh"
HOST=127.0.0.1
REDIS_PORT="${MESH_REDIS_PORT:-6379}"
KAFKA_PORT="${MESH_KAFKA_PORT:-9092}"
WORKER_BASE_PORT="${MESH_WORKER_BASE_PORT:-9201}"
# Each worker serves Prometheus metrics (/q/metrics) on its gRPC port + this offset (10201...).
METRICS_PORT_OFFSET="${MESH_METRICS_PORT_OFFSET:-1000}"
READY_TIMEOUT_S="${MESH_READY_TIMEOUT_S:-240}"

say() { echo "mesh: $*"; }
die() { echo "mesh: $*" >&2; exit 1; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# The worker pools of the default routing config: NAME EXPERT ROLE. Every expert gets a pool (a
# request may be routed to any of them); coder is disaggregated (1 prefill + 2 decode) and stories,
# the fallback, colocated with 2 replicas. math-large runs the synthetic stories15M-shape model.
POOLS="
stories-0 stories colocated
stories-1 stories colocated
coder-prefill-0 coder prefill
coder-decode-0 coder decode
coder-decode-1 coder decode
math-small-0 math-small colocated
math-large-0 math-large colocated
medic-0 medic colocated
counsel-0 counsel colocated
analyst-0 analyst colocated
scientist-0 scientist colocated
scholar-0 scholar colocated
"

# The model of an expert, as the default routing config names it.
expert_model_args() {
  local models="$1"
  case "$2" in
    math-large) echo "--model synthetic:stories15M" ;;
    *) echo "--model $models/stories260K.bin --tokenizer $models/tok512.bin" ;;
  esac
}

# One java for every process: the launcher's flags (Vector API, native access, GC).
start_worker() { # NAME EXPERT ROLE PORT MODELS CLASSPATH
  local name="$1" expert="$2" role="$3" port="$4" models="$5" cp="$6"
  local metrics=$((port + METRICS_PORT_OFFSET))
  local pidfile="$MESH_DIR/pids/$name.pid"
  if pid_alive "$pidfile"; then say "$name already running (pid $(cat "$pidfile"))"; return; fi
  port_open "$port" && die "port $port (for $name) is taken by another process; set MESH_WORKER_BASE_PORT"
  port_open "$metrics" && die "port $metrics (metrics of $name) is taken by another process; set MESH_METRICS_PORT_OFFSET"
  # tracing (./mesh up with MESH_OTLP_ENDPOINT): the workers' SDK reads the standard OTEL_* variables
  local otel=(OTEL_SDK_DISABLED=true)
  if [ -n "${MESH_OTLP_ENDPOINT:-}" ]; then
    otel=(OTEL_SDK_DISABLED=false OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
      "OTEL_EXPORTER_OTLP_ENDPOINT=${MESH_OTLP_ENDPOINT%/}" "OTEL_SERVICE_NAME=coemesh-$name")
  fi
  # shellcheck disable=SC2046
  env "${otel[@]}" nohup java "${JAVA_OPTS_MESH[@]}" -Xmx384m -XX:ActiveProcessorCount=1 \
    -Dmesh.models.dir="$models" -cp "$cp" dev.coemesh.worker.server.WorkerServer \
    --role "$role" --expert "$expert" --instance "$name" --port "$port" --advertise "$HOST" \
    $(expert_model_args "$models" "$expert") \
    --redis "redis://$HOST:$REDIS_PORT" --kafka "$HOST:$KAFKA_PORT" \
    --credential-file "$MESH_DIR/worker-token" --lifeline none --metrics-port "$metrics" \
    </dev/null >"$MESH_DIR/logs/$name.log" 2>&1 &
  echo $! >"$pidfile"
  echo "$name worker $expert/$role $port $metrics" >"$MESH_DIR/pids/$name.info"
}

start_gateway() { # PORT GRPC_PORT MODELS API_KEY SEEDS
  local port="$1" grpc_port="$2" models="$3" key="$4" seeds="$5"
  local pidfile="$MESH_DIR/pids/gateway.pid"
  if pid_alive "$pidfile"; then say "gateway already running (pid $(cat "$pidfile"))"; return; fi
  for p in "$port" "$grpc_port"; do
    port_open "$p" && die "port $p is taken by another process (a running ./mesh up?); use --port/--grpc-port"
  done
  # shellcheck disable=SC2086
  MESH_API_KEY="$key" nohup java "${JAVA_OPTS_MESH[@]}" -Xmx1g ${MESH_OTEL_FLAGS:-} \
    -Dmesh.models.dir="$models" -Dmesh.root="$ROOT" \
    -Dquarkus.http.host="$HOST" -Dquarkus.http.port="$port" \
    -Dquarkus.grpc.server.host="$HOST" -Dquarkus.grpc.server.port="$grpc_port" \
    -Dmesh.serving.pools=remote -Dmesh.signals.kafka.bootstrap-servers="$HOST:$KAFKA_PORT" \
    -Dmesh.serving.remote.credential-file="$MESH_DIR/worker-token" \
    -Dmesh.serving.remote.seeds="$seeds" \
    -Dmesh.limits.redis.uri="redis://$HOST:$REDIS_PORT" \
    -jar "$ROOT/gateway/target/quarkus-app/quarkus-run.jar" \
    </dev/null >"$MESH_DIR/logs/gateway.log" 2>&1 &
  echo $! >"$pidfile"
  echo "gateway gateway - $port $port" >"$MESH_DIR/pids/gateway.info"
}

# A Prometheus configuration that scrapes every process of this mesh and loads the mesh's alert
# rules: prometheus --config.file=$MESH_DIR/prometheus.yml (Debian package prometheus).
prometheus_config() {
  local f info name kind role port metrics workers=""
  for f in "$MESH_DIR"/pids/*.info; do
    read -r name kind role port metrics <"$f"
    [ "$kind" = worker ] && workers="${workers:+$workers, }'$HOST:$metrics'"
  done
  local gateway_port; read -r _ _ _ gateway_port _ <"$MESH_DIR/pids/gateway.info"
  cat >"$MESH_DIR/prometheus.yml" <<PROM
# Written by ./mesh up --distributed.
global: {scrape_interval: 15s, evaluation_interval: 15s}
rule_files: ['$ROOT/observability/alerts/mesh-alerts.yml']
scrape_configs:
  - job_name: coemesh-gateway
    metrics_path: /q/metrics
    static_configs: [{targets: ['$HOST:$gateway_port']}]
  - job_name: coemesh-workers
    metrics_path: /q/metrics
    static_configs: [{targets: [$workers]}]
PROM
}

ready() { # PORT: the gateway's readiness (every expert has a live replica)
  curl -sf -o /dev/null "http://$HOST:$1/q/health/ready"
}

up() { # PORT GRPC_PORT MODELS WORKER_CLASSPATH
  local port="$1" grpc_port="$2" models="$3" cp="$4"
  mkdir -p "$MESH_DIR/pids" "$MESH_DIR/logs"
  "$ROOT/infra/infra.sh" up
  # The mesh credential every worker call must carry (a Secret on Kubernetes).
  if [ ! -s "$MESH_DIR/worker-token" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$MESH_DIR/worker-token")
  fi
  local key="${MESH_API_KEY:-}"
  if [ -z "$key" ]; then
    if [ -s "$MESH_DIR/api-key" ]; then key="$(cat "$MESH_DIR/api-key")"; else
      key="sk-mesh-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      (umask 077 && echo "$key" >"$MESH_DIR/api-key")
    fi
  fi
  # Every worker is also a seed of the gateway (expert/role/instance@host:port, the id it
  # announces): known from the gateway's first poll, and served even while Kafka is unreachable.
  local i=0 name expert role seeds=""
  while read -r name expert role; do
    [ -n "$name" ] || continue
    start_worker "$name" "$expert" "$role" $((WORKER_BASE_PORT + i)) "$models" "$cp"
    seeds="${seeds:+$seeds,}$expert/$role/$name@$HOST:$((WORKER_BASE_PORT + i))"
    i=$((i + 1))
  done <<<"$POOLS"
  start_gateway "$port" "$grpc_port" "$models" "$key" "$seeds"
  prometheus_config
  say "waiting for every worker to announce itself and the gateway to be ready (up to ${READY_TIMEOUT_S}s)..."
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until ready "$port"; do
    for f in "$MESH_DIR"/pids/*.pid; do
      pid_alive "$f" || { status; die "$(basename "$f" .pid) exited; see $MESH_DIR/logs/$(basename "$f" .pid).log (./mesh down stops the rest)"; }
    done
    [ "$SECONDS" -lt "$deadline" ] || { status; die "not ready after ${READY_TIMEOUT_S}s; see $MESH_DIR/logs"; }
    sleep 1
  done
  status
  echo
  echo "coemesh distributed mesh: OpenAI API on http://$HOST:$port/v1, gRPC coemesh.v1.Inference on $HOST:$grpc_port"
  echo "API key: $key   (export MESH_API_KEY=$key)"
  echo "Prometheus: every process serves /q/metrics (METRICS column); scrape them all with"
  echo "  prometheus --config.file=$MESH_DIR/prometheus.yml   (dashboards and alerts: observability/)"
  echo "Stop it with ./mesh down; logs in $MESH_DIR/logs"
}

status() {
  printf '%-18s %-8s %-24s %-7s %-8s %-6s %s\n' NAME PID ROLE PORT METRICS UP HEALTH
  "$ROOT/infra/infra.sh" status 2>/dev/null | sed 's/^/  /' || true
  local f info name kind role port metrics pid alive health
  for f in "$MESH_DIR"/pids/*.info; do
    [ -f "$f" ] || continue
    read -r name kind role port metrics <"$f"
    pid="$(cat "${f%.info}.pid" 2>/dev/null || echo -)"
    alive=no; health=-
    if pid_alive "${f%.info}.pid"; then alive=yes; fi
    if [ "$kind" = gateway ]; then
      if [ "$alive" = yes ] && ready "$port"; then health=ready; elif [ "$alive" = yes ]; then health=starting; fi
      role=gateway
    elif [ "$alive" = yes ]; then
      if port_open "$port"; then health=serving; else health=starting; fi
    fi
    printf '%-18s %-8s %-24s %-7s %-8s %-6s %s\n' "$name" "$pid" "$role" "$port" "${metrics:--}" "$alive" "$health"
  done
}

stop_pid() { # NAME PIDFILE
  local name="$1" pidfile="$2"
  if pid_alive "$pidfile"; then
    local pid; pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile" "${pidfile%.pid}.info"
}

down() {
  local f
  [ -f "$MESH_DIR/pids/gateway.pid" ] && stop_pid gateway "$MESH_DIR/pids/gateway.pid"
  for f in "$MESH_DIR"/pids/*.pid; do
    [ -f "$f" ] || continue
    stop_pid "$(basename "$f" .pid)" "$f"
  done
  "$ROOT/infra/infra.sh" down
}

JAVA_OPTS_MESH=(${MESH_JAVA_FLAGS:-})
case "${1:-}" in
  up) shift; up "$@" ;;
  status) status ;;
  down) down ;;
  *) die "usage: distributed.sh up PORT GRPC_PORT MODELS CLASSPATH | status | down" ;;
esac
