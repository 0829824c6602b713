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

import gc
import multiprocessing
import sys
import time

import gunicorn.util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

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
# Workers that share the listening socket's connections evenly (below).
worker_class = "controller.serving.BalancedThreadWorker"

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


# How long a worker thread may hold the GIL while another waits for it
# (CPython's default is 5 ms). A request thread whose Postgres or Redis answer
# has arrived waits up to this long for a thread busy in Python, on each of a
# request's round trips; at 1 ms the booking rush ran 13-23 % more bookings/s
# and the authenticated GET 24-49 % more, in the same runs (bench/rush.py).
GIL_SWITCH_INTERVAL = 0.001


def worker_app():
    """The app a gunicorn worker serves: built after the fork, with its
    scheduler elector started. What exists then lives as long as the worker,
    so it is frozen out of the garbage collector's sweeps: a full collection
    over it took ~60 ms, a pause for every request the worker holds."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    app = create_app()
    start_scheduler(app)
    gc.freeze()
    return app


# Client connections held by all the workers of this gunicorn master: made
# when the master imports this module (`-c python:controller.serving`) and
# shared by the workers it forks.
OPEN_CONNECTIONS = multiprocessing.Value("i", 0)


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker that keeps the client connections evenly
    shared between the workers. The workers accept from one listening
    socket, and the stock worker accepts whenever it wakes, so under a burst
    of new keep-alive connections one of two workers may take 43 and the
    other 21; every request on the busier worker then waits about twice as
    long (the booking rush's p99 was twice its p50, and 1.4x once the split
    was even). This worker stops accepting while it holds more than its
    fair share (the shared count over the workers, plus one), so the other
    takes the next connection. If no other worker takes it within
    ACCEPT_GRACE (one stuck, or gone with its count), it accepts anyway.
    Keep-alive, timeouts and stopping are gthread's own."""

    ACCEPT_GRACE = 0.05

    def __init__(self, *args, **kwargs):
        self._held = 0
        self.closed_since = 0.0
        super().__init__(*args, **kwargs)

    @property
    def nr_conns(self) -> int:
        return self._held

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        """gthread counts its connections here (accept, close, timeouts),
        always in the worker's main thread: the shared count follows, and an
        open gate closes as soon as this worker holds more than its share."""
        with OPEN_CONNECTIONS.get_lock():
            OPEN_CONNECTIONS.value += value - self._held
        self._held = value
        if getattr(self, "_accepting", False):
            self.set_accept_enabled(True)

    def fair_share(self) -> float:
        return OPEN_CONNECTIONS.value / max(1, self.cfg.workers) + 1

    def set_accept_enabled(self, enabled):
        if enabled and self.nr_conns >= self.fair_share():
            now = time.monotonic()
            if self._accepting:
                self.closed_since, enabled = now, False
            else:
                enabled = now - self.closed_since >= self.ACCEPT_GRACE
        super().set_accept_enabled(enabled and self.nr_conns < self.worker_connections)


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
        return worker_app()
