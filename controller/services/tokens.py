"""The JWT blocklist: Redis when `REDIS_URL` is set, the database otherwise.

Entries expire with the token they revoke, so the list never grows past the
tokens still alive.
"""

from datetime import UTC, datetime

import redis
from flask import current_app
from sqlalchemy.exc import IntegrityError

from controller.extensions import db
from controller.models import RevokedToken, utcnow

REDIS_KEY = "booking:revoked:{jti}"


def _redis() -> redis.Redis | None:
    client = current_app.extensions.get("token_redis")
    if client is None and current_app.config.get("REDIS_URL"):
        client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2)
        current_app.extensions["token_redis"] = client
    return client


def revoke(jti: str, expires_at_epoch: int) -> None:
    """Revoke one token until it would have expired anyway. Idempotent."""
    expires_at = datetime.fromtimestamp(expires_at_epoch, UTC)
    client = _redis()
    if client is not None:
        ttl = max(1, int((expires_at - utcnow()).total_seconds()) + 1)
        client.set(REDIS_KEY.format(jti=jti), "1", ex=ttl)
        return
    if db.session.get(RevokedToken, jti) is None:
        db.session.add(RevokedToken(jti=jti, expires_at=expires_at))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    db.session.execute(db.delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    db.session.commit()


def is_revoked(jti: str) -> bool:
    client = _redis()
    if client is not None:
        return bool(client.exists(REDIS_KEY.format(jti=jti)))
    return db.session.get(RevokedToken, jti) is not None
