#!/usr/bin/env bash
# Deployment smoke test on the real Docker engine of this machine.
#
# Brings the whole docker-compose.yml stack up with ./deploy.sh, the operator's
# own command, twice (idempotent), then takes it down with `./deploy.sh --down
# --volumes` (project `booking-smoke`, every port on 127.0.0.1). Between, through
# Traefik only: health, the SPA, HTTPS, the
# dashboard, the first admin's login, node registration, a student's booking
# approved onto agent1 and started by the controller's scheduler at its start
# time as container booking-<id> (limits, session port), then completed and
# removed at its end. Also: every service runs as non-root, a crashed
# controller is restarted, and `compose config` is clean for .env.example.
# Tears everything down (containers, networks, volumes) whatever happens.
#
# No registry is reached: base images are local STAND-INS built by
# deploy/standins/build.sh (Debian 12 packages; PostgreSQL is 15 there, not 16;
# Traefik is the real v3 binary) and cached between runs. Python wheels and the
# SPA are built on the host (deploy/offline-bundle.sh). The session image is
# tests/dockerimages.py's busybox image and lab/jupyterlab (deploy/images/build.sh);
# a student's JupyterLab is opened in Chromium through Traefik
# (frontend/e2e/session-jupyterlab.test.mjs). Nodes have no MAC: no Wake-on-LAN.
#
#   tests/deploy/smoke.sh              (make test-deploy)
# Environment: COMPOSE_CMD picks the compose implementation (default: `docker
# compose` when the plugin answers, else `docker-compose`); CI=true makes a missing prerequisite a failure instead of a skip;
# SMOKE_REAL_IMAGES=1 uses the compose file's real base images (a registry
# must be reachable, e.g. on GitHub's runners) instead of the stand-ins;
# SMOKE_REMOVE_IMAGES=1 also removes the stack's built images at the end;
# PYTHON (default .venv/bin/python) needs the project's requirements.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
T0=$(date +%s)
PROJECT=booking-smoke
PY="${PYTHON:-$ROOT/.venv/bin/python}"
PASSED=0
FAILED=0
SKIPPED=0
WORK=""

