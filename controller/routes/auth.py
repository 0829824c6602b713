"""Accounts and tokens: register, login, refresh, logout, me."""

from flask import current_app, request
from flask_jwt_extended import current_user, decode_token, get_jwt
from flask_limiter.util import get_remote_address
from jwt.exceptions import PyJWTError

from controller.errors import ValidationFailed
from controller.extensions import limiter
from controller.routes import Blueprint
from controller.schemas import (
    AccessTokenSchema,
    LoginSchema,
    LogoutSchema,
    MessageSchema,
    RegisterSchema,
    TokenPairSchema,
    UserSchema,
)
from controller.security import (
    clear_proxy_cookie,
    issue_tokens,
    login_required,
    refresh_token_required,
    set_proxy_cookie,
)
from controller.services import accounts, tokens

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Accounts and tokens")


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def register_rate_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def username_key() -> str:
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return f"username:{str(username or '').strip().lower()[:64]}"


@blp.route("/register", methods=["POST"])
@blp.raises(429)
@limiter.limit(register_rate_limit, key_func=get_remote_address, scope="register-ip")
@blp.arguments(RegisterSchema)
@blp.response(201, TokenPairSchema)
def register(args):
    """Register a student account and log it in. Rate-limited per IP."""
    user = accounts.register_student(args["username"], args["email"], args["password"])
    return issue_tokens(user, with_proxy_cookie=True)


@blp.route("/login", methods=["POST"])
@blp.raises(401, 429)
@limiter.limit(login_rate_limit, key_func=get_remote_address, scope="login-ip")
@limiter.limit(login_rate_limit, key_func=username_key, scope="login-username")
@blp.arguments(LoginSchema)
@blp.response(200, TokenPairSchema)
def login(args):
    """Log in: an access and a refresh token. Rate-limited per IP and per username."""
    user = accounts.authenticate(args["username"], args["password"])
    return issue_tokens(user, with_proxy_cookie=True)


@blp.route("/refresh", methods=["POST"])
@refresh_token_required
@blp.response(200, AccessTokenSchema)
def refresh():
    """A new access token, given a refresh token as the bearer (the session
    cookie is renewed with it)."""
    set_proxy_cookie(current_user, get_jwt()["jti"])
    return {"access_token": issue_tokens(current_user)["access_token"]}


@blp.route("/logout", methods=["POST"])
@login_required
@blp.arguments(LogoutSchema)
@blp.response(200, MessageSchema)
def logout(args):
    """Revoke this access token, and the refresh token when given."""
    refresh_claims = None
    if args["refresh_token"]:
        try:
            refresh_claims = decode_token(args["refresh_token"], allow_expired=True)
        except PyJWTError as exc:
            raise ValidationFailed("The refresh token is invalid.",
                                   {"refresh_token": ["Invalid token."]}) from exc
        if refresh_claims.get("sub") != str(current_user.id) or refresh_claims.get("type") != "refresh":
            raise ValidationFailed("That is not your refresh token.",
                                   {"refresh_token": ["Invalid token."]})
    access = get_jwt()
    tokens.revoke(access["jti"], access["exp"])
    if refresh_claims:
        tokens.revoke(refresh_claims["jti"], refresh_claims["exp"])
    clear_proxy_cookie()
    return {"message": "Logged out."}


@blp.route("/me", methods=["GET"])
@login_required
@blp.response(200, UserSchema)
def me():
    """The logged-in user."""
    return current_user
