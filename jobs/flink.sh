#!/usr/bin/env bash
# Flink's command-line client: a distribution's `flink` when it is on the PATH, else the same client
# from Maven's jars. FLINK_CONF_DIR (default flink-conf/) says where the cluster's REST endpoint is.
#   ./jobs/flink.sh list
#   ./jobs/flink.sh stop --savepointPath file:///tmp/veto/savepoints JOB_ID    stop with a savepoint
#   ./jobs/flink.sh cancel JOB_ID
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if command -v flink >/dev/null 2>&1; then
  exec flink "$@"
fi
if [ ! "$ROOT/target/cluster-classpath.txt" -nt "$ROOT/pom.xml" ]; then
  (cd "$ROOT" && mvn -B -q -DskipTests dependency:build-classpath@cluster-classpath)
fi
export FLINK_CONF_DIR=${FLINK_CONF_DIR:-$ROOT/flink-conf}
# shellcheck source=jobs/flink-java-opts.sh
. "$ROOT/jobs/flink-java-opts.sh"
mkdir -p "$ROOT/logs"
# shellcheck disable=SC2086
exec java $FLINK_JAVA_OPTS -Dlog4j.configurationFile=file:"$ROOT"/flink-conf/log4j-cli.properties -Dlog.file="$ROOT/logs/flink-client.log" \
  -cp "$(cat "$ROOT/target/cluster-classpath.txt")" org.apache.flink.client.cli.CliFrontend "$@"
