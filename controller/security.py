"""Authentication wiring: JWT callbacks in the project's error shape, and the
decorators routes use to require a login or a role."""

import json
from functools import wraps

from flask import after_this_request, current_app, has_request_context, request
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    current_user,
    decode_token,
    jwt_required,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer

from controller.errors import AppError, Forbidden, ValidationFailed, error_response
from controller.extensions import db, jwt
from controller.models import Role, User
from controller.services import accounts, tokens


def issue_tokens(user: User, *, with_proxy_cookie: bool = False) -> dict:
    """An access and a refresh token; with `with_proxy_cookie`, the response
    also gives the browser the session cookie (see PROXY_COOKIE)."""
    claims = {"role": user.role, "tv": user.token_version or 0}
    refresh_token = create_refresh_token(identity=str(user.id), additional_claims=claims)
    if with_proxy_cookie:
        set_proxy_cookie(user, decode_token(refresh_token)["jti"])
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": refresh_token,
        "user": user,
    }


# The cookie that tells the session proxy who a browser belongs to. The web
# UI keeps its tokens in localStorage, which a plain navigation to
# /sessions/<id>/ does not send; this HttpOnly cookie, limited to that path
# and tied to the refresh token (revoked at logout), does.
PROXY_COOKIE = "lab_session_user"
PROXY_COOKIE_PATH = "/sessions/"


def _proxy_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["JWT_SECRET_KEY"], salt="session-proxy")


def set_proxy_cookie(user: User, refresh_jti: str) -> None:
    """Have this request's response give the browser the session cookie,
    valid while the refresh token `refresh_jti` is."""
    value = _proxy_signer().dumps({"uid": user.id, "jti": refresh_jti, "tv": user.token_version or 0})
    max_age = int(current_app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds())

    @after_this_request
    def _set(response):
        response.set_cookie(PROXY_COOKIE, value, max_age=max_age, path=PROXY_COOKIE_PATH, httponly=True,
                            samesite="Lax", secure=request.is_secure)
        return response


def clear_proxy_cookie() -> None:
    @after_this_request
    def _clear(response):
        response.delete_cookie(PROXY_COOKIE, path=PROXY_COOKIE_PATH, httponly=True, samesite="Lax",
                               secure=request.is_secure)
        return response


