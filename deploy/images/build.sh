#!/usr/bin/env bash
# Build a session image lab/<name>:latest on the local engine without a
# registry: the Debian stand-in base (deploy/standins/build.sh), the Python
# wheels of deploy/images/<name>/requirements.txt downloaded on the host into
# .cache/ (pip inside a container cannot verify TLS here), then `docker build`
# of that folder. Cached: a second run with the same files does nothing.
#   deploy/images/build.sh jupyterlab      (make image-jupyterlab)
#   deploy/images/build.sh ssh             (make image-ssh)
set -euo pipefail
NAME="${1:?usage: deploy/images/build.sh <name>  (a folder of deploy/images)}"
HERE="$(cd "$(dirname "$0")" && pwd)/$NAME"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
IMAGE_VAR="$(echo "$NAME" | tr 'a-z-' 'A-Z_')_IMAGE"
IMAGE="${!IMAGE_VAR:-lab/$NAME:latest}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
CACHE="$ROOT/.cache/$NAME-wheels"
log() { printf '[%s %s] %s\n' "$NAME" "$(date +%H:%M:%S)" "$*"; }

[ -f "$HERE/Dockerfile" ] || { log "no $HERE/Dockerfile"; exit 2; }
if ! docker info >/dev/null 2>&1; then
  # A laptop without Docker: the session suites skip (under CI=true they fail).
  [ "${CI:-}" = true ] && { log "no Docker engine answers"; exit 1; }
  log "no Docker engine answers: not building $IMAGE"; exit 0
fi

fingerprint=$(cd "$HERE" && find . -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)
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

ctx=$(mktemp -d /tmp/session-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp -r "$HERE/." "$ctx/"
cp -r "$CACHE" "$ctx/wheels"
log "building $IMAGE"
docker build -q --label "lab.image.fingerprint=$fingerprint" -t "$IMAGE" "$ctx" >/dev/null
log "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
