#!/usr/bin/env bash
# Makes what the images copy instead of downloading, so `docker build` needs no
# package index (the one build path, here and in a lab without internet access):
#   wheelhouse/      every wheel requirements.txt needs, for the images' Python
#                    (CPython 3.11 on Linux/glibc, the machine's architecture)
#   frontend/dist/   the built SPA (npm ci && npm run build)
# Run it on a machine that reaches PyPI and npm, then copy the whole tree (with
# these two folders) to the lab. Idempotent: a complete wheelhouse is reused.
#
#   deploy/offline-bundle.sh [--wheels-only|--spa-only] [--archive FILE.tar.gz]
# Environment: PYTHON (default python3), WHEEL_PLATFORM (default from uname -m),
#              WHEEL_PYTHON_VERSION (default 3.11).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
PYVER="${WHEEL_PYTHON_VERSION:-3.11}"
case "${WHEEL_ARCH:-$(uname -m)}" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) echo "unsupported architecture $(uname -m): set WHEEL_PLATFORM" >&2; exit 2 ;;
esac
# Wheels for glibc 2.36 (Debian 12) and older: every manylinux tag from 2.36 down
# (older pips do not expand one tag into the older ones themselves).
PLATFORM="${WHEEL_PLATFORM:-manylinux_2_36_$arch}"
platform_args=()
if [ -z "${WHEEL_PLATFORM:-}" ]; then
  for minor in $(seq 36 -1 17); do platform_args+=(--platform "manylinux_2_${minor}_$arch"); done
  platform_args+=(--platform "manylinux2014_$arch")
else
  platform_args=(--platform "$WHEEL_PLATFORM")
fi
do_wheels=1 do_spa=1 archive=""
while [ $# -gt 0 ]; do
  case "$1" in
    --wheels-only) do_spa=0 ;;
    --spa-only) do_wheels=0 ;;
    --archive) archive="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
log() { printf '[bundle] %s\n' "$*" >&2; }

wheels() {
  mkdir -p wheelhouse
  local stamp="wheelhouse/.stamp-$PYVER-$PLATFORM"
  local want
  want=$(cat requirements.txt "$0" | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "wheelhouse/ is up to date for requirements.txt ($PLATFORM, cp$PYVER)"
    return
  fi
  log "downloading wheels for cp$PYVER / $PLATFORM into wheelhouse/"
  # Binary wheels only, for the images' interpreter and platform, not this host's.
  local dl=("$PYTHON" -m pip download --disable-pip-version-check -q --only-binary=:all:
            --python-version "$PYVER" --implementation cp "${platform_args[@]}")
  "${dl[@]}" -d wheelhouse -r requirements.txt
  # pip evaluates markers for this host's Python: add what other 3.11.x releases
  # need (e.g. async-timeout for redis before 3.11.3; Debian 12 has 3.11.2).
  local extra round
  for round in 1 2 3 4 5; do
    extra=$("$PYTHON" "$ROOT/deploy/wheelhouse_closure.py" wheelhouse "$PYVER" "$arch")
    [ -z "$extra" ] && break
    log "adding for other $PYVER.x releases: $(echo $extra)"
    # shellcheck disable=SC2086
    "${dl[@]}" -d wheelhouse $extra
  done
  [ -z "$extra" ] || { log "wheelhouse/ still lacks: $extra"; exit 1; }
  # Prove the set is complete: resolve requirements.txt again from wheelhouse/ alone.
  local check
  check=$(mktemp -d)
  "${dl[@]}" -d "$check" --no-index --find-links wheelhouse -r requirements.txt
  rm -rf "$check"
  echo "$want" >"$stamp"
  log "wheelhouse/: $(find wheelhouse -name '*.whl' | wc -l) wheels"
}

spa() {
  [ -f frontend/package.json ] || { log "no frontend/package.json"; return 1; }
  log "building the SPA into frontend/dist/"
  (cd frontend && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
                      || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent) >&2
  [ -f frontend/dist/index.html ] || { log "frontend/dist/index.html missing after the build"; return 1; }
}

[ "$do_wheels" = 1 ] && wheels
[ "$do_spa" = 1 ] && spa
if [ -n "$archive" ]; then
  log "writing $archive"
  git ls-files -z | tar --null -czf "$archive" -T - wheelhouse frontend/dist
fi
log "done"
