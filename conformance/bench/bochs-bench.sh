#!/usr/bin/env bash
# Bochs conversion benchmark: nbdref against qemu-img on the same fully allocated Growing image.
# Makes a SIZE raw file of random bytes (every sector allocated), turns it into a Growing image (nbdref's
# import, or bximage with --bximage), warms the page cache, then times
#   nbdref:  nbdref bochs convert IMAGE OUT   (the launcher, as users run it; best of --runs, JVM start included)
#   qemu:    qemu-img convert -f bochs -O raw IMAGE OUT          (once; about 90 s for 1 GiB)
# checks both outputs against the source, and prints both times and the ratio qemu/nbdref.
#
# Usage: conformance/bench/bochs-bench.sh [--size 1G] [--runs 3] [--workdir /var/tmp/nbdref-bochs-bench]
#                                         [--jar PATH] [--bximage] [--keep]
# A benchmark, not a test: the ratio is only meaningful on an otherwise idle machine.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
size_arg=1G
runs=3
workdir=/var/tmp/nbdref-bochs-bench
jar=""
use_bximage=0
keep=0

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --size) size_arg="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --workdir) workdir="$2"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --bximage) use_bximage=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "bochs-bench: unknown option $1" >&2; usage 2 ;;
  esac
done

log() { echo "bochs-bench: $*" >&2; }
die() { echo "bochs-bench: ERROR: $*" >&2; exit 1; }

to_bytes() {
  local v="$1" n unit
  [[ "$v" =~ ^([0-9]+)([KMGkmg]?)$ ]] || die "bad size '$v' (use e.g. 256M or 1G)"
  n="${BASH_REMATCH[1]}"; unit="${BASH_REMATCH[2]^^}"
  case "$unit" in K) echo $((n << 10)) ;; M) echo $((n << 20)) ;; G) echo $((n << 30)) ;; *) echo "$n" ;; esac
}
size=$(to_bytes "$size_arg")
(( size >= 1048576 && size % 512 == 0 )) || die "--size must be at least 1M and a multiple of 512"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
command -v qemu-img >/dev/null || die "qemu-img missing: run scripts/install-test-deps.sh"
((use_bximage == 0)) || command -v bximage >/dev/null || die "bximage missing: run scripts/install-test-deps.sh"

if [[ -z "$jar" ]]; then
  jar="$repo/target/nbdref.jar"
  if [[ ! -f "$jar" ]]; then
    log "building $jar"
    (cd "$repo" && mvn -q -B -DskipTests package) >&2 || die "build failed"
  fi
fi
[[ -f "$jar" ]] || die "no jar at $jar"
java=(env NBDREF_JAR="$jar" "$repo/nbdref")
"${java[@]}" --version > /dev/null # the launcher's first run records its class-data archive

mkdir -p "$workdir"
raw="$workdir/source.raw"; image="$workdir/image.img"; out="$workdir/out.raw"
cleanup() { ((keep)) || rm -f "$raw" "$image" "$out"; }
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

log "making a ${size_arg} raw file of random bytes"
head -c "$size" /dev/urandom > "$raw"
rm -f "$image"
if ((use_bximage)); then
  log "converting it to a Growing image with bximage"
  bximage -func=convert -imgmode=growing -q "$raw" "$image" > /dev/null
else
  log "converting it to a Growing image with nbdref"
  "${java[@]}" bochs create --from "$raw" "$image" > /dev/null
fi
sum=$(sha256sum < "$raw" | cut -d' ' -f1)
cat "$image" > /dev/null # both tools then read from the page cache

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
best=""
for ((i = 1; i <= runs; i++)); do
  rm -f "$out"; sync
  t0=$(now); "${java[@]}" bochs convert "$image" "$out"; t1=$(now)
  t=$(elapsed "$t0" "$t1")
  log "nbdref run $i: $(printf '%.3f' "$t") s"
  if [[ -z "$best" ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
done
[[ "$(sha256sum < "$out" | cut -d' ' -f1)" == "$sum" ]] || die "nbdref's output differs from the source"

rm -f "$out"; sync
log "qemu-img convert -f bochs (this takes a while: qemu reads one sector and one bitmap byte at a time)"
t0=$(now); qemu-img convert -f bochs -O raw "$image" "$out"; t1=$(now)
qemu=$(elapsed "$t0" "$t1")
[[ "$(sha256sum < "$out" | cut -d' ' -f1)" == "$sum" ]] || die "qemu-img's output differs from the source"

printf 'machine: %s CPUs, load average at the start %s\n' "$(nproc)" "$load_before"
printf 'bochs convert, %s fully allocated Growing image (extent %s bytes), page cache warm\n' "$size_arg" \
  "$("${java[@]}" bochs info --json "$image" | sed -n 's/.*"extentBytes" : \([0-9]*\).*/\1/p')"
printf '  nbdref bochs convert      %8.3f s  (best of %d, JVM start included)\n' "$best" "$runs"
printf '  qemu-img convert -f bochs %8.3f s\n' "$qemu"
printf '  ratio qemu-img / nbdref   %8.1fx\n' "$(echo "$qemu / $best" | bc -l)"
