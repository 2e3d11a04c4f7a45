#!/usr/bin/env bash
# Builds one interop peer image, e.g. nbdref-peer:bookworm, from conformance/peers/NAME/peer.conf.
#
#   build-image.sh NAME                 offline: debootstrap --variant=minbase from the Debian mirror, docker import
#   build-image.sh --dockerfile NAME    docker build with NAME/Dockerfile (needs a registry for debian:SUITE-slim)
#   build-image.sh --force NAME         rebuild even when the image is up to date
#   build-image.sh --recipe NAME        print the recipe hash and exit
#
# The image is labelled dev.nbdref.recipe=<sha256 of NAME/peer.conf, NAME/Dockerfile and this script>; when an
# image of that tag already carries the same label the build is skipped. The offline build keeps the root file
# system tarball (keyed by suite and package list) and the downloaded .debs under $NBDREF_PEER_CACHE (default
# /var/lib/nbdref-docker/nbdref-cache), so rebuilding an image whose packages did not change is a docker import.
#
# Environment: DOCKER_HOST (default unix:///run/nbdref-docker.sock, the private engine of
# scripts/container-peers.sh), NBDREF_DEBIAN_MIRROR (default: the deb.debian.org-style mirror configured in
# /etc/apt/sources.list.d/ or /etc/apt/sources.list, else http://deb.debian.org/debian).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
export DOCKER_HOST="${DOCKER_HOST:-unix:///run/nbdref-docker.sock}"
cache="${NBDREF_PEER_CACHE:-/var/lib/nbdref-docker/nbdref-cache}"

log() { echo "build-image: $*" >&2; }
die() { echo "build-image: ERROR: $*" >&2; exit 1; }

method=offline force=0 recipe_only=0
while (($#)); do
  case "$1" in
    --dockerfile) method=dockerfile ;;
    --offline) method=offline ;;
    --force) force=1 ;;
    --recipe) recipe_only=1 ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
(($# == 1)) || die "usage: $0 [--dockerfile|--offline] [--force] [--recipe] NAME   (NAME: a directory of $here)"
name="$1"
dir="$here/$name"
[[ -f "$dir/peer.conf" ]] || die "no peer.conf in $dir"

NAME='' IMAGE='' SUITE='' PACKAGES=''
# shellcheck source=/dev/null
. "$dir/peer.conf"
[[ "$NAME" == "$name" && -n "$IMAGE" && -n "$SUITE" && -n "$PACKAGES" ]] \
  || die "$dir/peer.conf must set NAME=$name, IMAGE, SUITE and PACKAGES"

recipe="$(cat "$dir/peer.conf" "$dir/Dockerfile" "$here/build-image.sh" | sha256sum | cut -c1-16)"
if ((recipe_only)); then
  echo "$recipe"
  exit 0
fi

current="$(docker image inspect --format '{{ index .Config.Labels "dev.nbdref.recipe" }}' "$IMAGE" 2>/dev/null || true)"
if [[ "$current" == "$recipe" && "$force" == 0 ]]; then
  log "$IMAGE is up to date (recipe $recipe)"
  exit 0
fi
[[ -n "$current" ]] && log "$IMAGE has recipe '$current', want $recipe: rebuilding"

started=$SECONDS
if [[ "$method" == dockerfile ]]; then
  log "docker build $IMAGE from $dir/Dockerfile"
  docker build --network host --build-arg "NBDREF_RECIPE=$recipe" -t "$IMAGE" "$dir"
  log "built $IMAGE (recipe $recipe) in $((SECONDS - started)) s"
  exit 0
fi

mirror() {
  if [[ -n "${NBDREF_DEBIAN_MIRROR:-}" ]]; then
    echo "$NBDREF_DEBIAN_MIRROR"
    return
  fi
  # deb822 files (URIs: lines) and one-line sources; the first URI ending in /debian is the main archive.
  local uri
  uri="$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null \
    | sed -n -e 's/^URIs:[[:space:]]*//p' -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?//p' \
    | tr ' ' '\n' | grep -E '^(https?|file)://.*/debian/?$' | head -n1 || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

[[ "$(id -u)" == 0 ]] || die "the offline build runs debootstrap and needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
mkdir -p "$cache/debs-$SUITE"
# The root file system depends only on the suite and the package list: editing this script or the Dockerfile
# re-imports the cached tarball (seconds) instead of running debootstrap again (minutes).
rootfs_key="$(printf '%s\n' "$SUITE" "$PACKAGES" | sha256sum | cut -c1-16)"
tarball="$cache/rootfs-$name-$rootfs_key.tar"
if [[ -f "$tarball" ]]; then
  log "using cached root file system $tarball"
else
  src="$(mirror)"
  rootfs="$cache/build-$name"
  rm -rf "$rootfs"
  log "debootstrap $SUITE from $src with ${PACKAGES// /,} (about a minute)"
  if ! debootstrap --variant=minbase --include="${PACKAGES// /,}" --cache-dir="$cache/debs-$SUITE" \
        "$SUITE" "$rootfs" "$src" > "$cache/debootstrap-$name.log" 2>&1; then
    tail -n 30 "$cache/debootstrap-$name.log" >&2
    rm -rf "$rootfs"
    die "debootstrap $SUITE failed (full log: $cache/debootstrap-$name.log)"
  fi
  # The image needs neither apt's lists nor downloaded packages; the .debs stay in the cache directory.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/debootstrap
  tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  find "$cache" -maxdepth 1 -name "rootfs-$name-*.tar" ! -name "rootfs-$name-$rootfs_key.tar" -delete
  log "root file system for $name ready after $((SECONDS - started)) s"
fi

previous="$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
docker import \
  --change "LABEL dev.nbdref.peer=$name dev.nbdref.recipe=$recipe" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8' \
  --change 'CMD ["/bin/sh"]' \
  "$tarball" "$IMAGE" > /dev/null
# The image the tag pointed to before is now dangling: remove it (unless a container still uses it).
if [[ -n "$previous" && "$previous" != "$(docker image inspect --format '{{.Id}}' "$IMAGE")" ]]; then
  docker image rm "$previous" > /dev/null 2>&1 || true
fi
log "built $IMAGE (recipe $recipe) offline in $((SECONDS - started)) s"
