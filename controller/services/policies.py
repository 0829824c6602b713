"""Policies: the one place that says what a user may book.

A policy holds per-booking maxima (cores, memory, GPUs, duration), weekly
quotas (booked hours and GPU-hours), how many bookings may be open at once,
and the bounds inside which a booking is approved at once (auto-approval).
Every user has one: their named policy, or else the default. A limit of
None means no limit.

Creation (`bookings.create_booking`), a student's extension
(`extension_requests.request_extension`) and auto-approval ask
`check_booking`, `check_extension` and `auto_approves`; the booking form's
limits are narrowed by `narrow_limits` inside `bookings.limits(user)`. A
refusal is `PolicyLimit` (409) naming the rule and what is left, e.g.
"6.0 of 10 GPU-hours used this week; this booking needs 8.", with
details `{rule, policy, limit, used, needed, left}`.

Weeks run from Monday 00:00 to the next Monday in the lab's time zone
(`LAB_TIMEZONE`, UTC by default); a booking counts towards each week by
the part of its window inside it. Pending, approved,
active and completed bookings count; cancelled, rejected and failed ones
do not.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, or_

from controller.errors import Conflict, NotFound, PolicyLimit, ValidationFailed
from controller.extensions import db
from controller.models import Booking, Policy, Role, Setting, User, utcnow
from controller.services import audit
from controller.services.workflow import OPEN_STATUSES, BookingStatus

# Bookings that use up a weekly quota.
COUNTED_STATUSES = (*OPEN_STATUSES, BookingStatus.COMPLETED)
# The columns an admin edits.
FIELDS = ("name", "description", "max_hours_per_week", "max_gpu_hours_per_week", "max_open_bookings",
          "max_cpu_cores", "max_memory_gb", "max_gpu_count", "max_duration_hours", "auto_approve",
          "auto_max_cpu_cores", "auto_max_memory_gb", "auto_max_gpu_count", "auto_max_duration_hours")
# Each auto-approval bound and the policy limit it must stay within.
AUTO_BOUNDS = (("auto_max_cpu_cores", "max_cpu_cores"), ("auto_max_memory_gb", "max_memory_gb"),
               ("auto_max_gpu_count", "max_gpu_count"), ("auto_max_duration_hours", "max_duration_hours"))
AUTO_APPROVAL_KEY = "auto_approval"
EPSILON = 1e-9


# --- which policy ---------------------------------------------------------

def default_policy() -> Policy:
    """The default policy (seeded by the migration). Should the row be
    missing, an unsaved policy with no limits stands in for it."""
    policy = db.session.scalar(db.select(Policy).where(Policy.is_default))
    return policy if policy is not None else Policy(name="default", is_default=True, auto_approve=False)


def ensure_default_policy() -> Policy:
    """Create the default policy (no limits, no auto-approval) if it is missing."""
    policy = db.session.scalar(db.select(Policy).where(Policy.is_default))
    if policy is None:
        policy = Policy(name="default", is_default=True, auto_approve=False,
                        description="Applies to every user without a named policy.")
        db.session.add(policy)
        db.session.commit()
    return policy


def policy_for(user: User) -> Policy:
    """The user's named policy, or the default."""
    if user.policy_id is not None:
        policy = db.session.get(Policy, user.policy_id)
        if policy is not None:
            return policy
    return default_policy()


def locked_policy(user: User, also=None) -> tuple[Policy, object]:
    """Lock the user's row for the rest of the transaction (as
    `bookings.lock_user` does) and return their policy (as `policy_for`),
    read in the same statement: a booking request needs both, one round trip.
    `also`: a scalar subquery read in the same statement on Postgres, its
    value returned second (None elsewhere, or when not given)."""
    postgres = db.engine.dialect.name == "postgresql"
    stmt = _locked_policy_statement(postgres, also if postgres else None)
    row = db.session.execute(stmt, {"user_id": user.id}).first()
    policy = row[1] if row is not None and row[1] is not None else default_policy()
    return policy, (row[2] if row is not None and len(row) > 2 else None)


@functools.cache
def _locked_policy_statement(lock: bool, also=None):
    """`locked_policy`'s statement, the user's id a bound parameter: built
    once (it runs on every booking request), so its cache key is too."""
    theirs = or_(Policy.id == User.policy_id, and_(User.policy_id.is_(None), Policy.is_default))
    columns = (User.id, Policy) if also is None else (User.id, Policy, also)
    stmt = (db.select(*columns).select_from(User).outerjoin(Policy, theirs)
            .where(User.id == db.bindparam("user_id")))
    return stmt.with_for_update(of=User) if lock else stmt


