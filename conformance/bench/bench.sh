#!/usr/bin/env bash
# Throughput and memory benchmark: nbdref against qemu-nbd and nbdkit, all serving the same raw file.
# For each server: best-of-N wall time of `nbdcopy nbd://.../disk /dev/null` (read) and
# `nbdcopy SOURCE nbd://.../disk` (write), and the server's peak RSS (VmHWM). Prints a table with
# ratios nbdref/peer and writes the same as JSON to reports/bench/latest.json.
#
# Usage: conformance/bench/bench.sh [--size 1G] [--runs 3] [--servers nbdref,qemu-nbd,nbdkit]
#                                   [--workdir /var/tmp/nbdref-bench] [--jar PATH] [--out FILE] [--tls]
# --tls: every server requires X.509 TLS with one PKI made by `nbdref pki init` (in WORKDIR/pki), and nbdcopy
# connects with nbds://...?tls-certificates=DIR.
# A benchmark, not a test: speed is only compared as ratios measured in the same run. A server that fails
# is reported as an error in the table and the JSON; the exit status is non-zero only if none could be measured.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
size_arg=1G
runs=3
servers=nbdref,qemu-nbd,nbdkit
workdir=/var/tmp/nbdref-bench
jar=""
out="$repo/reports/bench/latest.json"
tls=0

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --size) size_arg="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --servers) servers="$2"; shift 2 ;;
    --workdir) workdir="$2"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --tls) tls=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "bench: unknown option $1" >&2; usage 2 ;;
  esac
done

log() { echo "bench: $*" >&2; }
die() { echo "bench: ERROR: $*" >&2; exit 1; }

to_bytes() {
  local v="$1" n unit
  [[ "$v" =~ ^([0-9]+)([KMGkmg]?)$ ]] || die "bad size '$v' (use e.g. 64M or 1G)"
  n="${BASH_REMATCH[1]}"; unit="${BASH_REMATCH[2]^^}"
  case "$unit" in K) echo $((n << 10)) ;; M) echo $((n << 20)) ;; G) echo $((n << 30)) ;; *) echo "$n" ;; esac
}
size=$(to_bytes "$size_arg")
(( size >= 1048576 )) || die "--size must be at least 1M"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"

for bin in nbdcopy nbdinfo; do command -v "$bin" >/dev/null || die "$bin missing: run scripts/install-test-deps.sh"; done

