"""Authentication wiring: JWT callbacks in the project's error shape, and the
decorators routes use to require a login or a role."""

from functools import wraps

from flask import after_this_request, current_app, request
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    current_user,
    decode_token,
    jwt_required,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer

from controller.errors import Forbidden, error_response
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


def init_jwt_callbacks() -> None:
    @jwt.user_lookup_loader
    def load_user(_header, payload):
        try:
            user = db.session.get(User, int(payload["sub"]))
        except (TypeError, ValueError):
            return None
        return user if user is not None and user.is_active else None

    @jwt.user_lookup_error_loader
    def user_gone(_header, _payload):
        return error_response(401, "account_disabled", "This account is disabled or no longer exists.")

    @jwt.token_in_blocklist_loader
    def check_revoked(_header, payload):
        return tokens.is_revoked(payload["jti"]) or accounts.token_is_stale(payload)

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
    """Headers every response carries: no MIME sniffing, no framing, no referrer."""

    @app.after_request
    def add_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
