#!/usr/bin/env bash
# Durability under SIGKILL: runs dev.nbdref.load.DurabilityTrials against the built jar. Each trial starts
# `java -jar nbdref.jar serve --listen 127.0.0.1:0 --export d=file:PATH` on a fresh 16 MiB file, writes with
# random FUA, FLUSH and WRITE_ZEROES, kills the server with SIGKILL at a random moment, restarts it on the same file
# and reads every block back: each must hold its last durable write (acknowledged with FUA, or acknowledged before
# an acknowledged FLUSH) or a later one. Prints one line per trial and a summary; exit status 1 on any loss.
#
# Usage: conformance/fault/durability.sh [--trials N] [--seed S] [--dir DIR] [--build-dir DIR] [--no-build]
#   Defaults: 100 trials, a time-based seed (printed, so a failing run can be repeated), files in a temp dir.
#   MVN_ARGS (environment) is passed to Maven, e.g. MVN_ARGS=-o for an offline build.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
build_dir="$repo/target"
build=1
args=(--trials 100)
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --trials|--seed|--dir) args+=("$1" "$2"); shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "durability: unknown option $1" >&2; usage 2 ;;
  esac
done
if ((build)); then
  # shellcheck disable=SC2086
  mvn -q -B ${MVN_ARGS:-} -DbuildDir="$build_dir" -DskipTests package dependency:build-classpath \
    -Dmdep.outputFile="$build_dir/fault-classpath.txt" -Dmdep.includeScope=test
fi
cp="$build_dir/test-classes:$build_dir/classes:$(cat "$build_dir/fault-classpath.txt")"
exec java -cp "$cp" dev.nbdref.load.DurabilityTrials --jar "$build_dir/nbdref.jar" "${args[@]}"
