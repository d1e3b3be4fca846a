#!/usr/bin/env bash
# JMH microbenchmarks of Veto's per-payment hot path (src/jmh/java, io.veto.bench): builds
# target/benchmarks.jar with the Maven profile 'bench', runs it, and prints a summary table with
# the ratios to the baselines measured in the same run.
#
#   ./jobs/bench-jmh.sh                          all benchmarks, defaults below (about 35 minutes on 2 cores)
#   ./jobs/bench-jmh.sh Parse                    only benchmarks matching a regex
#   ./jobs/bench-jmh.sh -f 1 -i 3 Window         fewer forks/iterations (any JMH option overrides its default)
#   ./jobs/bench-jmh.sh -prof stack RuleEval     add a profiler (-prof gc is always on unless VETO_BENCH_GC_PROF=0)
#   ./jobs/bench-jmh.sh -h | -l | -lprof         JMH's help, the benchmark list, the profilers
#
# Defaults, for a noisy 2-core machine: -f 3 -wi 3 -w 2s -i 5 -r 2s -prof gc -rf json -rff target/jmh-result.json
# Environment: VETO_BENCH_SKIP_BUILD=1 reuses target/benchmarks.jar; MVN_ARGS adds Maven options
# (e.g. -o); JAVA_OPTS adds host JVM options, which JMH passes on to the forks (e.g. -Dveto.rules=DIR).
# Run from anywhere: the benchmarks read rules/default relative to the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v java >/dev/null || { echo "bench | Java 17+ is needed (java not found)" >&2; exit 1; }

JAR=target/benchmarks.jar
if [[ "${VETO_BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  command -v mvn >/dev/null || { echo "bench | Maven is needed (mvn not found)" >&2; exit 1; }
  echo "bench | building $JAR (mvn -Pbench; tests are not compiled) ..."
  # shellcheck disable=SC2086
  mvn -B -q -Pbench -Dmaven.test.skip=true ${MVN_ARGS:-} package
fi
[[ -f "$JAR" ]] || { echo "bench | $JAR not found: build it with mvn -B -q -Pbench -DskipTests package" >&2; exit 1; }

# A default applies unless the caller gives the same option.
has() { local o; for o in "${ARGS[@]}"; do [[ "$o" == "$1" ]] && return 0; done; return 1; }
ARGS=("$@")
DEFAULTS=()
has -f   || DEFAULTS+=(-f 3)
has -wi  || DEFAULTS+=(-wi 3)
has -w   || DEFAULTS+=(-w 2s)
has -i   || DEFAULTS+=(-i 5)
has -r   || DEFAULTS+=(-r 2s)
has -rf  || DEFAULTS+=(-rf json)
has -rff || DEFAULTS+=(-rff target/jmh-result.json)
if [[ "${VETO_BENCH_GC_PROF:-1}" == 1 ]] && ! [[ " $* " == *" -prof gc "* ]]; then
  DEFAULTS+=(-prof gc)
fi

RESULT=target/jmh-result.json
FORMAT=json
for ((k = 0; k < ${#ARGS[@]}; k++)); do
  [[ "${ARGS[$k]}" == -rff ]] && RESULT="${ARGS[$((k + 1))]:-$RESULT}"
  [[ "${ARGS[$k]}" == -rf ]] && FORMAT="${ARGS[$((k + 1))]:-json}"
done
# Summarise only a result this run wrote (not one left by an earlier run, e.g. after -l or -h).
MARK=$(mktemp)
trap 'rm -f "$MARK"' EXIT

# Log4j without a configuration file logs errors only, to the console: the rule engine's per-payment
# warnings (a rule that cannot be evaluated) are then a level check, not console output in the measurement.
JVM_OPTS=(-Dlog4j2.statusLoggerLevel=OFF)
# shellcheck disable=SC2206
[[ -n "${JAVA_OPTS:-}" ]] && JVM_OPTS+=(${JAVA_OPTS})

# The sequence benchmarks run flink-cep on Flink's state API, which the jar leaves out (Flink is
# 'provided'): the build's classpath file adds it, and the forks inherit it.
CP="$JAR"
[[ -f target/bench/local-classpath.txt ]] && CP="$JAR:$(cat target/bench/local-classpath.txt)"

start=$(date +%s)
echo "bench | java -cp $JAR:<flink> org.openjdk.jmh.Main ${DEFAULTS[*]} ${ARGS[*]}"
java "${JVM_OPTS[@]}" -cp "$CP" org.openjdk.jmh.Main "${DEFAULTS[@]}" "${ARGS[@]}"
took=$(( $(date +%s) - start ))

if [[ -f "$RESULT" && "$RESULT" -nt "$MARK" && "${FORMAT,,}" == json ]]; then
  echo
  echo "bench | summary of $RESULT (run took $((took / 60))m $((took % 60))s)"
  java -cp "$JAR" io.veto.bench.JmhSummary "$RESULT"
fi
