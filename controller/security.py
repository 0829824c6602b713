"""Authentication wiring: JWT callbacks in the project's error shape, and the
decorators routes use to require a login or a role."""

from functools import wraps

from flask_jwt_extended import create_access_token, create_refresh_token, current_user, jwt_required

from controller.errors import Forbidden, error_response
from controller.extensions import db, jwt
from controller.models import Role, User
from controller.services import tokens


def issue_tokens(user: User) -> dict:
    claims = {"role": user.role}
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(identity=str(user.id), additional_claims=claims),
        "user": user,
    }


def login_required(fn):
    """Any active, logged-in user."""
    return jwt_required()(fn)


def admin_required(fn):
    """An active admin; a student gets 403."""

    @wraps(fn)
    @jwt_required()
    def wrapper(*args, **kwargs):
        if current_user.role != Role.ADMIN:
            raise Forbidden("Admins only.")
        return fn(*args, **kwargs)

    return wrapper


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
        return tokens.is_revoked(payload["jti"])

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
