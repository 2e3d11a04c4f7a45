#!/usr/bin/env bash
# Installs the real NBD peers the interop tests and benchmarks run against (Debian packages),
# and checks that the Java toolchain is present. Idempotent: when every package is already
# installed it touches nothing (no apt-get update), so repeated runs are quick and offline.
set -euo pipefail

PACKAGES=(qemu-utils libnbd-bin python3-libnbd nbdkit nbd-client nbd-server bximage fio)

die() { echo "install-test-deps: ERROR: $*" >&2; exit 1; }
log() { echo "install-test-deps: $*" >&2; }

installed() {
  # dpkg -s alone also succeeds for packages that were removed but not purged; check the status line.
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script expects a Debian-like system (Debian 12)."

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  log "all peer packages already installed: ${PACKAGES[*]}"
else
  log "missing packages: ${missing[*]}"
  if [[ "$(id -u)" != 0 ]]; then
    die "installing ${missing[*]} needs root. Run: sudo $0"
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update || die "apt-get update failed (no network or broken sources.list?)"
  apt-get install -y --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"
  for pkg in "${missing[@]}"; do
    installed "$pkg" || die "package $pkg is still not installed after apt-get install"
  done
fi

# The binaries the tests call, one per package, so a broken or partial install is caught here
# rather than as a puzzling test failure.
for bin in qemu-img qemu-io qemu-nbd nbdinfo nbdcopy nbdsh nbdkit nbd-client nbd-server bximage fio; do
  command -v "$bin" >/dev/null 2>&1 || [[ -x "/usr/sbin/$bin" ]] || die "$bin not found on PATH after install"
done
/usr/bin/python3 -c 'import nbd' 2>/dev/null || die "/usr/bin/python3 cannot import nbd (python3-libnbd)"

command -v java >/dev/null 2>&1 || die "java not found: install a JDK 17 or newer (e.g. apt-get install openjdk-17-jdk-headless)"
command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven 3.8+ (e.g. apt-get install maven)"
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[[ "${java_major%%.*}" =~ ^[0-9]+$ ]] && (( ${java_major%%.*} >= 17 )) \
  || die "java is version '${java_major}', need 17 or newer"

# The container interop matrix (scripts/container-peers.sh): a Docker engine and debootstrap for the offline
# peer images. Optional: without them the matrix skips itself (it fails only when CI=true). A machine that
# already has a Docker engine (e.g. Docker CE, which conflicts with docker.io) keeps it.
container_missing=()
command -v dockerd >/dev/null 2>&1 || installed docker.io || container_missing+=(docker.io)
installed debootstrap || container_missing+=(debootstrap)
if ((${#container_missing[@]})); then
  if [[ "$(id -u)" == 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update && apt-get install -y --no-install-recommends "${container_missing[@]}"; } \
      || log "WARNING: could not install ${container_missing[*]}: the container interop matrix will not run"
  else
    log "WARNING: ${container_missing[*]} missing and not root: the container interop matrix will not run"
  fi
fi

log "ok: peers installed, java ${java_major}, maven at $(command -v mvn)"
