#!/usr/bin/env bash
# Submits Veto's job jar to a Flink cluster: with a Flink distribution's `flink` when it is on the
# PATH, else with the Flink client from Maven's jars (FLINK_CONF_DIR, default flink-conf/, says
# where the cluster's REST endpoint is). Job options follow: see the README's table.
#   ./jobs/submit.sh --bootstrap-servers kafka:9092 --parallelism 2
# VETO_PAN_KEY / VETO_PAN_KEY_FILE must be set here and on every TaskManager.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/veto.jar ] || mvn -B -q -DskipTests package
if command -v flink >/dev/null 2>&1; then
  exec flink run -d target/veto.jar "$@"
fi
mvn -B -q -DskipTests dependency:build-classpath@cluster-classpath
export FLINK_CONF_DIR=${FLINK_CONF_DIR:-$(pwd)/flink-conf}
# shellcheck source=jobs/flink-java-opts.sh
. jobs/flink-java-opts.sh
# shellcheck disable=SC2086
exec java $FLINK_JAVA_OPTS -Dlog4j.configurationFile=file:"$(pwd)"/flink-conf/log4j-local.properties \
  -cp "$(cat target/cluster-classpath.txt)" org.apache.flink.client.cli.CliFrontend run -d target/veto.jar "$@"
