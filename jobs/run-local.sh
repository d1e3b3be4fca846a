#!/usr/bin/env bash
# Builds Veto and runs it on this machine: an embedded Kafka broker, the job on a Flink
# MiniCluster (web UI on http://localhost:8081), live generated payments, and a summary of the
# decisions every few seconds. Ctrl-C stops everything. Options: ./jobs/run-local.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

command -v java >/dev/null || { echo "veto | Java 17+ is needed (java not found)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "veto | Maven is needed (mvn not found)" >&2; exit 1; }

echo "veto | building (the first build downloads dependencies; a minute or two) ..."
mvn -B -q -DskipTests compile dependency:build-classpath@local-classpath

mkdir -p logs && rm -f logs/veto-local.log
exec java -Xmx2g \
  -Dlog4j.configurationFile=flink-conf/log4j-local.properties \
  -cp "target/classes:target/tools-classes:$(cat target/local-classpath.txt)" \
  io.veto.local.LocalRun "$@"
