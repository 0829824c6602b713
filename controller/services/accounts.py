"""Accounts: registration, authentication, admins and profiles."""

import ctypes
import hashlib
import logging
import secrets
import threading
from contextlib import contextmanager
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from controller.errors import Conflict, Forbidden, ServiceUnavailable, Unauthorized, ValidationFailed
from controller.extensions import db
from controller.models import Booking, PasswordResetToken, Role, User, utcnow
from controller.services import audit, bookings, notifications
from controller.services.queries import get_or_404, paginate, text_search
from controller.services.workflow import BookingStatus

log = logging.getLogger(__name__)
# argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
# Each hash holds its memory while it runs, so at most MAX_CONCURRENT_HASHES
# run at once in a process (a burst of logins queues for a slot, and gets 503
# after HASH_WAIT_SECONDS). A hash made with other parameters (argon2 writes
# them into the hash) still verifies and is re-made with these at the next
# login.
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MAX_CONCURRENT_HASHES = 4
HASH_WAIT_SECONDS = 30
HASH_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


def _return_hash_memory_to_the_os() -> None:
    """argon2 mallocs its 19 MiB per hash. glibc raises its mmap threshold
    after the first such block is freed, so later ones come from per-thread
    arenas that keep the memory: RSS would stay at the burst's peak. Pinning
    the threshold at 1 MiB maps every hash's block and unmaps it when the
    hash is done (bench/login_burst.py, 100 logins: the growth falls from
    115 to 40 MiB, and RSS returns to idle after). Nothing happens off glibc."""
    try:
        ctypes.CDLL(None).mallopt(-3, 1024 * 1024)  # M_MMAP_THRESHOLD
    except (AttributeError, OSError):
        pass


_return_hash_memory_to_the_os()
# Verifying against this when the user does not exist keeps the answer's
# timing from telling which usernames exist.
_DUMMY_HASH = hasher.hash(secrets.token_hex(16))


@contextmanager
def _hash_slot():
    if not HASH_SLOTS.acquire(timeout=HASH_WAIT_SECONDS):
        raise ServiceUnavailable("Too many logins at once; try again in a moment.")
    try:
        yield
    finally:
        HASH_SLOTS.release()


def hash_password(password: str) -> str:
    """The argon2id hash of `password`, made in one of the process's hashing
    slots. Raises ServiceUnavailable when no slot frees up in time."""
    with _hash_slot():
        return hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Whether `password` is `user`'s (always False for no user, after the
    same work). Uses a hashing slot; raises ServiceUnavailable like `hash_password`."""
    with _hash_slot():
        try:
            return hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
        except (VerificationError, InvalidHashError):
            return False


def find_by_username(username: str) -> User | None:
    return db.session.scalar(db.select(User).where(func.lower(User.username) == username.lower()))


def _create_user(username: str, email: str, password: str, role: Role, actor_id: int | None) -> User:
    taken = db.session.scalar(
        db.select(User).where(
            (func.lower(User.username) == username.lower()) | (func.lower(User.email) == email.lower())
        )
    )
    if taken is not None:
        field = "username" if taken.username.lower() == username.lower() else "email"
        raise Conflict(f"That {field} is already registered.", {field: ["Already registered."]})
    user = User(username=username, email=email.lower(), password_hash=hash_password(password),
                role=role.value, is_active=True)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("That username or email is already registered.") from exc
    audit.record("user", user.id, "created", actor_id, None, {"username": username, "role": role.value})
    db.session.commit()
    return user


def register_student(username: str, email: str, password: str) -> User:
    """Create a student account. Registration never creates an admin.

    Raises Conflict when the username or email (case-insensitively) is taken."""
    return _create_user(username, email, password, Role.STUDENT, None)


def create_admin(username: str, email: str, password: str) -> User:
    """Create an admin account (CLI and first run). Raises Conflict when taken."""
    return _create_user(username, email, password, Role.ADMIN, None)


def ensure_first_admin(username: str, email: str | None, password: str | None) -> str | None:
    """Create the first admin when the lab has none.

    Uses `password` when given, else generates one and returns it so the
    caller can print it once. Returns None when nothing was created."""
    if db.session.scalar(db.select(User.id).where(User.role == Role.ADMIN.value).limit(1)):
        return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    create_admin(username, email or f"{username}@localhost", password)
    log.info("first admin created", extra={"username": username})
    return generated


def authenticate(username: str, password: str) -> User:
    """Return the active user with these credentials. Raises Unauthorized with
    the same message whichever part was wrong, Forbidden (`account_disabled`)
    for a disabled account with the right password."""
    user = find_by_username(username)
    if not verify_password(user, password):
        raise Unauthorized("Wrong username or password.", code="invalid_credentials")
    if not user.is_active:  # said only to someone who knows the password
        raise Forbidden("This account is disabled; ask a lab administrator.", code="account_disabled")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def get_user(user_id: int) -> User:
    return get_or_404(User, user_id, "No such user.")


def profile(user: User) -> dict:
    counts = dict.fromkeys((s.value for s in BookingStatus), 0)
    rows = db.session.execute(
        db.select(Booking.status, func.count()).where(Booking.user_id == user.id).group_by(Booking.status)
    )
    counts.update({status: count for status, count in rows})
    return {"user": user, "booking_counts": counts}


def list_users(query: str | None, page: int, per_page: int) -> dict:
    stmt = db.select(User)
    if query:
        stmt = stmt.where(text_search(query, User.username, User.email))
    return paginate(stmt.order_by(User.username), page, per_page)


def set_active(user_id: int, admin: User, is_active: bool) -> User:
    """Enable or disable an account. A disabled user can neither log in nor
    use a token they hold, and their pending and approved bookings are
    cancelled (running sessions are left to the admin). An admin cannot
    disable themselves, so the lab always keeps one. Raises NotFound, Conflict."""
    user = get_user(user_id)
    if user.id == admin.id and not is_active:
        raise Conflict("You cannot disable your own account.")
    if user.is_active == is_active:
        return user
    user.is_active = is_active
    audit.record("user", user.id, "enabled" if is_active else "disabled", admin.id,
                 {"is_active": not is_active}, {"is_active": is_active})
    db.session.commit()
    if not is_active:
        bookings.cancel_open_bookings_of(user, admin)
    return user


# --- passwords: change, admin reset, forgotten-password links ------------------

def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _set_password(user: User, password: str, actor_id: int | None, action: str) -> None:
    """Store a new password and raise the token version, which revokes every
    access and refresh token the user holds (see `token_is_stale`)."""
    user.password_hash = hash_password(password)
    user.token_version = (user.token_version or 0) + 1
    audit.record("user", user.id, action, actor_id, None, None)


def token_user(claims: dict) -> User | None:
    """The user a token's `sub` claim names, or None."""
    try:
        return db.session.get(User, int(claims.get("sub")))
    except (TypeError, ValueError):
        return None


