#!/usr/bin/env bash
# Backtest throughput beside the live job's, on the same events in one run (issue 13): writes a
# history of 1,000,000 events (10,000 cards), backtests it with rules/default, then loads the same
# events into a Kafka broker in this JVM and lets the job decide them as in production (Kafka in and
# out, RocksDB, checkpoints every 10 s, exact entity features), and prints both rates and their ratio.
#
#   ./jobs/bench-backtest.sh                      the full run (25 minutes on a busy 2-core machine)
#   ./jobs/bench-backtest.sh --events 100000      a shorter one
#
# Logs go to logs/bench-backtest.log. The machine is measured as it is: compare figures within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v java >/dev/null || { echo "bench-backtest | Java 17+ is needed (java not found)" >&2; exit 1; }
if [[ "${VETO_BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  echo "bench-backtest | building ..."
  mvn -B -q -DskipTests compile dependency:build-classpath@local-classpath
fi
mkdir -p logs target
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -Xmx3g -Dlog4j.configurationFile=flink-conf/log4j-cli.properties -Dlog.file=logs/bench-backtest.log \
  -cp "target/classes:target/tools-classes:$(cat target/local-classpath.txt)" io.veto.bench.BacktestBench "$@"