# --- weeks and usage -----------------------------------------------------

def lab_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("LAB_TIMEZONE") or "UTC")


def week_of(moment: datetime) -> tuple[datetime, datetime]:
    """The week `[Monday 00:00, next Monday 00:00)` in the lab's time zone
    holding `moment`, in UTC (a week with a clock change is 167 or 169 hours)."""
    zone = lab_zone()
    local = moment.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime.combine(monday, time(), zone).astimezone(UTC)
    return start, datetime.combine(monday + timedelta(days=7), time(), zone).astimezone(UTC)


def _weeks(start: datetime, end: datetime):
    lo, hi = week_of(start)
    while lo < end:
        yield lo, hi
        lo, hi = week_of(hi)


def _hours_inside(start: datetime, end: datetime, lo: datetime, hi: datetime) -> float:
    return max(0.0, (min(end, hi) - max(start, lo)).total_seconds() / 3600)


def _counted(user_id: int, lo: datetime, hi: datetime) -> list[Booking]:
    return list(db.session.scalars(db.select(Booking).where(
        Booking.user_id == user_id, Booking.status.in_(COUNTED_STATUSES),
        Booking.start_time < hi, Booking.end_time > lo)))


def _week_usage(user_id: int, lo: datetime, hi: datetime) -> tuple[float, float]:
    """Hours and GPU-hours the user's counted bookings take in `[lo, hi)`."""
    hours = gpu_hours = 0.0
    for booking in _counted(user_id, lo, hi):
        inside = _hours_inside(booking.start_time, booking.end_time, lo, hi)
        hours += inside
        gpu_hours += inside * (booking.gpu_count or 0)
    return hours, gpu_hours


def _open_bookings(user_id: int, now: datetime) -> int:
    return db.session.scalar(db.select(func.count(Booking.id)).where(
        Booking.user_id == user_id, Booking.status.in_(OPEN_STATUSES), Booking.end_time > now)) or 0


def usage(user: User, now: datetime | None = None) -> dict:
    """The user's policy and what they use of it this week and now."""
    now = now or utcnow()
    policy = policy_for(user)
    lo, hi = week_of(now)
    hours, gpu_hours = _week_usage(user.id, lo, hi)
    return {
        "policy": policy, "week_start": lo, "week_end": hi,
        "hours_used": round(hours, 2), "gpu_hours_used": round(gpu_hours, 2),
        "open_bookings": _open_bookings(user.id, now),
        "auto_approval": auto_approval_enabled() and policy.auto_approve,
    }


# --- the rules -----------------------------------------------------------

def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def _refuse(rule: str, policy: Policy, message: str, *, limit, used, needed, unit: str) -> PolicyLimit:
    left = max(0, limit - used)
    return PolicyLimit(message, {
        "rule": rule, "policy": policy.name, "unit": unit, "limit": limit,
        "used": round(used, 2), "needed": round(needed, 2), "left": round(left, 2)})


def _check_size(policy: Policy, cpu_cores: int, memory_gb: float, gpu_count: int) -> None:
    sizes = (("max_cpu_cores", cpu_cores, "cores"), ("max_memory_gb", memory_gb, "GB of memory"),
             ("max_gpu_count", gpu_count, "GPUs"))
    for rule, asked, unit in sizes:
        limit = getattr(policy, rule)
        if limit is not None and asked > limit + EPSILON:
            raise _refuse(rule, policy, f"The {policy.name} policy allows {_num(limit)} {unit} per booking;"
                          f" this booking asks for {_num(asked)}.",
                          limit=limit, used=0, needed=asked, unit=unit)


def _check_duration(policy: Policy, start: datetime, end: datetime) -> None:
    limit = policy.max_duration_hours
    hours = (end - start).total_seconds() / 3600
    if limit is not None and hours > limit + EPSILON:
        raise _refuse("max_duration_hours", policy,
                      f"The {policy.name} policy allows bookings of at most {_num(limit)} hours;"
                      f" this one would last {_num(hours)}.", limit=limit, used=0, needed=hours, unit="hours")


