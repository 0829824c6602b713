"""Structured logs: one JSON object per line, each carrying the request id.

A request id arrives in `X-Request-ID` (from Traefik or a client) or is made
here; it is echoed back in the response and attached to every log line
written while the request runs.
"""

import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# Paths that carry a secret (a calendar feed's token): logged with it masked.
SECRET_PATHS = re.compile(r"^(/api/calendar/)[^/]+")


def loggable_path(path: str) -> str:
    """The request path with any secret in it replaced by `***`."""
    return SECRET_PATHS.sub(r"\1***", path)
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, as_json: bool) -> None:
    root = logging.getLogger()
    if getattr(root, "_booking_configured", False):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # APScheduler logs every run of the one-second tick at INFO.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    root._booking_configured = True


def init_request_logging(app: Flask) -> None:
    log = logging.getLogger("controller.request")

    @app.before_request
    def start_timer():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response):
        # Another before_request (the rate limiter) may have answered first.
        if "request_id" not in g:
            g.request_id = uuid.uuid4().hex
        started = g.get("started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        response.headers[REQUEST_ID_HEADER] = g.request_id
        if request.path.startswith("/api"):
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": loggable_path(request.path),
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
        return response