def proxy_cookie_user() -> User | None:
    """The active user whose valid, unrevoked session cookie this request
    carries, or None."""
    value = request.cookies.get(PROXY_COOKIE)
    if not value:
        return None
    max_age = int(current_app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds())
    try:
        claims = _proxy_signer().loads(value, max_age=max_age)
        user_id, jti = int(claims["uid"]), str(claims["jti"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if tokens.is_revoked(jti):
        return None
    user = db.session.get(User, user_id)
    if user is not None and int(claims.get("tv", 0) or 0) != (user.token_version or 0):
        return None  # the password changed since
    return user if user is not None and user.is_active else None


# Which credential a view needs, read by `controller.routes.Blueprint` to
# document the operation's security and its 401/403 answers.
AUTH_ATTRIBUTE = "api_auth"


def _mark(view, auth: str):
    setattr(view, AUTH_ATTRIBUTE, auth)
    return view


def login_required(fn):
    """Any active, logged-in user (an access token)."""
    return _mark(jwt_required()(fn), "user")


def refresh_token_required(fn):
    """A valid refresh token as the bearer."""
    return _mark(jwt_required(refresh=True)(fn), "refresh")


def admin_required(fn):
    """An active admin; a student gets 403."""

    @wraps(fn)
    @jwt_required()
    def wrapper(*args, **kwargs):
        if current_user.role != Role.ADMIN:
            raise Forbidden("Admins only.")
        return fn(*args, **kwargs)

    return _mark(wrapper, "admin")


TOKEN_USER_KEY = "controller.token_user"  # in the request's WSGI environ: this request only


def _token_user(payload: dict) -> User | None:
    """The user the token names, read once per request: the blocklist check
    (its token version) and the user lookup share the one row."""
    if not has_request_context():
        return accounts.token_user(payload)
    cached = request.environ.get(TOKEN_USER_KEY)
    if cached is None or cached[0] != payload.get("jti"):
        cached = request.environ[TOKEN_USER_KEY] = (payload.get("jti"), accounts.token_user(payload))
    return cached[1]


def init_jwt_callbacks() -> None:
    @jwt.user_lookup_loader
    def load_user(_header, payload):
        user = _token_user(payload)
        return user if user is not None and user.is_active else None

    @jwt.user_lookup_error_loader
    def user_gone(_header, _payload):
        return error_response(401, "account_disabled", "This account is disabled or no longer exists.")

    @jwt.token_in_blocklist_loader
    def check_revoked(_header, payload):
        return tokens.is_revoked(payload["jti"]) or accounts.token_is_stale(payload, _token_user(payload))

    @jwt.revoked_token_loader
    def revoked(_header, _payload):
        return error_response(401, "token_revoked", "This token has been revoked; log in again.")

    @jwt.expired_token_loader
    def expired(_header, _payload):
        return error_response(401, "token_expired", "The token has expired.")

    @jwt.invalid_token_loader
    def invalid(reason):
        return error_response(401, "invalid_token", f"The token is invalid: {reason}")

    @jwt.unauthorized_loader
    def missing(reason):
        return error_response(401, "unauthorized", f"Authentication required: {reason}")

    @jwt.needs_fresh_token_loader
    def needs_fresh(_header, _payload):
        return error_response(401, "fresh_token_required", "Log in again to do this.")

    @jwt.token_verification_failed_loader
    def verification_failed(_header, _payload):
        return error_response(401, "invalid_token", "The token could not be verified.")


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def init_security_headers(app) -> None:
    """Headers every response carries: no MIME sniffing, no framing, no
    referrer; and no caching of any JSON answer, since those carry tokens,
    session secrets or someone's own data."""

    @app.after_request
    def add_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


# Deeper than any payload of the API nests (a list in a body is two levels).
MAX_JSON_DEPTH = 32
NUL_MESSAGE = "Must not contain NUL characters."
SURROGATE_MESSAGE = "Must be valid Unicode (a lone surrogate is not)."


def string_problem(text: str) -> str | None:
    """Why the database cannot store `text` (a NUL, or a lone surrogate that
    has no UTF-8 form), or None."""
    if "\x00" in text:
        return NUL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def json_problems(body) -> dict:
    """Per top-level field, the strings (keys included) in a parsed JSON body
    that no column could store. Raises AppError (400) for a body nested deeper
    than MAX_JSON_DEPTH. Walks without recursion."""
    problems: dict = {}
    stack = [(body, "_schema", 1)]
    while stack:
        value, field, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise AppError(f"The JSON body is nested too deeply (more than {MAX_JSON_DEPTH} levels).")
        if isinstance(value, str):
            items = [(None, value)]
        elif isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list):
            items = [(None, item) for item in value]
        else:
            continue
        for key, item in items:
            top_level_name = depth == 1 and isinstance(body, dict) and not string_problem(key)
            here = key if top_level_name else field
            for text in (key, item):
                message = string_problem(text) if isinstance(text, str) else None
                if message and message not in problems.get(here, []):
                    problems.setdefault(here, []).append(message)
            if isinstance(item, dict | list):
                stack.append((item, here, depth + 1))
    return problems


def init_request_guard(app) -> None:
    """Refuse, before any route, limiter or schema reads it, input that would
    otherwise surface as a 500: a JSON body nested deeper than the parser's
    recursion allows (400), and NUL characters or lone surrogates in a query
    parameter or anywhere in a JSON body (422). Nothing has changed when
    these answer."""

    def guard():
        problems: dict = {}
        for name, values in request.args.lists():
            field = "_schema" if string_problem(name) else name
            for text in (name, *values):
                message = string_problem(text)
                if message and message not in problems.get(field, []):
                    problems.setdefault(field, []).append(message)
        if request.is_json:
            try:
                body = json.loads(request.get_data(cache=True))
            except RecursionError:
                raise AppError("The JSON body is nested too deeply to read.") from None
            except ValueError:
                body = None  # malformed: the argument parser answers 400 for it
            problems.update(json_problems(body))
        if problems:
            raise ValidationFailed("The request has invalid fields.", problems)

    # First of all before-request functions: the rate limiter's key reads the body.
    app.before_request_funcs.setdefault(None, []).insert(0, guard)