def _check_weekly(policy: Policy, user_id: int, start: datetime, end: datetime, gpu_count: int,
                  now: datetime) -> None:
    """The window `[start, end)` on top of what the user has in each week it touches."""
    if policy.max_hours_per_week is None and (policy.max_gpu_hours_per_week is None or not gpu_count):
        return
    for lo, hi in _weeks(start, end):
        needed = _hours_inside(start, end, lo, hi)
        hours, gpu_hours = _week_usage(user_id, lo, hi)
        when = "this week" if lo <= now < hi else f"in the week of {lo.astimezone(lab_zone()):%a %d %b}"
        limit = policy.max_hours_per_week
        if limit is not None and hours + needed > limit + EPSILON:
            raise _refuse("max_hours_per_week", policy,
                          f"{hours:.1f} of {_num(limit)} hours booked {when};"
                          f" this booking needs {_num(needed)}.",
                          limit=limit, used=hours, needed=needed, unit="hours")
        limit = policy.max_gpu_hours_per_week
        if limit is not None and gpu_count and gpu_hours + needed * gpu_count > limit + EPSILON:
            raise _refuse("max_gpu_hours_per_week", policy,
                          f"{gpu_hours:.1f} of {_num(limit)} GPU-hours used {when};"
                          f" this booking needs {_num(needed * gpu_count)}.",
                          limit=limit, used=gpu_hours, needed=needed * gpu_count, unit="GPU-hours")


def check_booking(user: User, *, start: datetime, end: datetime, cpu_cores: int, memory_gb: float,
                  gpu_count: int, now: datetime | None = None, policy: Policy | None = None) -> Policy:
    """The user's policy (`policy` when the caller read it with the lock,
    else `policy_for`), when it allows this new booking; raises
    PolicyLimit naming the first rule it breaks. Call it with the user's row
    locked (`bookings.create_booking` does, by `locked_policy`), so two
    racing requests of one user are counted one after the other."""
    now = now or utcnow()
    policy = policy if policy is not None else policy_for(user)
    _check_size(policy, cpu_cores, memory_gb, gpu_count)
    _check_duration(policy, start, end)
    limit = policy.max_open_bookings
    if limit is not None:
        used = _open_bookings(user.id, now)
        if used + 1 > limit:
            raise _refuse("max_open_bookings", policy,
                          f"{used} of {limit} open bookings in use; this booking needs 1 more."
                          " Cancel one or wait until one ends.", limit=limit, used=used, needed=1,
                          unit="bookings")
    _check_weekly(policy, user.id, start, end, gpu_count, now)
    return policy


def check_extension(booking: Booking, new_end: datetime, now: datetime | None = None) -> Policy:
    """The owner's policy, when it allows `booking` to end at `new_end`
    (its whole duration, and the added time in each week's quota); raises
    PolicyLimit otherwise."""
    now = now or utcnow()
    policy = policy_for(booking.user)
    _check_duration(policy, booking.start_time, new_end)
    _check_weekly(policy, booking.user_id, booking.end_time, new_end, booking.gpu_count or 0, now)
    return policy


def auto_approves(policy: Policy, booking: Booking) -> bool:
    """Whether `booking` (already within `policy`) is approved at once: the
    lab has auto-approval on, the policy has it on, and the booking keeps
    inside every auto-approval bound the policy sets."""
    if not policy.auto_approve or policy.id is None or not auto_approval_enabled():
        return False
    hours = (booking.end_time - booking.start_time).total_seconds() / 3600
    asked = {"auto_max_cpu_cores": booking.cpu_cores, "auto_max_memory_gb": booking.memory_gb,
             "auto_max_gpu_count": booking.gpu_count or 0, "auto_max_duration_hours": hours}
    return all(getattr(policy, bound) is None or value <= getattr(policy, bound) + EPSILON
               for bound, value in asked.items())


def narrow_limits(rules: dict, policy: Policy) -> dict:
    """The lab's limits for a booking form, lowered to the policy's per-booking maxima."""
    narrowed = dict(rules)
    for key in ("max_cpu_cores", "max_memory_gb", "max_gpu_count", "max_duration_hours"):
        limit = getattr(policy, key)
        if limit is not None:
            narrowed[key] = min(narrowed[key], limit)
    return narrowed


# --- the lab's switch ------------------------------------------------------

def auto_approval_enabled() -> bool:
    """The lab-wide auto-approval switch (on unless an admin turned it off)."""
    setting = db.session.get(Setting, AUTO_APPROVAL_KEY)
    return True if setting is None else bool(setting.value.get("enabled", True))


