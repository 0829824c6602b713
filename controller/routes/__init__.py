"""Thin blueprints: parse with a schema, check the role, call one service, dump.

Every operation's error answers are documented here, generically (see
`Blueprint.error_statuses`), so a new endpoint's spec tells the truth
without extra decorators in the common cases.
"""

from http import HTTPStatus

import flask_smorest
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from controller.security import AUTH_ATTRIBUTE

EXTRA_ERRORS_ATTRIBUTE = "api_extra_errors"
# flask-limiter marks the views its `limit` decorator wraps with this attribute.
RATE_LIMITED_ATTRIBUTE = "__wrapper-limiter-instance"
CHANGING_METHODS = ("post", "put", "patch", "delete")


class StrictParser(FlaskParser):
    """Unknown query parameters are rejected like unknown body fields, so a
    misspelt filter is an error rather than silently ignored."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None,
                                   "querystring": None}


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint that documents, per operation, its security
    (a bearer token when the view is wrapped by `login_required`,
    `admin_required` or `refresh_token_required`, none otherwise) and the
    error statuses it answers, all with the `Error` schema."""

    ARGUMENTS_PARSER = StrictParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_error_doc)

    @staticmethod
    def raises(*statuses: int):
        """Document statuses this operation answers beyond the generic ones
        (e.g. 429 for a rate-limited route, 401 for a login). Put it right
        under `@blp.route`."""

        def decorator(view):
            setattr(view, EXTRA_ERRORS_ATTRIBUTE,
                    tuple(getattr(view, EXTRA_ERRORS_ATTRIBUTE, ())) + tuple(statuses))
            return view

        return decorator

    @staticmethod
    def error_statuses(method: str, rule: str, auth: str | None, has_arguments: bool, has_body: bool,
                       extra: tuple[int, ...]) -> set[int]:
        """The error statuses an operation can answer:
        503 always (the database is down); 401 with a token, and 403 for
        admins only; 404 with a path parameter; 422 with arguments; 400
        (malformed JSON) and 413 (too large) with a body; 409 for a change
        (a conflict, a move the workflow refuses, a busy lock); and `extra`
        (429 is added there for a view wrapped by `limiter.limit`)."""
        statuses = {503, *extra}
        if auth:
            statuses.add(401)
        if auth == "admin":
            statuses.add(403)
        if "<" in rule:
            statuses.add(404)
        if has_arguments:
            statuses.add(422)
        if has_body:
            statuses.update((400, 413))
        if method in CHANGING_METHODS:
            statuses.add(409)
        return statuses

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **kwargs):
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **kwargs)
        for method, doc in self._docs[self._endpoints[-1]].items():
            if method != "parameters":
                extra = tuple(getattr(view_func, EXTRA_ERRORS_ATTRIBUTE, ()))
                if getattr(view_func, RATE_LIMITED_ATTRIBUTE, None) is not None:
                    extra += (429,)
                doc["errors"] = {"rule": rule, "auth": getattr(view_func, AUTH_ATTRIBUTE, None),
                                 "extra": extra}

    @classmethod
    def _prepare_error_doc(cls, doc, doc_info, *, method, **kwargs):
        info = doc_info.get("errors")
        if info is None:
            return doc
        statuses = cls.error_statuses(method, info["rule"], info["auth"], "arguments" in doc_info,
                                      "requestBody" in doc, info["extra"])
        responses = doc.setdefault("responses", {})
        for status in sorted(statuses):
            responses.setdefault(str(status), HTTPStatus(status).name)
        doc["security"] = [{"bearerAuth": []}] if info["auth"] else []
        return doc


class RowIdConverter(IntegerConverter):
    """`<int:...>` in the routes: a row id, which the database keeps in 32
    bits. A larger number names no row, so the route answers 404 without
    asking the database (which would refuse the number)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)
