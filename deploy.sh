#!/usr/bin/env bash
# Deploys the compute booking system on this host with docker compose.
#
#   ./deploy.sh                    check prerequisites, create .env secrets when missing,
#                                  build, start, wait for health, check the first admin,
#                                  print the URLs (idempotent: run it again after a change)
#   ./deploy.sh --register-agents  also register the stack's two agents as nodes
#   ./deploy.sh --offline-bundle [--archive F.tar.gz]
#                                  only make wheelhouse/ and frontend/dist/ (on a machine
#                                  with internet access), to build in an offline lab
#   ./deploy.sh --down [--volumes] stop and remove the containers (and the data, with --volumes)
#   ./deploy.sh --logs [SERVICE]   follow the logs
#   ./deploy.sh --status           the services and their health
#
# Environment: COMPOSE_CMD (default `docker compose`, else `docker-compose`),
# ENV_FILE (default .env). Existing values in .env are never overwritten.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")" && pwd)"
cd "$ROOT"
ENV_FILE="${ENV_FILE:-$ROOT/.env}"
export ENV_FILE
SECRETS=(POSTGRES_PASSWORD REDIS_PASSWORD JWT_SECRET_KEY ADMIN_PASSWORD AGENT1_TOKEN AGENT2_TOKEN PROXY_TOKEN)

log() { printf '\033[1m[deploy]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[deploy] %s\033[0m\n' "$*" >&2; exit 1; }

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

find_compose() {
  if [ -n "${COMPOSE_CMD:-}" ]; then
    read -r -a COMPOSE <<<"$COMPOSE_CMD"
  elif docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  else
    die "no compose: install Docker's compose plugin (docker-compose-plugin) or docker-compose"
  fi
}

compose() { "${COMPOSE[@]}" --env-file "$ENV_FILE" "$@"; }

prerequisites() {
  command -v docker >/dev/null 2>&1 || die "docker is not installed (Debian: apt-get install docker.io)"
  docker info >/dev/null 2>&1 || die "the Docker engine does not answer (systemctl start docker; are you in the docker group?)"
  find_compose
  "${COMPOSE[@]}" version >/dev/null 2>&1 || die "'${COMPOSE[*]} version' fails"
  command -v python3 >/dev/null 2>&1 || die "python3 is needed (secrets, wheelhouse)"
  [ -S /var/run/docker.sock ] || [ -n "${DOCKER_SOCKET:-}" ] \
    || die "/var/run/docker.sock is missing: set DOCKER_SOCKET in .env for the agents"
  log "docker $(docker version -f '{{.Server.Version}}'), $("${COMPOSE[@]}" version | head -1)"
}

env_get() {  # the value of KEY in .env, empty when unset
  sed -n "s/^$1=//p" "$ENV_FILE" 2>/dev/null | tail -1
}

env_set_if_empty() {  # KEY VALUE: set KEY only when .env has no non-empty value for it
  local key=$1 value=$2
  [ -n "$(env_get "$key")" ] && return 1
  if grep -q "^$key=" "$ENV_FILE"; then
    local tmp
    tmp=$(mktemp "$ENV_FILE.XXXXXX")
    awk -v k="$key" -v v="$value" 'BEGIN { done = 0 }
      $0 ~ "^" k "=" && !done { print k "=" v; done = 1; next } { print }' "$ENV_FILE" >"$tmp"
    cat "$tmp" >"$ENV_FILE" && rm -f "$tmp"
  else
    printf '%s=%s\n' "$key" "$value" >>"$ENV_FILE"
  fi
  return 0
}