def token_is_stale(claims: dict, user: User | None) -> bool:
    """Whether a token was issued before its user's last password change or
    reset (its `tv` claim is behind the token version of `user`, the
    `token_user` of these claims)."""
    return user is not None and int(claims.get("tv", 0) or 0) != (user.token_version or 0)


def change_password(user: User, current_password: str, new_password: str) -> User:
    """The user changes their own password, giving the current one. Every
    token they hold is revoked (the caller issues new ones). Raises
    ValidationFailed (422) when the current password is wrong."""
    if not verify_password(user, current_password):
        raise ValidationFailed("The current password is wrong.", {"current_password": ["Wrong password."]})
    _set_password(user, new_password, user.id, "password_changed")
    db.session.commit()
    return user


def admin_reset_password(user_id: int, admin: User, new_password: str) -> User:
    """An admin sets a user's password; the user's tokens are revoked, so
    they log in again with it. Raises NotFound."""
    user = get_user(user_id)
    _set_password(user, new_password, admin.id, "password_reset_by_admin")
    db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Mail a single-use reset link to the active account with this address,
    if there is one; the caller answers the same either way, so the answer
    tells nothing about which addresses exist. The link holds a random
    token; only its SHA-256 is stored, and it expires after
    PASSWORD_RESET_MINUTES. Nothing is sent when mail is off."""
    user = db.session.scalar(db.select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active or not notifications.mail_enabled():
        return
    token = secrets.token_urlsafe(32)
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    row = PasswordResetToken(user_id=user.id, token_hash=_hash_token(token), created_at=utcnow(),
                             expires_at=utcnow() + timedelta(minutes=minutes))
    db.session.add(row)
    db.session.flush()
    # The token rides in the URL's fragment, which browsers never send to a server or proxy log.
    link = f"{current_app.config.get('PUBLIC_URL') or ''}/reset-password#token={token}"
    body = (f"Someone (hopefully you) asked to reset the password of {user.username}.\n\n"
            f"Choose a new password here within {minutes} minutes:\n{link}\n\n"
            "The link works once. If you did not ask for this, ignore this mail.\n")
    notifications.enqueue(user, notifications.ACCOUNT, "Reset your password", body,
                          f"password-reset:{row.id}")
    audit.record("user", user.id, "password_reset_requested", None, None, None)
    db.session.commit()


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset link's token and use the token up
    (with every other open link of that user). The user's tokens are
    revoked. Raises ValidationFailed (422, `invalid_reset_token`) for a
    token that is unknown (mistyped or tampered with), used or expired."""
    row = db.session.scalar(db.select(PasswordResetToken).where(
        PasswordResetToken.token_hash == _hash_token(token)).with_for_update())
    if row is None:
        raise ValidationFailed("This reset link is not valid.", {"token": ["Invalid link."]},
                               code="invalid_reset_token")
    if row.used_at is not None:
        raise ValidationFailed("This reset link has already been used.", {"token": ["Already used."]},
                               code="invalid_reset_token")
    now = utcnow()
    if row.expires_at <= now:
        raise ValidationFailed("This reset link has expired; ask for a new one.", {"token": ["Expired."]},
                               code="invalid_reset_token")
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ValidationFailed("This reset link is not valid.", {"token": ["Invalid link."]},
                               code="invalid_reset_token")
    db.session.execute(db.update(PasswordResetToken).where(
        PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)).values(used_at=now))
    _set_password(user, new_password, None, "password_reset")
    db.session.commit()
    return user
