#!/usr/bin/env bash
# A local standalone Flink cluster (one JobManager, one TaskManager, web UI on :8081) started from
# Maven's Flink jars, for when you have no Flink distribution.
#   ./jobs/cluster.sh start [-Dkey=value ...]   JobManager + TaskManager; -D options override the configuration
#   ./jobs/cluster.sh start-taskmanager         one more TaskManager (e.g. after one died)
#   ./jobs/cluster.sh stop | status
# Configuration: flink-conf/ (config.yaml, log4j.properties), or the directory FLINK_CONF_DIR names.
# VETO_CLUSTER_DIR (default target/cluster) holds the running cluster's configuration, logs
# (log/), pid files and REST address (rest-url): two clusters with their own configuration (ports)
# and directory can run side by side. Environment variables the job reads on the cluster
# (VETO_PAN_KEY or VETO_PAN_KEY_FILE, VETO_RULES_PUBLIC_KEY or VETO_RULES_PUBLIC_KEY_FILE,
# VETO_KAFKA_*) must be set before `start`.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$(pwd)
RUN=${VETO_CLUSTER_DIR:-target/cluster}
mkdir -p "$RUN"
RUN=$(cd "$RUN" && pwd)
SOURCE_CONF=${FLINK_CONF_DIR:-flink-conf}
CONF=$RUN/conf
LOGS=$RUN/log
# shellcheck source=jobs/flink-java-opts.sh
. jobs/flink-java-opts.sh

classpath() {
  if [ ! target/cluster-classpath.txt -nt pom.xml ]; then
    mvn -B -q -DskipTests dependency:build-classpath@cluster-classpath
  fi
  cat target/cluster-classpath.txt
}

