"""Extensions, created unbound and wired to an app in `create_app`."""

import time
from functools import lru_cache

from flask import current_app
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from controller.errors import ApiWithJsonErrors


class Base(DeclarativeBase):
    pass


class VerifiedClaimsJWTManager(JWTManager):
    """flask-jwt-extended's manager that verifies a given access token's
    signature once per worker, not on every request: PyJWT 2.15 parses the
    token three times per request (its per-character base64 check in
    Python), about a tenth of a booking request's CPU in the rush.

    What is kept is what a successful verification returned, per token
    string and signing key; so a token is only ever accepted as it was once
    verified, under the key that signed it. Its expiry is checked again on
    every use (an expired token goes back through the full check, which
    refuses it as before); revocation and the token version are still asked
    on every request by the blocklist loader (controller.security). Tokens
    that fail are not kept. Tokens with a CSRF value or read with
    `allow_expired` take the full path each time."""

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None, allow_expired: bool = False):
        if csrf_value is not None or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        claims = self._verified(current_app.config["JWT_SECRET_KEY"], encoded_token)
        if claims.get("exp") is None or claims["exp"] <= time.time():
            return super()._decode_jwt_from_config(encoded_token)  # raises if expired, as without the cache
        return dict(claims)

    @lru_cache(maxsize=4096)  # noqa: B019 (one manager per process, kept as long as it)
    def _verified(self, _signing_key: str, encoded_token: str) -> dict:
        """The claims of a token that passed the full check under this key."""
        return super()._decode_jwt_from_config(encoded_token)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = VerifiedClaimsJWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
api = ApiWithJsonErrors()
cors = CORS()
