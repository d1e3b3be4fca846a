#!/usr/bin/env bash
# Submits Veto's job jar, detached, to a Flink cluster: with a Flink distribution's `flink` when it
# is on the PATH, else with the Flink client from Maven's jars (see jobs/flink.sh; FLINK_CONF_DIR,
# default flink-conf/, says where the cluster's REST endpoint is). Job options follow: see the
# README's table.
#   ./jobs/submit.sh --bootstrap-servers kafka:9092 --parallelism 2
#   ./jobs/submit.sh --from-savepoint file:///tmp/veto/savepoints/savepoint-... --bootstrap-servers kafka:9092
# VETO_PAN_KEY / VETO_PAN_KEY_FILE must be set here and on every TaskManager; so must
# VETO_RULES_PUBLIC_KEY / VETO_RULES_PUBLIC_KEY_FILE on every TaskManager, or every rule set
# published to the running job is rejected.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/veto.jar ] || mvn -B -q -DskipTests package
run=(-d)
if [ "${1:-}" = "--from-savepoint" ]; then
  [ $# -ge 2 ] || { echo "usage: $0 [--from-savepoint PATH] [job options]" >&2; exit 2; }
  run+=(--fromSavepoint "$2")
  shift 2
fi
exec jobs/flink.sh run "${run[@]}" target/veto.jar "$@"