say() { printf '[smoke %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
summary() { echo "smoke: $PASSED passed, $FAILED failed"; }
unavailable() {
  if [ "${CI:-}" = true ]; then
    say "FAIL: $1 (CI=true: a missing prerequisite fails the smoke test)"
    FAILED=$((FAILED + 1)); exit 1
  fi
  say "SKIP: $1"; SKIPPED=1; exit 0
}
ok() { PASSED=$((PASSED + 1)); say "ok    $*"; }
# What failed, said again after the services' logs at the end (CI shows the output's tail).
FAILURE=""
FAILURE_DETAIL=""
fail() { FAILED=$((FAILED + 1)); FAILURE="$*"; say "FAIL  $*"; exit 1; }

compose() { "${COMPOSE[@]}" --project-name "$PROJECT" --env-file "$ENV_FILE" "$@"; }

cleanup() {
  local rc=$?
  set +e
  if [ -n "$WORK" ] && [ -f "$ENV_FILE" ]; then
    if [ "$rc" != 0 ]; then
      say "logs of the failed run (last 25 lines per service):"
      compose logs --no-color --tail 25 2>&1 | sed 's/^/    /'
    fi
    say "tearing down"
    local rmi=()
    [ "${SMOKE_REMOVE_IMAGES:-0}" = 1 ] && rmi=(--rmi local)
    compose down --volumes --remove-orphans --timeout 10 "${rmi[@]}" >/dev/null 2>&1
    # A session container the scheduler had no time to stop (failed run only).
    [ -f "$WORK/containers" ] && xargs -r docker rm -f <"$WORK/containers" >/dev/null 2>&1
    left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"; \
           docker network ls -q --filter "label=com.docker.compose.project=$PROJECT"; \
           docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
    [ -z "$left" ] || say "WARNING: left behind: $left"
  fi
  [ -n "$WORK" ] && rm -rf "$WORK"
  if [ -n "$FAILURE" ]; then
    [ -z "$FAILURE_DETAIL" ] || printf '%s\n' "$FAILURE_DETAIL" | sed 's/^/    /'
    say "FAIL  $FAILURE (said again after the logs above)"
  fi
  say "done in $(( $(date +%s) - T0 ))s"
  [ "$rc" = 0 ] || [ "$FAILED" -gt 0 ] || FAILED=1
  [ "$SKIPPED" = 1 ] || summary
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- prerequisites --------------------------------------------------------
command -v docker >/dev/null 2>&1 || unavailable "the docker CLI is not installed"
docker info >/dev/null 2>&1 || unavailable "no Docker engine answers (start dockerd)"
if [ -n "${COMPOSE_CMD:-}" ]; then
  read -r -a COMPOSE <<<"$COMPOSE_CMD"
elif docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  COMPOSE=(docker-compose)
else
  unavailable "no compose implementation (docker compose plugin or docker-compose)"
fi
[ -x "$PY" ] || unavailable "no Python with the project's requirements at $PY (make venv)"
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || unavailable "busybox-static is not installed"
[ "${SMOKE_REAL_IMAGES:-0}" = 1 ] || docker image inspect lab-standin/debian:bookworm >/dev/null 2>&1 \
  || command -v debootstrap >/dev/null 2>&1 \
  || unavailable "debootstrap is not installed (needed once to build the stand-in base image)"
say "compose: $("${COMPOSE[@]}" version 2>/dev/null | head -1); engine $(docker version -f '{{.Server.Version}}')"

WORK=$(mktemp -d /tmp/booking-smoke.XXXXXX)
ENV_FILE="$WORK/env"

# A stack left by a killed earlier run.
if [ -n "$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")" ]; then
  say "removing a stack left by an earlier run"
  docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" | xargs -r docker rm -f >/dev/null
  docker network ls -q --filter "label=com.docker.compose.project=$PROJECT" | xargs -r docker network rm >/dev/null
  docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | xargs -r docker volume rm >/dev/null
fi

# --- images without a registry ---------------------------------------------
if [ "${SMOKE_REAL_IMAGES:-0}" = 1 ]; then
  say "real base images from the registry (SMOKE_REAL_IMAGES=1)"
else
  say "stand-in base images (cached between runs)"
  deploy/standins/build.sh
fi
say "session image lab-test/busybox (tests/dockerimages.py)"
"$PY" -c 'import docker; from tests.dockerimages import ensure_busybox_image; ensure_busybox_image(docker.from_env())'
say "session image lab/jupyterlab (deploy/images/build.sh, cached)"
deploy/images/build.sh jupyterlab

# --- configuration: random secrets, loopback ports, stand-in images ---------
read -r HTTP_PORT HTTPS_PORT DASH_PORT < <("$PY" - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)
secret() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(32))'; }
cat >"$ENV_FILE" <<EOF
ENV_FILE=$ENV_FILE
POSTGRES_PASSWORD=$(secret)
REDIS_PASSWORD=$(secret)
JWT_SECRET_KEY=$(secret)
ADMIN_USERNAME=admin
ADMIN_PASSWORD=$(secret)
ADMIN_EMAIL=admin@lab.example
AGENT1_TOKEN=$(secret)
AGENT2_TOKEN=$(secret)
PROXY_TOKEN=$(secret)
DOCKER_GID=$(stat -c %g /var/run/docker.sock)
DOMAIN=localhost
HTTP_BIND=127.0.0.1
HTTPS_BIND=127.0.0.1
HTTP_PORT=$HTTP_PORT
HTTPS_PORT=$HTTPS_PORT
TRAEFIK_DASHBOARD_PORT=$DASH_PORT
AGENT_PUBLISH_ADDRESS=127.0.0.1
AGENT1_PORT_RANGE=20000-20099
AGENT2_PORT_RANGE=20100-20199
AGENT_IMAGE_ALLOWLIST=lab-test/busybox,lab/jupyterlab
SESSION_IMAGES=[{"name": "lab-test/busybox:latest", "port": 8080, "strip_prefix": true}, {"name": "lab/jupyterlab:latest", "port": 8888, "label": "JupyterLab"}]
SESSIONS_NETWORK=booking-smoke-sessions
# A session of seconds, a quarter GiB: below the lab defaults, on purpose.
BOOKING_MIN_MINUTES=0
BOOKING_MIN_MEMORY_GB=0.25
SCHEDULER_ENABLED=true
# Reconcile during the session: both agents share this engine, and neither
# may take the other's session for an orphan.
RECONCILE_SECONDS=5
LOG_JSON=true
GUNICORN_WORKERS=2
IMAGE_PREFIX=booking-smoke
IMAGE_TAG=smoke
EOF
[ "${SMOKE_REAL_IMAGES:-0}" = 1 ] || cat >>"$ENV_FILE" <<EOF
PYTHON_IMAGE=lab-standin/python:3.11
NGINX_IMAGE=lab-standin/nginx:1.22
POSTGRES_IMAGE=lab-standin/postgres:15
REDIS_IMAGE=lab-standin/redis:7
TRAEFIK_IMAGE=lab-standin/traefik:v3
EOF

# .env.example plus the secrets it leaves blank must give a clean config too.
{ cat .env.example; grep -E '^(POSTGRES_PASSWORD|REDIS_PASSWORD|AGENT1_TOKEN|AGENT2_TOKEN|PROXY_TOKEN)=' "$ENV_FILE"
  echo "ENV_FILE=$WORK/example.env"; } >"$WORK/example.env"
"${COMPOSE[@]}" --project-name "$PROJECT" --env-file "$WORK/example.env" config -q 2>"$WORK/config.err" \
  && [ ! -s "$WORK/config.err" ] || { cat "$WORK/config.err"; fail "compose config with .env.example"; }
compose config -q 2>"$WORK/config.err" && [ ! -s "$WORK/config.err" ] \
  || { cat "$WORK/config.err"; fail "compose config with the smoke env"; }
ok "compose config is clean (.env.example and the smoke env, no warnings)"

# --- build and start: the operator's own command ----------------------------
say "./deploy.sh (bundle, build, start, wait for health, check the first admin)"
export COMPOSE_PROJECT_NAME="$PROJECT" ENV_FILE COMPOSE_CMD="${COMPOSE[*]}"
sha_before=$(sha256sum "$ENV_FILE" | cut -d' ' -f1)
./deploy.sh >"$WORK/deploy.log" 2>&1 || { tail -60 "$WORK/deploy.log"; fail "./deploy.sh"; }
grep -q "first admin 'admin' logs in through Traefik" "$WORK/deploy.log" \
  || { tail -30 "$WORK/deploy.log"; fail "./deploy.sh did not see the first admin log in"; }
[ "$(sha256sum "$ENV_FILE" | cut -d' ' -f1)" = "$sha_before" ] || fail "./deploy.sh changed secrets that were set"
ok "./deploy.sh builds the images from the wheelhouse and the prebuilt SPA, starts the stack, and the first admin logs in"

wait_healthy() {  # every service's container healthy (all seven have health checks)
  local deadline=$(( $(date +%s) + $1 )) ids id state bad
  while :; do
    ids=$(compose ps -q)
    bad=""
    for id in $ids; do
      state=$(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
      case "$state" in *" running healthy") ;; *) bad="$bad ${state#/}," ;; esac
    done
    if [ -z "$bad" ] && [ "$(echo "$ids" | wc -w)" -eq 7 ]; then return 0; fi
    [ "$(date +%s)" -lt "$deadline" ] || { say "not healthy:$bad"; return 1; }
    sleep 2
  done
}
wait_healthy 180 || fail "all seven services healthy"
ok "all seven services healthy (each waited for its dependencies' health)"

