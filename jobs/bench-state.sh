#!/usr/bin/env bash
# Measures Veto's state per active card: a day of generated payments over 100,000 cards through the
# job (MiniCluster, RocksDB, embedded broker), then savepoint size / cards active in the last 24h.
# Options: ./jobs/bench-state.sh --help  (e.g. --cards 50000 --events 200000 --rules DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests compile dependency:build-classpath@local-classpath
mkdir -p logs
exec java -Xmx3g \
  -Dlog4j.configurationFile=flink-conf/log4j-local.properties \
  -cp "target/classes:target/tools-classes:$(cat target/local-classpath.txt)" \
  io.veto.bench.StateSizeBench "$@"
