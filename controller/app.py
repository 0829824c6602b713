"""`python -m controller.app`: apply pending migrations, make sure an admin
exists, start a local node agent when Docker answers, then serve on HOST:PORT
(127.0.0.1:8000 by default) with gunicorn (one worker, WEB_THREADS threads),
whose worker runs the scheduler (controller/serving.py)."""

import os
import signal
import sys

from flask_migrate import upgrade

from controller import create_app, local_agent
from controller.config import ConfigError
from controller.extensions import db
from controller.services import accounts
from controller.serving import EmbeddedServer


def prepare(app) -> None:
    """Bring the database schema up to date and create the first admin if the
    lab has none, printing a generated password once."""
    with app.app_context():
        upgrade()
        generated = accounts.ensure_first_admin(
            app.config["ADMIN_USERNAME"], app.config["ADMIN_EMAIL"], app.config["ADMIN_PASSWORD"]
        )
        db.session.remove()
    if generated:
        print(
            f"\n  First admin created: username '{app.config['ADMIN_USERNAME']}', "
            f"password '{generated}'\n  (shown once; set ADMIN_PASSWORD to choose it)\n",
            flush=True,
        )


def main() -> None:
    # SIGTERM exits like Ctrl-C, so atexit stops the local agent.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        app = create_app()
    except ConfigError as exc:
        sys.exit(f"controller: configuration error: {exc}")
    prepare(app)
    local_agent.start(app)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    threads = int(os.environ.get("WEB_THREADS", "8"))
    print(f"  Controller on http://{host}:{port}  (API docs: /api/docs; gunicorn, {threads} threads)",
          flush=True)
    EmbeddedServer({"bind": f"{host}:{port}", "workers": 1, "worker_class": "gthread", "threads": threads,
                    "timeout": 60, "graceful_timeout": 10}).run()


if __name__ == "__main__":
    main()
