#!/usr/bin/env bash
# Checks, tests, compares and publishes rule sets: ./jobs/rules.sh validate|test|diff|publish ...
# Builds Veto first when the sources are newer than the last build. Paths are taken relative to
# the directory you run it from. ./jobs/rules.sh --help lists the commands.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

command -v java >/dev/null || { echo "rules | Java 17+ is needed (java not found)" >&2; exit 1; }

classpath="$root/target/local-classpath.txt"
# Rebuild when there is no build yet or a source or the pom changed since the last one.
if [[ ! -f "$classpath" || ! -d "$root/target/classes" || ! -d "$root/target/tools-classes" ]] \
    || [[ -n "$(find "$root/src/main" "$root/src/tools" "$root/pom.xml" -newer "$classpath" -print -quit)" ]]; then
  command -v mvn >/dev/null || { echo "rules | Maven is needed to build (mvn not found)" >&2; exit 1; }
  echo "rules | building ..." >&2
  (cd "$root" && mvn -B -q -DskipTests compile dependency:build-classpath@local-classpath) >&2
  # build-classpath leaves the file alone when the classpath did not change; mark this build.
  touch "$classpath"
fi

# Kafka clients log each failed connection attempt as a warning; the command reports failures itself.
exec java -Dlog4j2.level=ERROR -cp "$root/target/classes:$root/target/tools-classes:$(cat "$classpath")" io.veto.cli.VetoCli rules "$@"
