#!/usr/bin/env bash
# A real single-node Kafka broker (KRaft) on localhost:9092 with Veto's topics, for a local cluster
# when you have no Kafka. Ctrl-C stops it. Options: ./jobs/kafka.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests compile dependency:build-classpath@local-classpath
mkdir -p logs
exec java -Xmx1g -Dlog4j.configurationFile=flink-conf/log4j-local.properties \
  -cp "target/classes:target/tools-classes:$(cat target/local-classpath.txt)" io.veto.local.BrokerMain "$@"