# The JVM options (line 1) and dynamic -D options (line 2) a Flink distribution's scripts compute
# from the memory configuration: GET_JM_RESOURCE_PARAMS or GET_TM_RESOURCE_PARAMS.
resource_params() {
  java -cp "$CP" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$CONF" "${DYNAMIC[@]}" 2>/dev/null \
    | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

rest_url() { cat "$RUN/rest-url" 2>/dev/null; }

# Waits until the TaskManager with this resource id has registered with the JobManager.
await_taskmanager() {
  local id=$1 pidfile=$2
  for _ in $(seq 1 600); do
    alive "$pidfile" || { echo "veto | TaskManager $id exited; see $LOGS/$id.log" >&2; return 1; }
    if curl -fs "$(rest_url)/taskmanagers" 2>/dev/null | grep -q "\"id\":\"$id\""; then return 0; fi
    sleep 0.2
  done
  echo "veto | TaskManager $id did not register within 120 s; see $LOGS" >&2
  return 1
}

start_taskmanager() {
  local n id params jvm dynamic
  n=$(( $(cat "$RUN/taskmanagers" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$RUN/taskmanagers"
  id="taskmanager-$n"
  params=$(resource_params GET_TM_RESOURCE_PARAMS)
  jvm=$(echo "$params" | sed -n 1p)
  dynamic=$(echo "$params" | sed -n 2p)
  # shellcheck disable=SC2086
  nohup java $jvm $FLINK_JAVA_OPTS "-Dlog4j.configurationFile=file:$CONF/log4j.properties" -Dlog.file="$LOGS/$id.log" -cp "$CP" \
    org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir "$CONF" $dynamic "${DYNAMIC[@]}" -Dtaskmanager.resource-id="$id" \
    > "$LOGS/$id.out" 2>&1 &
  echo $! > "$RUN/taskmanager.pid"
  echo $! >> "$RUN/taskmanager.pids"
  await_taskmanager "$id" "$RUN/taskmanager.pid"
  echo "veto | TaskManager $id up (pid $(cat "$RUN/taskmanager.pid"))"
}

start() {
  if alive "$RUN/jobmanager.pid"; then echo "veto | the cluster is already running"; return 0; fi
  CP=$(classpath)
  rm -rf "$CONF" "$RUN/rest-url" "$RUN/taskmanagers" "$RUN/taskmanager.pids"
  mkdir -p "$CONF" "$LOGS"
  cp "$SOURCE_CONF/config.yaml" "$CONF/"
  cp "$( [ -f "$SOURCE_CONF/log4j.properties" ] && echo "$SOURCE_CONF" || echo flink-conf)/log4j.properties" "$CONF/"
  printf '%s\n' "${DYNAMIC[@]}" > "$CONF/dynamic-options"

  local params jvm dynamic
  params=$(resource_params GET_JM_RESOURCE_PARAMS)
  jvm=$(echo "$params" | sed -n 1p)
  dynamic=$(echo "$params" | sed -n 2p)
  # The log is appended to: only lines after these are this run's.
  local seen=0
  if [ -f "$LOGS/jobmanager.log" ]; then seen=$(wc -l < "$LOGS/jobmanager.log"); fi
  # shellcheck disable=SC2086
  nohup java $jvm $FLINK_JAVA_OPTS "-Dlog4j.configurationFile=file:$CONF/log4j.properties" -Dlog.file="$LOGS/jobmanager.log" -cp "$CP" \
    org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint --configDir "$CONF" $dynamic "${DYNAMIC[@]}" \
    > "$LOGS/jobmanager.out" 2>&1 &
  echo $! > "$RUN/jobmanager.pid"

  # The REST endpoint (and web UI) is where the JobManager says it listens: any configured port works.
  local url=""
  for _ in $(seq 1 600); do
    alive "$RUN/jobmanager.pid" || break
    url=$(tail -n +"$((seen + 1))" "$LOGS/jobmanager.log" 2>/dev/null | sed -n 's/.*Rest endpoint listening at \([^ ]*\):\([0-9]*\).*/http:\/\/\1:\2/p' | tail -1 || true)
    [ -n "$url" ] && break
    sleep 0.2
  done
  if [ -z "$url" ]; then
    echo "veto | the JobManager did not start its REST endpoint; see $LOGS/jobmanager.log" >&2
    stop
    return 1
  fi
  echo "$url" > "$RUN/rest-url"
  if ! start_taskmanager; then stop; return 1; fi
  echo "veto | Flink cluster up: web UI $url, logs in $LOGS"
}

stop() {
  local pids=()
  [ -f "$RUN/taskmanager.pids" ] && while read -r p; do pids+=("$p"); done < "$RUN/taskmanager.pids"
  [ -f "$RUN/jobmanager.pid" ] && pids+=("$(cat "$RUN/jobmanager.pid")")
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -f "$RUN/jobmanager.pid" "$RUN/taskmanager.pid" "$RUN/taskmanager.pids" "$RUN/rest-url"
  echo "veto | Flink cluster stopped"
}

status() {
  local up=0
  for p in jobmanager taskmanager; do
    if alive "$RUN/$p.pid"; then echo "$p running (pid $(cat "$RUN/$p.pid"))"; up=$((up+1)); else echo "$p not running"; fi
  done
  [ -f "$RUN/rest-url" ] && echo "web UI $(rest_url)"
  [ "$up" -eq 2 ]
}

command=${1:-}
[ $# -gt 0 ] && shift
DYNAMIC=()
for a in "$@"; do
  case "$a" in
    -D*) DYNAMIC+=("$a") ;;
    *) echo "usage: $0 start [-Dkey=value ...] | start-taskmanager | stop | status" >&2; exit 2 ;;
  esac
done
case "$command" in
  start) start ;;
  start-taskmanager)
    alive "$RUN/jobmanager.pid" || { echo "veto | the cluster is not running" >&2; exit 1; }
    CP=$(classpath)
    [ -f "$CONF/dynamic-options" ] && while read -r d; do [ -n "$d" ] && DYNAMIC+=("$d"); done < "$CONF/dynamic-options"
    start_taskmanager ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start [-Dkey=value ...] | start-taskmanager | stop | status" >&2; exit 2 ;;
esac