ensure_env() {
  if [ ! -f "$ENV_FILE" ]; then
    log "creating $ENV_FILE from .env.example"
    (umask 077 && cp .env.example "$ENV_FILE")
  fi
  chmod 600 "$ENV_FILE"
  local key made=()
  for key in "${SECRETS[@]}"; do
    # URL-safe: the passwords go into DATABASE_URL and REDIS_URL unescaped.
    env_set_if_empty "$key" "$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" && made+=("$key")
  done
  env_set_if_empty DOCKER_GID "$(stat -c %g "$(env_get DOCKER_SOCKET || true)" 2>/dev/null \
                                  || stat -c %g /var/run/docker.sock)" && made+=(DOCKER_GID)
  [ ${#made[@]} -eq 0 ] || log "generated into $(basename "$ENV_FILE"): ${made[*]} (existing values kept)"
}

bundle() {
  # Offline lab: no index reachable, but a wheelhouse and a built SPA came with the tree.
  if ! deploy/offline-bundle.sh --wheels-only; then
    [ -n "$(ls wheelhouse/*.whl 2>/dev/null)" ] || die "no wheelhouse/ and pip could not build one"
    log "pip could not refresh wheelhouse/: building with the one present"
  fi
  if command -v npm >/dev/null 2>&1 && deploy/offline-bundle.sh --spa-only; then
    :
  elif [ -f frontend/dist/index.html ]; then
    log "could not build the SPA: using the frontend/dist/ present"
  else
    die "no frontend/dist/ and the SPA could not be built (needs Node 20 and npm)"
  fi
}

wait_healthy() {  # every container of the project healthy, within $1 seconds
  local deadline=$(( $(date +%s) + $1 )) ids id state bad
  while :; do
    ids=$(compose ps -q)
    bad=""
    for id in $ids; do
      state=$(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}healthy{{end}}' "$id")
      case "$state" in *" running healthy") ;; *) bad="$bad ${state#/}," ;; esac
    done
    [ -n "$ids" ] && [ -z "$bad" ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || { log "not healthy:$bad"; return 1; }
    sleep 3
  done
}

http_port() { local p; p=$(env_get HTTP_PORT); echo "${p:-80}"; }

check_admin() {
  local user pass code
  user=$(env_get ADMIN_USERNAME); user=${user:-admin}
  pass=$(env_get ADMIN_PASSWORD)
  code=$(python3 - "$user" "$pass" "$(http_port)" <<'EOF'
import json, sys, urllib.error, urllib.request
user, password, port = sys.argv[1:4]
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/auth/login", method="POST",
                             data=json.dumps({"username": user, "password": password}).encode(),
                             headers={"Content-Type": "application/json"})
try:
    print(urllib.request.urlopen(req, timeout=10).status)
except urllib.error.HTTPError as error:
    print(error.code)
except OSError:
    print(0)
EOF
)
  case "$code" in
    200) log "first admin '$user' logs in through Traefik (password: ADMIN_PASSWORD in $(basename "$ENV_FILE"))" ;;
    401) log "admin '$user' exists with another password than ADMIN_PASSWORD in .env (kept as is)" ;;
    *) log "WARNING: login through Traefik on 127.0.0.1:$(http_port) answered $code" ;;
  esac
}

register_agents() {
  # Both compose agents share this host's Docker engine; each labels its
  # containers with its own AGENT_NODE_ID, so neither touches the other's.
  local n token out cores memory
  for n in 1 2; do
    token=$(env_get "AGENT${n}_TOKEN")
    cores=$(env_get "AGENT${n}_MAX_CPU_CORES" | cut -d. -f1); cores=${cores:-2}
    memory=$(env_get "AGENT${n}_MAX_MEMORY_GB"); memory=${memory:-4}
    if out=$(compose exec -T controller flask --app controller add-agent --name "local-agent${n}" \
               --url "http://agent${n}:5001" --token "$token" --cpu-cores "$cores" --memory-gb "$memory" 2>&1); then
      log "$out"
    elif echo "$out" | grep -qi "taken\|exists"; then
      log "node local-agent${n} is already registered"
    else
      die "registering local-agent${n} failed: $out"
    fi
  done
}

print_urls() {
  local domain https dash
  domain=$(env_get DOMAIN); domain=${domain:-localhost}
  https=$(env_get HTTPS_PORT); https=${https:-443}
  dash=$(env_get TRAEFIK_DASHBOARD_PORT); dash=${dash:-8080}
  cat >&2 <<EOF

  Web UI      http://$domain:$(http_port)/        https://$domain:$https/
  API         http://$domain:$(http_port)/api     docs: /api/docs   health: /api/health
  Traefik     http://127.0.0.1:$dash/dashboard/   (this host only: ssh -L $dash:127.0.0.1:$dash)
  Admin       $(env_get ADMIN_USERNAME || true) / ADMIN_PASSWORD in $ENV_FILE
  Nodes       register them under Nodes, or: ./deploy.sh --register-agents (this host's agent1)
  Logs        ./deploy.sh --logs [service]      Stop: ./deploy.sh --down

EOF
}

up() {
  local register=$1
  prerequisites
  ensure_env
  bundle
  log "building images"
  compose build
  log "starting"
  compose up -d --remove-orphans
  log "waiting for every service to be healthy"
  wait_healthy 300 || { compose ps; die "the stack is not healthy: ./deploy.sh --logs"; }
  check_admin
  [ "$register" = 1 ] && register_agents
  print_urls
}

main() {
  local action=up register=0 volumes=() archive=() service=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --down) action=down ;;
      --volumes) volumes=(--volumes) ;;
      --logs) action=logs; shift; [ $# -gt 0 ] && service=("$1") ;;
      --status) action=status ;;
      --offline-bundle) action=bundle ;;
      --archive) archive=(--archive "$2"); shift ;;
      --register-agents) register=1 ;;
      -h|--help) usage; exit 0 ;;
      *) usage; die "unknown option $1" ;;
    esac
    [ $# -gt 0 ] && shift
  done
  case "$action" in
    up) up "$register" ;;
    bundle) deploy/offline-bundle.sh "${archive[@]}" ;;
    down) find_compose; [ -f "$ENV_FILE" ] || die "no $ENV_FILE"; compose down --remove-orphans "${volumes[@]}" ;;
    logs) find_compose; compose logs -f --tail 100 "${service[@]}" ;;
    status) find_compose; compose ps ;;
  esac
}

main "$@"
