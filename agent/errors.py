"""One error hierarchy for the agent and the JSON error handlers.

Every error leaves the agent as
`{"error": "<code>", "message": "<text>", "details": {...}}` with the status
of its class. Docker's own exceptions never reach a route: `agent.runtime`
translates them into the domain errors below.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AgentError(Exception):
    status = 500
    code = "internal_error"
    # True when repeating the same request cannot succeed (the controller
    # then fails the booking at once instead of retrying).
    permanent = False

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidRequest(AgentError):
    """The body is not a JSON object (400)."""

    status = 400
    code = "invalid_request"
    permanent = True


class ValidationFailed(AgentError):
    """The body is JSON but its fields are wrong; details hold per-field messages (422)."""

    status = 422
    code = "validation_error"
    permanent = True


class Unauthorized(AgentError):
    status = 401
    code = "unauthorized"


class ImageNotAllowed(AgentError):
    """The image matches no pattern of AGENT_IMAGE_ALLOWLIST (403)."""

    status = 403
    code = "image_not_allowed"
    permanent = True


class NotManaged(AgentError):
    """The container exists but the agent did not create it; it is left alone (403)."""

    status = 403
    code = "not_managed"


class ImageNotPresent(AgentError):
    """The image is allowed but not on this node; the agent never pulls (422)."""

    status = 422
    code = "image_not_present"
    permanent = True


class NameConflict(AgentError):
    """A container that the agent does not manage already holds the booking's name (409)."""

    status = 409
    code = "name_conflict"


class BookingConflict(AgentError):
    """The booking's container exists with a different image or limits (409)."""

    status = 409
    code = "booking_conflict"


class NoGpus(AgentError):
    """GPUs were asked for on a node that has none (409)."""

    status = 409
    code = "no_gpus"
    permanent = True


class GpusUnavailable(AgentError):
    """Not enough free GPUs: every GPU belongs to at most one booking (409)."""

    status = 409
    code = "gpus_unavailable"


class NoFreePort(AgentError):
    """Every host port of AGENT_PORT_RANGE is taken (409)."""

    status = 409
    code = "no_free_port"


class ContainerGone(AgentError):
    """Docker answered 404: the object does not exist (any more)."""

    status = 404
    code = "not_found"


class DockerConflict(AgentError):
    """Docker answered 409: the object is already in (or moving to) that state."""

    status = 409
    code = "conflict"


class DockerRejected(AgentError):
    """Docker refused the request for a reason other than 404/409 (422)."""

    status = 422
    code = "docker_rejected"
    permanent = True


class DockerUnavailable(AgentError):
    """The Docker engine cannot be reached or failed (503)."""

    status = 503
    code = "docker_unavailable"


def _subclasses(cls) -> list[type]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))]


def field_errors(messages) -> dict:
    """Validation details in the controller's shape: `{field: [message, ...]}`
    (a message that is not per field goes under `_schema`)."""
    if isinstance(messages, dict):
        return {field: errors if isinstance(errors, list | dict) else [str(errors)]
                for field, errors in messages.items()}
    return {"_schema": messages if isinstance(messages, list) else [str(messages)]}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": code, "message": message, "details": details or {}}


def register_error_handlers(app: Flask) -> None:
    """Answer every error, HTTP or unexpected, in the one JSON shape."""

    @app.errorhandler(AgentError)
    def _agent_error(exc: AgentError):
        response = jsonify(error_body(exc.code, exc.message, exc.details))
        response.status_code = exc.status
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="lab-agent"'
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        response = jsonify(error_body(code, exc.description or exc.name or "error"))
        response.status_code = exc.code or 500
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error")
        response = jsonify(error_body("internal_error", "The agent hit an unexpected error."))
        response.status_code = 500
        return response


# The codes of every error a retry cannot fix (the controller keeps the same
# set; tests/test_contract.py holds them together).
PERMANENT_ERROR_CODES = frozenset(cls.code for cls in _subclasses(AgentError) if cls.permanent)
