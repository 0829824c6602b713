"""Serving the controller with gunicorn, the same way everywhere.

`python -m controller.app` (the embedded default, `make run`) runs
`EmbeddedServer`: one gunicorn worker with threads, which starts the
scheduler after the fork. The compose image runs
`gunicorn -c python:controller.serving controller.wsgi:app`, which reads the
settings below.

gunicorn refuses a long request line (414), a long header (431) or a
malformed request (400) itself, in HTML: here `write_json_error` writes those
answers in the API's JSON error shape instead. Its limits stay bounded (a
request line up to 8190 bytes, gunicorn's maximum; 0 would mean no limit at
all), matching the app's own `RequestLimits`, which gives the same answers
under any other server. The `Server` header says `gunicorn`, with no version.
"""

from __future__ import annotations

import gunicorn.util
from gunicorn.app.base import BaseApplication

from controller import create_app
from controller.errors import HTTP_CODES, json_error_bytes
from controller.utils.scheduler import start_scheduler

# gunicorn settings, read by `gunicorn -c python:controller.serving`.
limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 100
# No control socket: gunicorn 27 opens one at a fixed per-user path
# ($HOME/.gunicorn/gunicorn.ctl) by default, so every instance on a machine
# would share it, and anything that can reach it can stop or reshape the server.
control_socket_disable = True

SETTINGS = {"limit_request_line": limit_request_line, "limit_request_field_size": limit_request_field_size,
            "limit_request_fields": limit_request_fields, "control_socket_disable": control_socket_disable}


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error answer (`gunicorn.util.write_error`), in the API's
    JSON error shape. Says nothing of the request it refused."""
    body = json_error_bytes(HTTP_CODES.get(status_int, "bad_request"), f"{reason}.")
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    gunicorn.util.write_nonblock(sock, head.encode("latin1") + body)


gunicorn.util.write_error = write_json_error


class EmbeddedServer(BaseApplication):
    """gunicorn run from Python with `options` (gunicorn setting names) on
    top of SETTINGS; each worker builds its app and starts its scheduler
    elector after the fork (never preload)."""

    def __init__(self, options: dict):
        self.options = {**SETTINGS, **options, "preload_app": False}
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        app = create_app()
        start_scheduler(app)
        return app
