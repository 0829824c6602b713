#!/bin/sh
# Controller container entrypoint: before gunicorn forks any worker, apply the
# Alembic migrations and create the first admin when the lab has none (once,
# in this one process; never gunicorn --preload). Any other command (flask ...,
# python ..., sh) runs as given.
set -eu
if [ "${1:-}" = gunicorn ] && [ "${MIGRATE_ON_START:-true}" = true ]; then
  SCHEDULER_ENABLED=false python3 -c 'from controller import create_app; from controller.app import prepare; prepare(create_app())'
fi
exec "$@"
