"""One error hierarchy and the JSON error handlers.

Every error leaves the API as `{"error": code, "message": text, "details": {}}`.
Services raise the `AppError` subclasses; HTTP errors raised by Flask, webargs
or the extensions are reshaped here; anything unexpected is logged with its
traceback and answered with a bare 500 that leaks nothing.
"""

import json
import logging

import marshmallow as ma
from flask import jsonify
from flask_smorest import Api
from sqlalchemy.exc import DataError, DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict | None = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class ValidationFailed(AppError):
    status = 422
    code = "validation_error"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class CapacityExceeded(Conflict):
    code = "capacity_exceeded"


class Busy(Conflict):
    """A lock could not be taken in time or a serialisation failure: retryable."""

    code = "busy"


class PolicyLimit(Conflict):
    """A request the user's policy does not allow (services/policies.py);
    details name the rule, the limit, what is used and what was needed."""

    code = "policy_limit"


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    431: "request_header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
}

# What the API accepts of a request's head. gunicorn refuses more itself
# (in JSON too: controller/serving.py); RequestLimits answers the same under
# any server that lets such a request through.
MAX_URI_BYTES = 8 * 1024
MAX_HEADER_BYTES = 8 * 1024
MAX_HEADERS_TOTAL_BYTES = 32 * 1024


def json_error_bytes(code: str, message: str, details: dict | None = None) -> bytes:
    """The error shape as bytes, for answers made outside a Flask request."""
    return json.dumps({"error": code, "message": message, "details": details or {}}).encode()


class RequestLimits:
    """WSGI middleware: a request whose URI or headers exceed the limits
    above gets 414 or 431 in the JSON error shape, before Flask parses it."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    @staticmethod
    def refusal(environ) -> tuple[int, str, str] | None:
        uri = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
        if uri > MAX_URI_BYTES:
            return 414, "URI Too Long", f"The URI is longer than {MAX_URI_BYTES} bytes."
        sizes = [len(name) - 5 + len(str(value))
                 for name, value in environ.items() if name.startswith("HTTP_")]
        if sizes and (max(sizes) > MAX_HEADER_BYTES or sum(sizes) > MAX_HEADERS_TOTAL_BYTES):
            return 431, "Request Header Fields Too Large", (
                f"A header is longer than {MAX_HEADER_BYTES} bytes, or all of them than "
                f"{MAX_HEADERS_TOTAL_BYTES}.")
        return None

    def __call__(self, environ, start_response):
        refused = self.refusal(environ)
        if refused is None:
            return self.wsgi_app(environ, start_response)
        status, reason, message = refused
        body = json_error_bytes(HTTP_CODES[status], message)
        start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                              ("Content-Length", str(len(body))),
                                              ("X-Content-Type-Options", "nosniff")])
        return [body]


def error_response(status: int, code: str, message: str, details: dict | None = None, headers=None):
    response = jsonify({"error": code, "message": message, "details": details or {}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_field_errors(messages) -> dict:
    """webargs reports errors per location (`{"json": {...}}`); clients want
    the fields. Locations are merged; a non-dict message becomes `_schema`."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    fields: dict = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            fields.update(location_errors)
        else:
            fields.setdefault("_schema", []).extend(
                location_errors if isinstance(location_errors, list) else [str(location_errors)]
            )
    return fields


class ErrorSchema(ma.Schema):
    """The body of every error response (documentation only: see `error_response`)."""

    class Meta:
        unknown = ma.RAISE  # documented with additionalProperties: false

    error = ma.fields.String(required=True, metadata={"description": "A stable code, e.g. capacity_exceeded"})
    message = ma.fields.String(required=True, metadata={"description": "A sentence for a person"})
    details = ma.fields.Dict(required=True,
                             metadata={"description": "Per-field messages or facts; may be {}"})


class ApiWithJsonErrors(Api):
    """flask-smorest's Api answering HTTP errors in the project's error shape,
    and documenting that shape. No catch-all `default` response: each
    operation lists the statuses it answers (see `controller.routes.Blueprint`)."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        status = error.code or 500
        code = HTTP_CODES.get(status, "error")
        message = data.get("message") or error.description or error.name
        details: dict = {}
        messages = data.get("errors") or data.get("messages")
        if messages:
            details = flatten_field_errors(messages)
            if status == 422:
                message = "The request has invalid fields."
            elif status == 400 and details.get("_schema"):
                message = "; ".join(str(m) for m in details["_schema"])
        headers = dict(data.get("headers") or {})
        if status == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        if status == 429:
            code, message = "rate_limited", f"Too many requests: {error.description}"
        if status >= 500:
            message = "Internal server error."
        return error_response(status, code, message, details, headers)


def register_error_handlers(app) -> None:
    db = app.extensions["sqlalchemy"]  # bound by create_app before this runs

    @app.errorhandler(AppError)
    def handle_app_error(error: AppError):
        return error_response(error.status, error.code, error.message, error.details)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DisconnectionError)
    def handle_database_down(error: Exception):
        db.session.rollback()
        log.error("database unavailable", exc_info=error)
        return error_response(503, "service_unavailable", "The database is unavailable; try again shortly.",
                              headers={"Retry-After": "5"})

    @app.errorhandler(DataError)
    def handle_value_out_of_range(error: DataError):
        """A number or time beyond what its column holds (a 32-bit id, say):
        the database refuses it, the transaction is rolled back, and the
        caller is told. Any other data error is the server's own (500)."""
        db.session.rollback()
        if getattr(error.orig, "sqlstate", None) not in OUT_OF_RANGE_SQLSTATES:
            return handle_unexpected(error)
        return error_response(422, "validation_error", "A value in the request is out of range.",
                              {"_schema": ["A number or time is larger or smaller than the lab keeps."]})

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        db.session.rollback()  # the request's transaction may be aborted; leave the session usable
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Internal server error.")


# numeric_value_out_of_range, datetime_field_overflow
OUT_OF_RANGE_SQLSTATES = {"22003", "22008"}