say "./deploy.sh again (idempotent)"
./deploy.sh >"$WORK/deploy2.log" 2>&1 || { tail -40 "$WORK/deploy2.log"; fail "a second ./deploy.sh"; }
[ "$(sha256sum "$ENV_FILE" | cut -d' ' -f1)" = "$sha_before" ] || fail "a second ./deploy.sh changed .env"
wait_healthy 120 || fail "healthy after a second ./deploy.sh"
ok "a second ./deploy.sh keeps every secret and leaves the stack healthy"

# --- what the scenario cannot see from outside ---------------------------
root_procs=""
for service in traefik controller agent1 agent2 frontend db redis; do
  id=$(compose ps -q "$service")
  uids=$(docker top "$id" -eo pid,uid | awk 'NR > 1 {print $2}' | sort -u | tr '\n' ' ')
  case " $uids " in *" 0 "*) root_procs="$root_procs $service($uids)" ;; esac
done
[ -z "$root_procs" ] || fail "processes running as root:$root_procs"
ok "no process of any service runs as root"

bound=$(docker port "$(compose ps -q traefik)" 8080/tcp)
[ "$bound" = "127.0.0.1:$DASH_PORT" ] || fail "dashboard published on $bound"
for service in db redis agent1 agent2 controller frontend; do
  [ -z "$(docker port "$(compose ps -q "$service")")" ] || fail "$service publishes a port"
