#!/usr/bin/env bash
# Build lab/jupyterlab:latest on the local engine without a registry: the
# Debian stand-in base (deploy/standins/build.sh), wheels downloaded on the
# host into .cache/, then `docker build`. Cached: a second run with the same
# requirements and files does nothing.
#   deploy/images/jupyterlab/build.sh        (make image-jupyterlab)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
IMAGE="${JUPYTERLAB_IMAGE:-lab/jupyterlab:latest}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
CACHE="$ROOT/.cache/jupyterlab-wheels"
log() { printf '[jupyterlab %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

if ! docker info >/dev/null 2>&1; then
  # A laptop without Docker: the session suites skip (under CI=true they fail).
  [ "${CI:-}" = true ] && { log "no Docker engine answers"; exit 1; }
  log "no Docker engine answers: not building $IMAGE"; exit 0
fi

fingerprint=$(cat "$HERE/Dockerfile" "$HERE/requirements.txt" "$HERE/start-session" "$HERE/overrides.json" | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{index .Config.Labels "lab.image.fingerprint"}}' "$IMAGE" 2>/dev/null)" = "$fingerprint" ]; then
  log "$IMAGE is up to date ($fingerprint)"
  exit 0
fi
docker image inspect lab-standin/python:3.11 >/dev/null 2>&1 || "$ROOT/deploy/standins/build.sh"

mkdir -p "$CACHE"
log "downloading wheels into $CACHE"
"$PY" -m pip download -q --disable-pip-version-check --only-binary=:all: --implementation cp \
  --python-version 3.11 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux_2_28_x86_64 -d "$CACHE" -r "$HERE/requirements.txt"

ctx=$(mktemp -d /tmp/jupyterlab-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp "$HERE/Dockerfile" "$HERE/requirements.txt" "$HERE/start-session" "$HERE/overrides.json" "$ctx/"
cp -r "$CACHE" "$ctx/wheels"
log "building $IMAGE"
docker build -q --label "lab.image.fingerprint=$fingerprint" -t "$IMAGE" "$ctx" >/dev/null
log "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