def set_auto_approval(enabled: bool, admin: User) -> dict:
    """Turn auto-approval on or off for the whole lab; audited."""
    before = auto_approval_enabled()
    setting = db.session.get(Setting, AUTO_APPROVAL_KEY)
    if setting is None:
        db.session.add(Setting(key=AUTO_APPROVAL_KEY, value={"enabled": enabled}))
    else:
        setting.value = {"enabled": enabled}
    audit.record("setting", 0, "auto_approval_set", admin.id, {"enabled": before}, {"enabled": enabled})
    db.session.commit()
    return {"enabled": enabled}


def auto_approval_setting() -> dict:
    return {"enabled": auto_approval_enabled()}


# --- admins' editing -------------------------------------------------------

def _snapshot(policy: Policy) -> dict:
    return {field: getattr(policy, field) for field in FIELDS}


def _check_bounds(policy: Policy) -> None:
    """An auto-approval bound above the policy's own limit could never apply: 422."""
    errors = {bound: [f"Must not exceed {limit} ({_num(getattr(policy, limit))})."]
              for bound, limit in AUTO_BOUNDS
              if getattr(policy, bound) is not None and getattr(policy, limit) is not None
              and getattr(policy, bound) > getattr(policy, limit)}
    if errors:
        raise ValidationFailed("An auto-approval bound is above the policy's own limit.", errors)


def _check_name_free(name: str, policy_id: int | None) -> None:
    taken = db.session.scalar(db.select(Policy.id).where(func.lower(Policy.name) == name.lower()))
    if taken is not None and taken != policy_id:
        raise Conflict("A policy of that name exists.", {"name": ["Already taken."]})


def _with_user_counts(policies: list[Policy]) -> list[Policy]:
    counts = dict(db.session.execute(
        db.select(User.policy_id, func.count(User.id)).where(User.role == Role.STUDENT.value)
        .group_by(User.policy_id)).all())
    for policy in policies:
        policy.user_count = counts.get(policy.id, 0) + (counts.get(None, 0) if policy.is_default else 0)
    return policies


def list_policies() -> list[Policy]:
    """Every policy, the default first, each with how many students it applies to."""
    return _with_user_counts(list(db.session.scalars(
        db.select(Policy).order_by(Policy.is_default.desc(), Policy.name))))


def get_policy(policy_id: int) -> Policy:
    policy = db.session.get(Policy, policy_id)
    if policy is None:
        raise NotFound("No such policy.", {"policy_id": policy_id})
    return policy


def create_policy(admin: User, **fields) -> Policy:
    """Add a named policy. Raises Conflict for a taken name, ValidationFailed
    for auto-approval bounds above its limits."""
    _check_name_free(fields["name"], None)
    policy = Policy(is_default=False, **{"auto_approve": False, **fields})
    _check_bounds(policy)
    db.session.add(policy)
    db.session.flush()
    audit.record("policy", policy.id, "created", admin.id, None, _snapshot(policy))
    db.session.commit()
    return _with_user_counts([policy])[0]


def update_policy(policy_id: int, admin: User, **fields) -> Policy:
    """Change some of a policy's fields (a None limit: no limit); audited."""
    policy = get_policy(policy_id)
    if "name" in fields:
        _check_name_free(fields["name"], policy.id)
    before = _snapshot(policy)
    for field, value in fields.items():
        setattr(policy, field, value)
    try:
        _check_bounds(policy)
    except ValidationFailed:
        db.session.rollback()
        raise
    audit.record("policy", policy.id, "updated", admin.id, before, _snapshot(policy))
    db.session.commit()
    return _with_user_counts([policy])[0]


def delete_policy(policy_id: int, admin: User) -> None:
    """Delete a named policy; its users fall back to the default. The
    default policy cannot be deleted (Conflict)."""
    policy = get_policy(policy_id)
    if policy.is_default:
        raise Conflict("The default policy cannot be deleted; edit it instead.")
    db.session.execute(db.update(User).where(User.policy_id == policy.id).values(policy_id=None))
    db.session.execute(db.update(Booking).where(Booking.approved_by_policy_id == policy.id)
                       .values(approved_by_policy_id=None))
    audit.record("policy", policy.id, "deleted", admin.id, _snapshot(policy), None)
    db.session.delete(policy)
    db.session.commit()


def assign_policy(user_id: int, policy_id: int | None, admin: User) -> User:
    """Give a user a named policy (None: back to the default); audited."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if policy_id is not None and db.session.get(Policy, policy_id) is None:
        raise ValidationFailed("No such policy.", {"policy_id": ["No such policy."]})
    before = {"policy_id": user.policy_id}
    user.policy_id = policy_id
    audit.record("user", user.id, "policy_assigned", admin.id, before, {"policy_id": policy_id})
    db.session.commit()
    return user
