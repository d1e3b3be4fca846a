#!/usr/bin/env bash
# A local standalone Flink cluster (one JobManager, one TaskManager, web UI on :8081) started from
# Maven's Flink jars, for when you have no Flink distribution. Configuration: flink-conf/.
#   ./jobs/cluster.sh start | stop | status
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$(pwd)
RUN=target/cluster
CONF=$RUN/conf
LOGS=$RUN/log
# shellcheck source=jobs/flink-java-opts.sh
. jobs/flink-java-opts.sh

start() {
  if status >/dev/null 2>&1; then echo "veto | the cluster is already running"; return 0; fi
  mvn -B -q -DskipTests dependency:build-classpath@cluster-classpath
  mkdir -p "$CONF" "$LOGS"
  cp flink-conf/config.yaml flink-conf/log4j.properties "$CONF/"
  local cp; cp=$(cat target/cluster-classpath.txt)
  local log4j="-Dlog4j.configurationFile=file:$HERE/$CONF/log4j.properties"

  # shellcheck disable=SC2086
  nohup java -Xmx1g $FLINK_JAVA_OPTS $log4j -Dlog.file="$HERE/$LOGS/jobmanager.log" -cp "$cp" \
    org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint --configDir "$CONF" \
    > "$LOGS/jobmanager.out" 2>&1 &
  echo $! > "$RUN/jobmanager.pid"

  # The TaskManager's memory: the same calculation a Flink distribution's scripts make.
  local params jvm dynamic
  params=$(java -cp "$cp" org.apache.flink.runtime.util.bash.BashJavaUtils GET_TM_RESOURCE_PARAMS --configDir "$CONF" 2>/dev/null \
    | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://')
  jvm=$(echo "$params" | sed -n 1p)
  dynamic=$(echo "$params" | sed -n 2p)
  # shellcheck disable=SC2086
  nohup java $jvm $FLINK_JAVA_OPTS $log4j -Dlog.file="$HERE/$LOGS/taskmanager.log" -cp "$cp" \
    org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir "$CONF" $dynamic \
    > "$LOGS/taskmanager.out" 2>&1 &
  echo $! > "$RUN/taskmanager.pid"

  for _ in $(seq 1 60); do
    if curl -fs http://localhost:8081/taskmanagers 2>/dev/null | grep -q '"id"'; then
      echo "veto | Flink cluster up: web UI http://localhost:8081, logs in $LOGS"
      return 0
    fi
    sleep 1
  done
  echo "veto | the cluster did not come up within 60 s; see $LOGS" >&2
  stop
  return 1
}

stop() {
  for p in taskmanager jobmanager; do
    if [ -f "$RUN/$p.pid" ]; then
      kill "$(cat "$RUN/$p.pid")" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$(cat "$RUN/$p.pid")" 2>/dev/null || break; sleep 1; done
      kill -9 "$(cat "$RUN/$p.pid")" 2>/dev/null || true
      rm -f "$RUN/$p.pid"
    fi
  done
  echo "veto | Flink cluster stopped"
}

status() {
  local up=0
  for p in jobmanager taskmanager; do
    if [ -f "$RUN/$p.pid" ] && kill -0 "$(cat "$RUN/$p.pid")" 2>/dev/null; then echo "$p running (pid $(cat "$RUN/$p.pid"))"; up=$((up+1)); else echo "$p not running"; fi
  done
  [ "$up" -eq 2 ]
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