# --- servers we start, ended by PID only -------------------------------------------------------------------
started_pids=()
stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() { local pid; for pid in "${started_pids[@]}"; do stop_pid "$pid"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  # Ask the kernel for an unused ephemeral port; the tiny race until the server binds it is acceptable here.
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() {  # URI PID: poll until the server answers, the process died, or 30 s passed
  local uri="$1" pid="$2"
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || return 1
    nbdinfo --size "$uri" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# --- inputs ------------------------------------------------------------------------------------------------
mkdir -p "$workdir"
source_file="$workdir/source-$size.raw"
target_file="$workdir/target.raw"
if [[ ! -f "$source_file" || "$(stat -c %s "$source_file")" != "$size" ]]; then
  log "creating $source_file ($size bytes of random data, once)"
  head -c "$size" /dev/urandom > "$source_file.tmp" && mv "$source_file.tmp" "$source_file"
fi

build_jar() {
  if [[ -n "$jar" ]]; then
    [[ -f "$jar" ]] || { start_error="--jar $jar does not exist"; return 1; }
    return 0
  fi
  jar="$repo/target/nbdref.jar"
  if [[ ! -f "$jar" || -n "$(find "$repo/pom.xml" "$repo/src" $( [[ -d "$repo/spec" ]] && echo "$repo/spec") \
        -newer "$jar" -print -quit)" ]]; then
    log "building $jar"
    (cd "$repo" && mvn -q -B -DskipTests package) >&2 || { start_error="building $jar failed"; return 1; }
  fi
}

# --tls: one PKI for all servers, made by nbdref itself (once per run, so it never expires mid-benchmark).
pki_dir="$workdir/pki"
pki_ready=0
ensure_pki() {
  ((pki_ready)) && return 0
  build_jar || return 1
  rm -rf "$pki_dir"
  java -jar "$jar" pki init "$pki_dir" > "$workdir/pki.log" 2>&1 \
    || { start_error="nbdref pki init failed (see $workdir/pki.log)"; return 1; }
  pki_ready=1
}
client_uri() {  # HOST:PORT/NAME -> the URI nbdcopy and nbdinfo use
  if ((tls)); then echo "nbds://$1?tls-certificates=$pki_dir"; else echo "nbd://$1"; fi
}

# Each start_* sets `uri` and `pid` and returns non-zero if the server did not come up.
start_nbdref() {
  build_jar || return 1
  local uri_file="$workdir/nbdref.uri" tls_args=()
  ((tls)) && { ensure_pki || return 1; tls_args=(--tls-x509 "$pki_dir"); }
  : > "$uri_file"
  java ${NBDREF_JAVA_OPTS:-} -jar "$jar" serve --listen 127.0.0.1:0 --export "disk=file:$target_file" \
    "${tls_args[@]}" > "$uri_file" 2> "$workdir/nbdref.log" &
  pid=$!; started_pids+=("$pid")
  for _ in $(seq 300); do
    uri="$(head -n1 "$uri_file")"
    [[ "$uri" == nbd://* || "$uri" == nbds://* ]] && break
    kill -0 "$pid" 2>/dev/null || { log "nbdref exited; see $workdir/nbdref.log"; return 1; }
    sleep 0.1
  done
  [[ "$uri" == nbd://* || "$uri" == nbds://* ]] || return 1
  uri="$(client_uri "${uri#*://}")"
  wait_ready "$uri" "$pid"
}
start_qemu_nbd() {
  local port; port=$(free_port)
  local tls_args=()
  ((tls)) && { ensure_pki || return 1
    tls_args=(--object "tls-creds-x509,id=tls0,dir=$pki_dir,endpoint=server" --tls-creds tls0); }
  qemu-nbd -f raw -t -x disk -p "$port" -b 127.0.0.1 "${tls_args[@]}" "$target_file" 2> "$workdir/qemu-nbd.log" &
  pid=$!; started_pids+=("$pid")
  uri="$(client_uri "127.0.0.1:$port/disk")"
  wait_ready "$uri" "$pid"
}
start_nbdkit() {
  local port; port=$(free_port)
  local tls_args=()
  ((tls)) && { ensure_pki || return 1; tls_args=(--tls=require "--tls-certificates=$pki_dir"); }
  nbdkit -f -p "$port" -i 127.0.0.1 --exportname=disk "${tls_args[@]}" file "$target_file" 2> "$workdir/nbdkit.log" &
  pid=$!; started_pids+=("$pid")
  uri="$(client_uri "127.0.0.1:$port/disk")"
  wait_ready "$uri" "$pid"
}

now() { date +%s.%N; }
best_of() {  # prints the best wall time in seconds of $runs runs of the command, or fails
  local best="" t0 t1 t
  for _ in $(seq "$runs"); do
    t0=$(now); "$@" >/dev/null 2>>"$workdir/nbdcopy.log" || return 1; t1=$(now)
    t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    if [[ -z "$best" ]] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best="$t"; fi
  done
  echo "$best"
}
mib_per_s() { awk -v s="$size" -v t="$1" 'BEGIN { printf "%.1f", s / 1048576 / t }'; }

declare -A read_mibs write_mibs rss_mib errors
order=()
IFS=, read -r -a wanted <<< "$servers"
for server in "${wanted[@]}"; do
  case "$server" in nbdref|qemu-nbd|nbdkit) ;; *) die "unknown server '$server'" ;; esac
  order+=("$server")
  command -v "${server/nbdref/java}" >/dev/null || { errors[$server]="not installed"; log "$server: not installed"; continue; }
  log "$server: preparing a fresh copy of the source"
  cp --sparse=never "$source_file" "$target_file"
  uri=""; pid=""; start_error=""
  if ! "start_${server//-/_}"; then
    errors[$server]="${start_error:-did not start (see $workdir/$server.log)}"; log "$server: ${errors[$server]}"
    [[ -n "$pid" ]] && stop_pid "$pid"
    continue
  fi
  log "$server: serving $uri (pid $pid); $runs run(s) each of read and write"
  read_target=/dev/null; ((tls)) && read_target=null:
  if r=$(best_of nbdcopy "$uri" "$read_target") && w=$(best_of nbdcopy "$source_file" "$uri"); then
    read_mibs[$server]=$(mib_per_s "$r"); write_mibs[$server]=$(mib_per_s "$w")
    hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
    rss_mib[$server]=$(awk -v k="$hwm_kb" 'BEGIN { printf "%.1f", k / 1024 }')
  else
    errors[$server]="nbdcopy failed (see $workdir/nbdcopy.log)"; log "$server: ${errors[$server]}"
  fi
  stop_pid "$pid"
done

# --- report ------------------------------------------------------------------------------------------------
ratio() {  # a/b of one metric for two servers, or "n/a"
  local a="$1" b="$2"
  [[ -n "$a" && -n "$b" ]] && awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }' \
    || echo "n/a"
}
json_num() { [[ -n "$1" && "$1" != n/a ]] && echo "$1" || echo null; }

printf '\n%-10s %14s %14s %14s\n' server "read MiB/s" "write MiB/s" "peak RSS MiB"
for s in "${order[@]}"; do
  if [[ -n "${errors[$s]:-}" ]]; then printf '%-10s %s\n' "$s" "ERROR: ${errors[$s]}"
  else printf '%-10s %14s %14s %14s\n' "$s" "${read_mibs[$s]}" "${write_mibs[$s]}" "${rss_mib[$s]}"; fi
done
echo
ratio_json=()
for peer in nbdkit qemu-nbd; do
  rr=$(ratio "${read_mibs[nbdref]:-}" "${read_mibs[$peer]:-}")
  wr=$(ratio "${write_mibs[nbdref]:-}" "${write_mibs[$peer]:-}")
  mr=$(ratio "${rss_mib[nbdref]:-}" "${rss_mib[$peer]:-}")
  printf 'nbdref/%-9s read %-6s write %-6s peak RSS %s\n' "$peer" "$rr" "$wr" "$mr"
  ratio_json+=("    \"nbdref/$peer\": {\"read\": $(json_num "$rr"), \"write\": $(json_num "$wr"), \"peak_rss\": $(json_num "$mr")}")
done

json_str() { local s="$1"; s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; printf '"%s"' "$s"; }
version_of() { "$@" 2>/dev/null | head -n1 || true; }
mkdir -p "$(dirname "$out")"
{
  echo "{"
  echo "  \"date\": $(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),"
  echo "  \"size_bytes\": $size,"
  echo "  \"runs\": $runs,"
  echo "  \"tls\": $( ((tls)) && echo '"x509"' || echo null ),"
  echo "  \"method\": $(json_str "best of $runs wall times of nbdcopy nbd://.../disk /dev/null (read) and nbdcopy SOURCE nbd://.../disk (write); peak RSS = VmHWM of the server process; all servers serve a raw file copy on $workdir"),"
  echo "  \"host\": {\"cpus\": $(nproc), \"kernel\": $(json_str "$(uname -r)")},"
  echo "  \"versions\": {\"nbdcopy\": $(json_str "$(version_of nbdcopy --version)"), \"qemu-nbd\": $(json_str "$(version_of qemu-nbd --version)"), \"nbdkit\": $(json_str "$(version_of nbdkit --version)"), \"java\": $(json_str "$(java -version 2>&1 | head -n1)")},"
  echo "  \"results\": ["
  first=1
  for s in "${order[@]}"; do
    ((first)) || echo ","
    first=0
    if [[ -n "${errors[$s]:-}" ]]; then
      printf '    {"server": "%s", "read_mib_s": null, "write_mib_s": null, "peak_rss_mib": null, "error": %s}' "$s" "$(json_str "${errors[$s]}")"
    else
      printf '    {"server": "%s", "read_mib_s": %s, "write_mib_s": %s, "peak_rss_mib": %s, "error": null}' \
        "$s" "${read_mibs[$s]}" "${write_mibs[$s]}" "${rss_mib[$s]}"
    fi
  done
  echo
  echo "  ],"
  echo "  \"ratios\": {"
  (IFS=$'\n'; echo "${ratio_json[*]}" | sed '$!s/$/,/')
  echo "  }"
  echo "}"
} > "$out.tmp"
mv "$out.tmp" "$out"
log "wrote $out"
# Partial results are still results; only a run that measured nothing at all is a failure.
[[ -n "${read_mibs[*]:-}" ]] || die "no server could be measured"
