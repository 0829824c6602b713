"""The WSGI entry point for gunicorn: `gunicorn controller.wsgi:app`.

Each worker builds its own app and its own scheduler elector (only one
process in the whole deployment leads). Do not use `--preload`: the
scheduler's threads must start after the fork, in each worker.
"""

from controller import create_app
from controller.utils.scheduler import start_scheduler

app = create_app()
start_scheduler(app)
