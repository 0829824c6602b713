"""Accounts: registration, authentication, admins and profiles."""

import logging
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from controller.errors import Conflict, Forbidden, Unauthorized
from controller.extensions import db
from controller.models import Booking, Role, User
from controller.services import audit, bookings
from controller.services.queries import get_or_404, paginate
from controller.services.workflow import BookingStatus

log = logging.getLogger(__name__)
hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the answer's
# timing from telling which usernames exist.
_DUMMY_HASH = hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
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
        pattern = f"%{query.lower()}%"
        stmt = stmt.where(func.lower(User.username).like(pattern) | func.lower(User.email).like(pattern))
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
