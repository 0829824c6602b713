"""The WSGI entry point for gunicorn: `gunicorn controller.wsgi:app`.

Each worker builds its own app and its own scheduler elector (only one
process in the whole deployment leads). Do not use `--preload`: the
scheduler's threads must start after the fork, in each worker.
"""

from controller.serving import worker_app

app = worker_app()
