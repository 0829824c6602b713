"""Accounts and tokens: register, login, refresh, logout, me, passwords."""

import hashlib

from flask import current_app, request
from flask_jwt_extended import current_user, decode_token, get_jwt
from flask_limiter.util import get_remote_address
from jwt.exceptions import PyJWTError

from controller.errors import ValidationFailed
from controller.extensions import limiter
from controller.routes import Blueprint
from controller.schemas import (
    AccessTokenSchema,
    ChangePasswordSchema,
    ForgotPasswordSchema,
    LoginSchema,
    LogoutSchema,
    MessageSchema,
    RegisterSchema,
    ResetPasswordSchema,
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


def login_username_limit() -> str:
    return current_app.config["LOGIN_USERNAME_RATE_LIMIT"]


def login_ip_limit() -> str:
    return current_app.config["LOGIN_IP_RATE_LIMIT"]


def forgot_rate_limit() -> str:
    return current_app.config["FORGOT_RATE_LIMIT"]


def ip_username_key() -> str:
    return f"{get_remote_address()}|{username_key()}"


def email_key() -> str:
    """The address asked about, hashed (the limiter logs its keys)."""
    body = request.get_json(silent=True)
    email = str(body.get("email") or "") if isinstance(body, dict) else ""
    return "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def failed(response) -> bool:
    """Only wrong credentials count against a login limit, not successes."""
    return response.status_code in (401, 422)


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
@limiter.limit(login_ip_limit, key_func=get_remote_address, scope="login-ip")
@limiter.limit(login_rate_limit, key_func=ip_username_key, scope="login-ip-username", deduct_when=failed)
@limiter.limit(login_username_limit, key_func=username_key, scope="login-username", deduct_when=failed)
@blp.arguments(LoginSchema)
@blp.response(200, TokenPairSchema)
def login(args):
    """Log in: an access and a refresh token. Failures are limited per username and
    per IP and username; all attempts from one IP only by a generous ceiling (429
    with Retry-After)."""
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


@blp.route("/password", methods=["POST"])
@blp.raises(429)
@login_required
@limiter.limit(login_rate_limit, key_func=ip_username_key, scope="password-change", deduct_when=failed)
@blp.arguments(ChangePasswordSchema)
@blp.response(200, TokenPairSchema)
def change_password(args):
    """Change one's own password (the current one is needed); every other
    session of the user ends, and this one gets new tokens."""
    user = accounts.change_password(current_user, args["current_password"], args["new_password"])
    return issue_tokens(user, with_proxy_cookie=True)


@blp.route("/forgot-password", methods=["POST"])
@blp.raises(429)
@limiter.limit(forgot_rate_limit, key_func=get_remote_address, scope="forgot-ip")
@limiter.limit(forgot_rate_limit, key_func=email_key, scope="forgot-email")
@blp.arguments(ForgotPasswordSchema)
@blp.response(202, MessageSchema)
def forgot_password(args):
    """Mail a single-use, expiring reset link; the answer is the same whether
    or not the address has an account. Rate-limited per IP and per address."""
    accounts.request_password_reset(args["email"])
    return {"message": "If that address belongs to an account, a link to reset its password is on its way."}


@blp.route("/reset-password", methods=["POST"])
@blp.raises(429)
@limiter.limit(login_rate_limit, key_func=get_remote_address, scope="reset-ip")
@blp.arguments(ResetPasswordSchema)
@blp.response(200, MessageSchema)
def reset_password(args):
    """Set a new password with a reset link's token (refused when used, expired or tampered with)."""
    accounts.reset_password(args["token"], args["new_password"])
    return {"message": "Your password is changed; log in with it."}


@blp.route("/me", methods=["GET"])
@login_required
@blp.response(200, UserSchema)
def me():
    """The logged-in user."""
    return current_user
