#!/usr/bin/env bash
# Local infrastructure for the distributed mode: a real redis-server and a real Kafka KRaft broker on loopback.
# Called as `./mesh infra up|down|status`. Only what `up` started (pid files under $RUN_DIR) is ever stopped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${MESH_RUN_DIR:-$ROOT/run}"
REDIS_PORT="${MESH_REDIS_PORT:-6379}"
KAFKA_PORT="${MESH_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${MESH_KAFKA_CONTROLLER_PORT:-9093}"
HOST=127.0.0.1
KAFKA_LIB="$RUN_DIR/kafka/lib"
READY_TIMEOUT_S="${MESH_INFRA_TIMEOUT_S:-60}"

say() { echo "infra: $*"; }
die() { echo "infra: $*" >&2; exit 1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

await() { # await SECONDS DESCRIPTION COMMAND...
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# --- redis ------------------------------------------------------------------------------------------
redis_binary() {
  command -v redis-server && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "redis-server missing: installing the Debian package" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2 \
      || die "apt-get install redis-server failed"
    command -v redis-server && return 0
  fi
  die "redis-server not found: install it (Debian/Ubuntu: sudo apt-get install -y redis-server) and run again"
}

redis_ping() { [ "$(printf 'PING\r\n' | timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$REDIS_PORT; cat >&3; head -c 5 <&3" 2>/dev/null)" = "+PONG" ]; }

redis_up() {
  local pidfile="$RUN_DIR/redis/redis.pid"
  if pid_alive "$pidfile"; then say "redis already running (pid $(cat "$pidfile"), port $REDIS_PORT)"; return; fi
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by another process; set MESH_REDIS_PORT"
  local bin; bin="$(redis_binary)"
  mkdir -p "$RUN_DIR/redis"
  "$bin" --port "$REDIS_PORT" --bind "$HOST" --save '' --appendonly no --dir "$RUN_DIR/redis" \
    --daemonize yes --pidfile "$pidfile" --logfile "$RUN_DIR/redis/redis.log" >/dev/null
  await 15 redis redis_ping || die "redis-server did not answer PING (log: $RUN_DIR/redis/redis.log)"
  say "redis up on $HOST:$REDIS_PORT (pid $(cat "$pidfile"))"
}

# --- kafka ------------------------------------------------------------------------------------------
kafka_jars() {
  if ! ls "$KAFKA_LIB"/kafka_2.13-*.jar >/dev/null 2>&1; then
    say "fetching Kafka broker jars from Maven Central into $KAFKA_LIB"
    mkdir -p "$KAFKA_LIB"
    "$ROOT/mvnw" -B -q -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$KAFKA_LIB" >&2 || die "could not fetch Kafka jars with Maven"
  fi
}

kafka_up() {
  local dir="$RUN_DIR/kafka" pidfile="$RUN_DIR/kafka/kafka.pid"
  if pid_alive "$pidfile"; then say "kafka already running (pid $(cat "$pidfile"), port $KAFKA_PORT)"; return; fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process; set MESH_KAFKA_PORT"
  kafka_jars
  mkdir -p "$dir/data"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  local java=(java -Xms256m -Xmx512m -cp "$KAFKA_LIB/*")
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster; cluster="$("${java[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    "${java[@]}" kafka.tools.StorageTool format -t "$cluster" -c "$dir/server.properties" >"$dir/format.log" 2>&1 \
      || die "kafka storage format failed (log: $dir/format.log)"
  fi
  nohup "${java[@]}" -Dlog4j2.configurationFile= kafka.Kafka "$dir/server.properties" >"$dir/kafka.log" 2>&1 &
  echo $! > "$pidfile"
  await "$READY_TIMEOUT_S" kafka port_open "$KAFKA_PORT" || { kafka_down; die "kafka did not open port $KAFKA_PORT (log: $dir/kafka.log)"; }
  say "kafka up on $HOST:$KAFKA_PORT (pid $(cat "$pidfile"), KRaft controller on $KAFKA_CONTROLLER_PORT)"
}

stop_pid() { # stop_pid NAME PIDFILE
  local name="$1" pidfile="$2"
  if pid_alive "$pidfile"; then
    local pid; pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    await 30 "$name stop" bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
    say "$name stopped (pid $pid)"
  else
    say "$name not running"
  fi
  rm -f "$pidfile"
}

kafka_down() { stop_pid kafka "$RUN_DIR/kafka/kafka.pid"; }
redis_down() { stop_pid redis "$RUN_DIR/redis/redis.pid"; }

SIGNAL_TOPICS="mesh.load mesh.kv-events mesh.usage mesh.slo mesh.routing"

kafka_tool() { java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand \
  --bootstrap-server "$HOST:$KAFKA_PORT" "$@"; }

# The signal topics of docs/ARCHITECTURE (keyed for ordering; 3 partitions leave room for consumers to scale).
create_topics() {
  for topic in $SIGNAL_TOPICS; do
    kafka_tool --create --if-not-exists --topic "$topic" --partitions 3 --replication-factor 1 >/dev/null \
      || die "could not create topic $topic"
  done
  say "signal topics ready: $SIGNAL_TOPICS"
}

topics() { kafka_jars; kafka_tool --list; }

status() {
  if pid_alive "$RUN_DIR/redis/redis.pid"; then
    say "redis  running  pid $(cat "$RUN_DIR/redis/redis.pid")  redis://$HOST:$REDIS_PORT  $(redis_ping && echo PONG || echo 'not answering')"
  else say "redis  stopped"; fi
  if pid_alive "$RUN_DIR/kafka/kafka.pid"; then
    say "kafka  running  pid $(cat "$RUN_DIR/kafka/kafka.pid")  bootstrap $HOST:$KAFKA_PORT  $(port_open "$KAFKA_PORT" && echo listening || echo 'not listening')"
  else say "kafka  stopped"; fi
  say "data and logs under $RUN_DIR"
}

case "${1:-status}" in
  up) redis_up; kafka_up; create_topics ;;
  down) kafka_down; redis_down ;;
  status) status ;;
  topics) topics ;;
  # outage drills (./mesh bench fairness): one part down or back, the other left alone
  kafka-stop) kafka_down ;;
  kafka-start) kafka_up ;;
  redis-stop) redis_down ;;
  redis-start) redis_up ;;
  *) die "usage: ./mesh infra up|down|status|topics|kafka-stop|kafka-start|redis-stop|redis-start" ;;
esac
