#!/usr/bin/env bash
# Veto end to end on this machine, beside the ceiling the same broker sets, in one run: starts a
# Kafka broker in the JVM, loads a backlog of generated payments (100,000 cards), then measures
#   (a) the ceiling: a plain Kafka consumer -> producer pipe over that backlog, records/s
#   (b) Veto's max throughput deciding the backlog (parallelism 2, RocksDB, checkpoints on), payments/s
#   (c) decision latency at fixed rates (1k, 5k, 10k payments/s, checkpoints every 10 s): p50/p99/p99.9
#   (d) state per active card (checkpoint size / active cards)
# and prints a table with the targets of issue 7; the figures go to target/bench-e2e.json.
#
#   ./jobs/bench-e2e.sh                 the full run (about 8 minutes)
#   ./jobs/bench-e2e.sh --quick         a smoke run (about 30 s; its figures mean nothing)
#   ./jobs/bench-e2e.sh --help          every option, job options included (e.g. --buffer-timeout 2ms)
#
# Environment: VETO_BENCH_SKIP_BUILD=1 skips the Maven build; MVN_ARGS adds Maven options (e.g. -o);
# JAVA_OPTS adds JVM options, e.g. a profile:
#   JAVA_OPTS="-XX:StartFlightRecording=filename=target/bench-e2e.jfr,settings=profile" ./jobs/bench-e2e.sh
# Logs go to logs/bench-e2e.log. The machine is measured as it is: run it on a quiet one, and
# compare figures only within one run (the table says how much CPU other processes used).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v java >/dev/null || { echo "bench-e2e | Java 17+ is needed (java not found)" >&2; exit 1; }
if [[ "${VETO_BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  command -v mvn >/dev/null || { echo "bench-e2e | Maven is needed (mvn not found)" >&2; exit 1; }
  echo "bench-e2e | building (mvn compile; the first build downloads dependencies) ..."
  # shellcheck disable=SC2086
  mvn -B -q -DskipTests ${MVN_ARGS:-} compile dependency:build-classpath@local-classpath
fi

mkdir -p logs target
rm -f logs/bench-e2e.log
# shellcheck disable=SC2086
exec java -Xms3g -Xmx3g ${JAVA_OPTS:-} \
  -Dlog4j.configurationFile=flink-conf/log4j-bench.properties \
  -cp "target/classes:target/tools-classes:$(cat target/local-classpath.txt)" \
  io.veto.bench.E2eBench "$@"
