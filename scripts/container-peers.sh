#!/usr/bin/env bash
# The Docker side of the container interop matrix: a private Docker engine and the peer images.
#
#   container-peers.sh start        start a private dockerd (no bridge, no iptables, own socket and data root)
#                                   unless one already answers on its socket; exit 1 when it cannot start
#   container-peers.sh build [ARGS] build every peer image under conformance/peers/ that is missing or whose
#                                   recipe changed (ARGS go to conformance/peers/build-image.sh, e.g. --dockerfile)
#   container-peers.sh stop         stop the dockerd that `start` started (by its pid file); leaves others alone
#   container-peers.sh status       say whether the engine answers and which peer images it holds
#   container-peers.sh env          print the environment Testcontainers needs, for eval "$(... env)"
#   container-peers.sh matrix [MVN] run only the container interop matrix on demand: start, build, mvn verify
#                                   -Pinterop-matrix MVN..., stop (when this call started it)
#
# The engine listens on unix:///run/nbdref-docker.sock and keeps images in /var/lib/nbdref-docker, so images
# built once survive between runs. Containers use host networking only: the engine has no bridge at all.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
socket=/run/nbdref-docker.sock
pidfile=/run/nbdref-docker.pid
marker=/run/nbdref-docker.started-by-script
data_root=/var/lib/nbdref-docker
exec_root=/run/nbdref-docker
logfile=/run/nbdref-docker.log
export DOCKER_HOST="unix://$socket"

log() { echo "container-peers: $*" >&2; }
die() { echo "container-peers: ERROR: $*" >&2; exit 1; }

answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# The private engine's pid, when the pid file names a live dockerd.
daemon_pid() {
  local pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == dockerd ]] && echo "$pid"
}

start() {
  command -v docker >/dev/null || die "no docker client on PATH (apt-get install docker.io)"
  if answers; then
    log "Docker engine already answers on $socket"
    return 0
  fi
  command -v dockerd >/dev/null || { log "dockerd not installed (apt-get install docker.io): no container peers"; return 1; }
  [[ "$(id -u)" == 0 ]] || { log "starting dockerd needs root: no container peers"; return 1; }
  if [[ -n "$(daemon_pid)" ]]; then
    die "dockerd $(daemon_pid) from $pidfile is running but does not answer on $socket; see $logfile"
  fi
  mkdir -p "$data_root" "$exec_root"
  log "starting dockerd (data root $data_root, socket $socket, log $logfile)"
  setsid dockerd --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    --data-root="$data_root" --exec-root="$exec_root" -H "unix://$socket" --pidfile="$pidfile" \
    </dev/null >"$logfile" 2>&1 &
  local launched=$!
  echo "$launched" > "$marker"
  for _ in $(seq 1 60); do
    if answers; then
      log "dockerd $(daemon_pid) is up ($(docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}'))"
      return 0
    fi
    kill -0 "$launched" 2>/dev/null || break
    sleep 1
  done
  tail -n 20 "$logfile" >&2 || true
  kill "$launched" 2>/dev/null || true
  rm -f "$marker"
  log "dockerd did not come up within 60 s: no container peers"
  return 1
}

stop() {
  if [[ ! -f "$marker" ]]; then
    log "no dockerd started by this script; nothing to stop"
    return 0
  fi
  local pid
  pid="$(daemon_pid || true)"
  if [[ -z "$pid" ]]; then
    rm -f "$marker"
    log "dockerd has already stopped"
    return 0
  fi
  log "stopping dockerd $pid"
  kill -TERM "$pid"
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$marker"; log "dockerd stopped"; return 0; }
    sleep 1
  done
  log "dockerd $pid ignored SIGTERM for 30 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$marker"
}

build() {
  answers || die "no Docker engine answers on $socket: run '$0 start' first"
  local started=$SECONDS dir
  for dir in "$root"/conformance/peers/*/; do
    [[ -f "$dir/peer.conf" ]] || continue
    "$root/conformance/peers/build-image.sh" "$@" "$(basename "$dir")"
  done
  log "peer images ready in $((SECONDS - started)) s"
}

status() {
  if ! answers; then
    echo "engine: not answering on $socket"
    return 1
  fi
  echo "engine: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})') on $socket, pid $(daemon_pid || echo '?')"
  docker image ls --filter label=dev.nbdref.peer \
    --format '{{.Repository}}:{{.Tag}}  {{.Size}}  created {{.CreatedSince}}'
}

# The matrix alone, on demand; extra arguments go to Maven (e.g. -Dnbdref.interop.peers=trixie).
matrix() {
  local was_running=0
  answers && was_running=1
  start || die "no Docker engine: the matrix cannot run"
  ((was_running)) || trap "'$0' stop" EXIT
  build
  export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost
  (cd "$root" && mvn -B verify -Pinterop-matrix "$@")
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  build) shift; build "$@" ;;
  status) status ;;
  env)
    echo "export DOCKER_HOST=unix://$socket"
    echo "export TESTCONTAINERS_RYUK_DISABLED=true"
    echo "export TESTCONTAINERS_HOST_OVERRIDE=localhost"
    ;;
  matrix) shift; matrix "$@" ;;
  *) die "usage: $0 start|build [--dockerfile] [--force]|stop|status|env|matrix [MAVEN ARGS]" ;;
esac
