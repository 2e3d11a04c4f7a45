#!/usr/bin/env bash
# Coverage-guided fuzzing campaign with Jazzer: one JVM per target (Jazzer fuzzes a single @FuzzTest per run),
# each for --seconds (default 600). New coverage goes to the corpus directory (kept between campaigns, not
# committed); a finding is written by Jazzer into the target's inputs directory under
# src/test/resources/dev/nbdref/fuzz/<Class>Inputs/<method>/ (crash-*, timeout-*), where every `mvn test` replays it.
# Prints one line per target: executions, executions per second, corpus size, findings. Exit status 1 on a finding.
#
# Usage: conformance/fuzz/run-campaign.sh [--seconds N] [--build-dir DIR] [--corpus-dir DIR] [--no-build] [TARGET...]
#   TARGET is Class#method, e.g. ServerFuzzTest#transmission (default: all four targets).
#   MVN_ARGS (environment) is passed to Maven, e.g. MVN_ARGS=-o for an offline build.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
seconds=600
build_dir="$repo/target"
corpus_dir=""
build=1
targets=()

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --corpus-dir) corpus_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "run-campaign: unknown option $1" >&2; usage 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  targets=(ServerFuzzTest#clientStream ServerFuzzTest#transmission WireFuzzTest#decoders BochsFuzzTest#image)
fi
corpus_dir="${corpus_dir:-$build_dir/fuzz-corpus}"
logs="$build_dir/fuzz-logs"
mkdir -p "$corpus_dir" "$logs"
marker="$logs/.started"
touch "$marker"

if ((build)); then
  # shellcheck disable=SC2086
  mvn -q -B ${MVN_ARGS:-} -DbuildDir="$build_dir" test-compile dependency:build-classpath \
    -Dmdep.outputFile="$build_dir/fuzz-classpath.txt" -Dmdep.includeScope=test
fi
[[ -f "$build_dir/fuzz-classpath.txt" ]] || { echo "run-campaign: no classpath; run without --no-build" >&2; exit 2; }
cp="$build_dir/test-classes:$build_dir/classes:$(cat "$build_dir/fuzz-classpath.txt")"

status=0
printf '%-32s %10s %8s %8s %7s %9s  %s\n' target executions exec/s corpus new findings log
for t in "${targets[@]}"; do
  [[ "$t" == *.* ]] || t="dev.nbdref.fuzz.$t"
  name="${t##*.}"; name="${name/\#/.}"
  log="$logs/$name.log"
  mkdir -p "$corpus_dir/$name"
  before=$(find "$corpus_dir/$name" -type f | wc -l)
  rc=0
  # A small heap: an allocation sized by an unchecked length field fails as an OutOfMemoryError finding.
  java -Xmx1g -DJAZZER_FUZZ=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=off -cp "$cp" \
    dev.nbdref.fuzz.FuzzCampaign "$t" "$seconds" "$corpus_dir/$name" "$repo" >"$log" 2>&1 || rc=$?
  runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 | awk '{print $2" "$5}') || true
  execs="${runs% *}"; secs="${runs#* }"
  [[ -n "$execs" ]] || { execs=0; secs=0; }
  rate=$(( secs > 0 ? execs / secs : 0 ))
  after=$(find "$corpus_dir/$name" -type f | wc -l)
  findings=$(grep -c '^== Java Exception' "$log" || true)
  if grep -q 'ERROR: libFuzzer: timeout\|ALARM: working on the last Unit' "$log"; then findings=$((findings + 1)); fi
  if ((rc != 0)); then status=1; fi
  printf '%-32s %10s %8s %8s %7s %9s  %s\n' "$name" "$execs" "$rate" "$after" "$((after - before))" \
    "$findings$([[ $rc != 0 && $findings == 0 ]] && echo ' (exit '"$rc"')')" "$log"
done
new=$(find src/test/resources/dev/nbdref/fuzz \( -name 'crash-*' -o -name 'timeout-*' -o -name 'slow-unit-*' \) \
  -newer "$marker" 2>/dev/null || true)
if [[ -n "$new" ]]; then
  echo "run-campaign: findings saved as regression inputs (replayed by mvn test):"
  echo "$new" | sed 's/^/  /'
fi
exit "$status"