done
ok "only Traefik publishes ports; its dashboard on 127.0.0.1 only"

# --- the scenario, through Traefik -----------------------------------------
if TRAEFIK_CONTAINER="$(compose ps -q traefik)" "$PY" tests/deploy/scenario.py "$ENV_FILE" "$WORK/containers" \
    | tee "$WORK/scenario.out"; then
  PASSED=$((PASSED + $(sed -n 's/^scenario: \([0-9]*\) passed.*/\1/p' "$WORK/scenario.out")))
else
  PASSED=$((PASSED + $(sed -n 's/^scenario: \([0-9]*\) passed.*/\1/p' "$WORK/scenario.out")))
  fail "the scenario"
fi

# --- a student's JupyterLab in Chromium, through Traefik ------------------------
say "JupyterLab in Chromium through Traefik (frontend/e2e/session-jupyterlab.test.mjs)"
if (cd frontend && SESSION_E2E_BASE_URL="http://127.0.0.1:$HTTP_PORT" \
      SESSION_E2E_ADMIN_USER=admin SESSION_E2E_ADMIN_PASSWORD="$(sed -n 's/^ADMIN_PASSWORD=//p' "$ENV_FILE")" \
      node --test --test-reporter=spec e2e/session-jupyterlab.test.mjs) >"$WORK/jupyterlab.out" 2>&1; then
  grep -E '^ *(✔|#)' "$WORK/jupyterlab.out" | sed 's/^/    /'
  ok "the owner opens JupyterLab through Traefik and a kernel answers 6*7; others refused; ended after the end"
else
  cat "$WORK/jupyterlab.out"
  # The test's one-line account of the failed step ("# why: ...") goes last.
  FAILURE_DETAIL=$(grep -E -A12 '^ *(✖|not ok|#)|Error' "$WORK/jupyterlab.out" | grep -v '# why:' | head -40
                   grep -E '# why:' "$WORK/jupyterlab.out" | tail -2)
  fail "JupyterLab in Chromium through Traefik"
fi

# --- restart on failure ----------------------------------------------------
controller=$(compose ps -q controller)
restarts=$(docker inspect -f '{{.RestartCount}}' "$controller")
kill -KILL "$(docker inspect -f '{{.State.Pid}}' "$controller")"
sleep 2
wait_healthy 120 || fail "the stack healthy again after the controller crashed"
[ "$(docker inspect -f '{{.RestartCount}}' "$controller")" -gt "$restarts" ] || fail "controller not restarted"
# Traefik takes the controller back at its next health check of the service.
back=""
for _ in $(seq 1 30); do
  curl -fsS "http://127.0.0.1:$HTTP_PORT/api/health" >/dev/null 2>&1 && { back=1; break; }
  sleep 1
done
[ -n "$back" ] || fail "/api/health through Traefik within 30 s of the restart"
ok "a crashed controller (SIGKILL) is restarted and healthy again behind Traefik"

./deploy.sh --down --volumes >"$WORK/down.log" 2>&1 || { cat "$WORK/down.log"; fail "./deploy.sh --down --volumes"; }
[ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT";
        docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")" ] \
  || fail "./deploy.sh --down --volumes left containers or volumes"
ok "./deploy.sh --down --volumes removes the stack and its data"
