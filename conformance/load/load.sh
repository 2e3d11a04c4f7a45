#!/usr/bin/env bash
# Load test: runs dev.nbdref.load.LoadRun against the built jar. 64 clients (simple, structured and extended
# framing) each own a 2 MiB slice of a memory export and send mixed WRITE, READ, WRITE_ZEROES, TRIM, FLUSH and
# BLOCK_STATUS for 60 s, checking every READ and ZERO status against a model, beside a client that never reads its
# replies and one that sends a WRITE a byte a second (both must be cut off at the server's --io-timeout, 10 s here,
# timed from its connection report), one that negotiates a byte a second (cut off at the 60 s bound) and one that
# sends a 1 MiB option, a 32 MiB option and then options until the 4096 limit. Reports requests per second, the
# slowest request, errors, the server's RSS (now and peak, from /proc/PID/status) and when the hostile clients
# were cut off. Exit status 1 on any error, a client that made no progress, or a hostile client not cut off.
#
# Usage: conformance/load/load.sh [--seconds N] [--connections N] [--io-timeout N] [--server-heap SIZE]
#                                 [--build-dir DIR] [--no-build]
#   --io-timeout is the server's transmission-phase bound in seconds (default 10; keep it well inside --seconds).
#   --server-heap runs the server with -Xmx SIZE (e.g. 256m), to show its memory stays within that bound.
#   MVN_ARGS (environment) is passed to Maven, e.g. MVN_ARGS=-o for an offline build.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
build_dir="$repo/target"
build=1
args=(--seconds 60 --connections 64)
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --seconds|--connections|--io-timeout|--server-heap) args+=("$1" "$2"); shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "load: unknown option $1" >&2; usage 2 ;;
  esac
done
if ((build)); then
  # shellcheck disable=SC2086
  mvn -q -B ${MVN_ARGS:-} -DbuildDir="$build_dir" -DskipTests package dependency:build-classpath \
    -Dmdep.outputFile="$build_dir/load-classpath.txt" -Dmdep.includeScope=test
fi
cp="$build_dir/test-classes:$build_dir/classes:$(cat "$build_dir/load-classpath.txt")"
exec java -cp "$cp" dev.nbdref.load.LoadRun --jar "$build_dir/nbdref.jar" "${args[@]}"
