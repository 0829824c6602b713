"""Bookings: creation, the status workflow, approval onto nodes, extension.

Every change goes through `transition` or `_audit_change`, so each one is
legal for the booking's status and leaves an audit row. Capacity is checked
with the node rows locked (see `capacity`), so no node is ever over-booked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func

from controller.errors import (
    AppError,
    CapacityExceeded,
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from controller.extensions import db
from controller.models import (
    OPEN_STATUSES,
    Agent,
    AgentStatus,
    Booking,
    BookingStatus,
    User,
    utcnow,
)
from controller.services import audit, capacity
from controller.services.capacity import Resources
from controller.services.queries import get_or_404, paginate

TRANSITIONS: dict[str, set[str]] = {
    BookingStatus.PENDING: {BookingStatus.APPROVED, BookingStatus.REJECTED, BookingStatus.CANCELLED},
    BookingStatus.APPROVED: {BookingStatus.ACTIVE, BookingStatus.CANCELLED, BookingStatus.FAILED},
    BookingStatus.ACTIVE: {BookingStatus.COMPLETED, BookingStatus.FAILED, BookingStatus.CANCELLED},
}
STUDENT_CANCELLABLE = (BookingStatus.PENDING, BookingStatus.APPROVED)
EXTENDABLE = (BookingStatus.APPROVED, BookingStatus.ACTIVE)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, set())


def transition(booking: Booking, target: BookingStatus, actor_id: int | None,
                action: str, **changes) -> None:
    """Move `booking` to `target`, applying `changes`, with an audit row.
    Raises InvalidTransition when the workflow does not allow the move."""
    if not can_transition(booking.status, target):
        raise InvalidTransition(
            f"A booking that is {booking.status} cannot become {target.value}.",
            {"status": booking.status, "target": target.value},
        )
    before = audit.booking_snapshot(booking)
    booking.status = target.value
    for name, value in changes.items():
        setattr(booking, name, value)
    audit.record("booking", booking.id, action, actor_id, before, audit.booking_snapshot(booking))


# --- validation ----------------------------------------------------------

def session_images() -> list[dict]:
    return current_app.config["SESSION_IMAGES"]


def image_port(image: str) -> int | None:
    return next((i["port"] for i in session_images() if i["name"] == image), None)


def largest_node() -> Resources:
    row = db.session.execute(
        db.select(func.max(Agent.cpu_cores), func.max(Agent.memory_gb), func.max(Agent.gpu_count))
    ).one()
    return Resources(row[0] or 0, capacity.gb_to_mib(row[1] or 0), row[2] or 0)


def limits() -> dict:
    node = largest_node()
    return {
        "max_cpu_cores": node.cpu_cores,
        "max_memory_gb": node.memory_mib / 1024,
        "max_gpu_count": node.gpu_count,
        "max_duration_hours": current_app.config["BOOKING_MAX_HOURS"],
        "horizon_days": current_app.config["BOOKING_HORIZON_DAYS"],
    }


def _validate_window(start: datetime, end: datetime, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    max_hours = current_app.config["BOOKING_MAX_HOURS"]
    horizon = timedelta(days=current_app.config["BOOKING_HORIZON_DAYS"])
    if start <= now:
        errors.setdefault("start_time", []).append("Must be in the future.")
    if end <= start:
        errors.setdefault("end_time", []).append("Must be after the start time.")
    elif end - start > timedelta(hours=max_hours):
        errors.setdefault("end_time", []).append(f"A booking lasts at most {max_hours:g} hours.")
    if end > now + horizon:
        errors.setdefault("end_time", []).append(
            f"Bookings can be made at most {horizon.days} days ahead."
        )
    if errors:
        raise ValidationFailed("The booking window is not allowed.", errors)


def _validate_request(need: Resources, image: str) -> None:
    errors: dict[str, list[str]] = {}
    node = largest_node()
    if node.cpu_cores == 0:
        raise ValidationFailed("The lab has no nodes to book yet.", {"_schema": ["No nodes."]})
    if need.cpu_cores > node.cpu_cores:
        errors["cpu_cores"] = [f"The largest node has {node.cpu_cores} cores."]
    if need.memory_mib > node.memory_mib:
        errors["memory_gb"] = [f"The largest node has {node.memory_mib / 1024:g} GB."]
    if need.gpu_count > node.gpu_count:
        errors["gpu_count"] = [f"The largest node has {node.gpu_count} GPUs."]
    if image not in {i["name"] for i in session_images()}:
        errors["image"] = ["Not one of the lab's images."]
    if errors:
        raise ValidationFailed("The booking asks for more than the lab allows.", errors)


def _check_student_overlap(user_id: int, start: datetime, end: datetime,
                           exclude_booking_id: int | None = None) -> None:
    stmt = db.select(Booking.id).where(
        Booking.user_id == user_id,
        Booking.status.in_([s.value for s in OPEN_STATUSES]),
        Booking.start_time < end,
        Booking.end_time > start,
    )
    if exclude_booking_id is not None:
        stmt = stmt.where(Booking.id != exclude_booking_id)
    clash = db.session.scalar(stmt.limit(1))
    if clash is not None:
        raise Conflict(
            "You already have a booking in that window.", {"conflicting_booking_id": clash}
        )


def _lock_user(user_id: int) -> None:
    stmt = db.select(User.id).where(User.id == user_id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    db.session.execute(stmt)


# --- student side --------------------------------------------------------

def create_booking(user: User, *, start_time: datetime, end_time: datetime, cpu_cores: int,
                   memory_gb: float, gpu_count: int = 0, image: str | None = None,
                   purpose: str | None = None, tags: Iterable[str] = ()) -> Booking:
    """Create a pending booking for `user`. Pending bookings hold no capacity.

    Raises ValidationFailed for a window or request the lab does not allow,
    Conflict when the student already has an open booking overlapping it."""
    image = image or session_images()[0]["name"]
    need = Resources(cpu_cores, capacity.gb_to_mib(memory_gb), gpu_count)
    _validate_window(start_time, end_time, utcnow())
    _validate_request(need, image)
    with capacity.capacity_transaction():
        _lock_user(user.id)
        _check_student_overlap(user.id, start_time, end_time)
        booking = Booking(
            user_id=user.id, start_time=start_time, end_time=end_time, cpu_cores=cpu_cores,
            memory_gb=memory_gb, gpu_count=gpu_count, image=image, purpose=purpose,
            required_tags=list(tags), status=BookingStatus.PENDING.value,
        )
        db.session.add(booking)
        db.session.flush()
        audit.record("booking", booking.id, "created", user.id, None, audit.booking_snapshot(booking))
        db.session.commit()
    return booking


def availability(*, start_time: datetime, end_time: datetime, cpu_cores: int, memory_gb: float,
                 gpu_count: int = 0, tags: Iterable[str] = ()) -> dict:
    """How many nodes could take this request in this window right now
    (a hint for the booking form; approval re-checks under lock)."""
    _validate_window(start_time, end_time, utcnow())
    need = Resources(cpu_cores, capacity.gb_to_mib(memory_gb), gpu_count)
    candidates = [a for a in db.session.scalars(db.select(Agent)) if capacity.eligible(a, tags)]
    fitting = sum(p.fits for p in capacity.place(candidates, need, start_time, end_time))
    return {"available": fitting > 0, "nodes_fitting": fitting}


def student_bookings(user: User, status: str | None, page: int, per_page: int) -> dict:
    stmt = db.select(Booking).where(Booking.user_id == user.id)
    if status:
        stmt = stmt.where(Booking.status == status)
    return paginate(stmt.order_by(Booking.start_time.desc(), Booking.id.desc()), page, per_page)


def student_booking(user: User, booking_id: int) -> Booking:
    """The student's own booking; someone else's answers NotFound, never Forbidden,
    so ids of other students' bookings cannot be probed."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.user_id != user.id:
        raise NotFound("No such booking.")
    return booking


def locked_booking(booking_id: int) -> Booking:
    stmt = db.select(Booking).where(Booking.id == booking_id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    booking = db.session.scalar(stmt.execution_options(populate_existing=True))
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def cancel_by_student(user: User, booking_id: int) -> Booking:
    """Cancel the student's own pending or approved booking (releasing its capacity).
    Raises NotFound for another's booking, InvalidTransition for other states."""
    with capacity.capacity_transaction():
        booking = locked_booking(booking_id)
        if booking.user_id != user.id:
            raise NotFound("No such booking.")
        if booking.status not in STUDENT_CANCELLABLE:
            raise InvalidTransition(
                f"A booking that is {booking.status} cannot be cancelled here.",
                {"status": booking.status},
            )
        transition(booking, BookingStatus.CANCELLED, user.id, "cancelled")
        db.session.commit()
    return booking


# --- admin side ----------------------------------------------------------

def get_booking(booking_id: int) -> Booking:
    return get_or_404(Booking, booking_id, "No such booking.")


SORT_COLUMNS = {
    "start_time": Booking.start_time,
    "end_time": Booking.end_time,
    "created_at": Booking.created_at,
    "status": Booking.status,
    "username": User.username,
}


def admin_bookings(*, status: list[str] | None = None, user_id: int | None = None,
                   agent_id: int | None = None, q: str | None = None,
                   start_from: datetime | None = None, start_to: datetime | None = None,
                   overlaps_from: datetime | None = None, overlaps_to: datetime | None = None,
                   sort: str = "start_time", order: str = "asc",
                   page: int = 1, per_page: int = 20) -> dict:
    stmt = db.select(Booking).join(User, Booking.user_id == User.id)
    if status:
        stmt = stmt.where(Booking.status.in_(status))
    if user_id is not None:
        stmt = stmt.where(Booking.user_id == user_id)
    if agent_id is not None:
        stmt = stmt.where(Booking.agent_id == agent_id)
    if q:
        stmt = stmt.where(func.lower(User.username).like(f"%{q.lower()}%"))
    if start_from is not None:
        stmt = stmt.where(Booking.start_time >= start_from)
    if start_to is not None:
        stmt = stmt.where(Booking.start_time < start_to)
    if overlaps_from is not None:
        stmt = stmt.where(Booking.end_time > overlaps_from)
    if overlaps_to is not None:
        stmt = stmt.where(Booking.start_time < overlaps_to)
    column = SORT_COLUMNS[sort]
    stmt = stmt.order_by(column.desc() if order == "desc" else column.asc(), Booking.id)
    return paginate(stmt, page, per_page)


def approve(booking_id: int, admin: User, agent_id: int | None = None,
            notes: str | None = None) -> Booking:
    """Approve a pending booking onto a node, automatically or onto `agent_id`.

    The automatic choice is the least loaded eligible node (see
    `capacity.place`). Raises NotFound, InvalidTransition, CapacityExceeded
    when no node fits at every instant of the window, Busy on lock timeout."""
    with capacity.capacity_transaction():
        booking = locked_booking(booking_id)
        if booking.status != BookingStatus.PENDING:
            raise InvalidTransition(
                f"Only pending bookings can be approved; this one is {booking.status}.",
                {"status": booking.status},
            )
        if booking.end_time <= utcnow():
            raise InvalidTransition("The booking's window has already passed.")
        need = Resources.of(booking)
        if agent_id is not None:
            if db.session.get(Agent, agent_id) is None:
                raise NotFound("No such node.", {"agent_id": agent_id})
            candidates = capacity.lock_agents([agent_id])
            unusable = [a for a in candidates if not capacity.eligible(a)]
            if unusable:
                raise Conflict(
                    f"Node {unusable[0].name} is {unusable[0].status} and cannot take bookings.",
                    {"agent_id": agent_id},
                )
        else:
            tags = booking.required_tags or []
            ids = [a.id for a in db.session.scalars(db.select(Agent)) if capacity.eligible(a, tags)]
            candidates = [a for a in capacity.lock_agents(ids) if capacity.eligible(a, tags)]
        placements = capacity.place(candidates, need, booking.start_time, booking.end_time)
        if not placements or not placements[0].fits:
            raise CapacityExceeded(
                "No node has room for this booking for its whole window."
                if agent_id is None
                else "That node has no room for this booking for its whole window.",
                {"nodes_checked": len(placements)},
            )
        chosen = placements[0].agent
        transition(
            booking, BookingStatus.APPROVED, admin.id, "approved",
            agent_id=chosen.id, approved_by_id=admin.id, approved_at=utcnow(),
            admin_notes=notes if notes is not None else booking.admin_notes,
        )
        db.session.commit()
    return booking


def reject(booking_id: int, admin: User, reason: str) -> Booking:
    """Reject a pending booking with a reason the student will see."""
    with capacity.capacity_transaction():
        booking = locked_booking(booking_id)
        transition(booking, BookingStatus.REJECTED, admin.id, "rejected", rejection_reason=reason)
        db.session.commit()
    return booking


def extend(booking_id: int, admin: User, end_time: datetime | None = None,
           minutes: int | None = None) -> Booking:
    """Move the end of an approved or active booking later, on the same node.

    Re-checks capacity for the longer window and the student's other
    bookings. Raises InvalidTransition, ValidationFailed, CapacityExceeded,
    Conflict."""
    with capacity.capacity_transaction():
        booking = locked_booking(booking_id)
        if booking.status not in EXTENDABLE:
            raise InvalidTransition(
                f"Only approved or active bookings can be extended; this one is {booking.status}.",
                {"status": booking.status},
            )
        new_end = end_time if end_time is not None else booking.end_time + timedelta(minutes=minutes)
        now = utcnow()
        if new_end <= booking.end_time:
            raise ValidationFailed("The new end must be later than the current end.",
                                   {"end_time": ["Must be later than the current end."]})
        horizon = timedelta(days=current_app.config["BOOKING_HORIZON_DAYS"])
        if new_end > now + horizon:
            raise ValidationFailed("That is beyond the booking horizon.",
                                   {"end_time": [f"At most {horizon.days} days ahead."]})
        _check_student_overlap(booking.user_id, booking.end_time, new_end, booking.id)
        (agent,) = capacity.lock_agents([booking.agent_id])
        window_start = max(booking.start_time, now)
        (placement,) = capacity.place([agent], Resources.of(booking), window_start, new_end,
                                      exclude_booking_id=booking.id)
        if not placement.fits:
            raise CapacityExceeded(
                f"Node {agent.name} has no room to extend this booking to {new_end.isoformat()}."
            )
        before = audit.booking_snapshot(booking)
        booking.end_time = new_end
        audit.record("booking", booking.id, "extended", admin.id, before,
                     audit.booking_snapshot(booking))
        db.session.commit()
    return booking


def cancel_by_admin(booking_id: int, admin: User, reason: str | None = None) -> Booking:
    """Cancel a pending, approved or active booking. An active booking's
    container is stopped by the lifecycle, which watches cancelled bookings."""
    with capacity.capacity_transaction():
        booking = locked_booking(booking_id)
        changes = {"admin_notes": reason} if reason else {}
        transition(booking, BookingStatus.CANCELLED, admin.id, "cancelled", **changes)
        db.session.commit()
    return booking


def cancel_open_bookings_of(user: User, admin: User) -> int:
    """Cancel a user's pending and approved bookings (their account was
    disabled); each is cancelled in its own transaction and audited."""
    ids = list(db.session.scalars(db.select(Booking.id).where(
        Booking.user_id == user.id, Booking.status.in_(STUDENT_CANCELLABLE))))
    for booking_id in ids:
        with capacity.capacity_transaction():
            booking = locked_booking(booking_id)
            if booking.status in STUDENT_CANCELLABLE:
                transition(booking, BookingStatus.CANCELLED, admin.id, "cancelled",
                           admin_notes="Cancelled because the account was disabled.")
            db.session.commit()
    return len(ids)


BULK_ACTIONS = {
    "approve": lambda booking_id, admin, args: approve(booking_id, admin, args.get("agent_id")),
    "reject": lambda booking_id, admin, args: reject(booking_id, admin, args["reason"]),
    "extend": lambda booking_id, admin, args: extend(booking_id, admin, args.get("end_time"),
                                                     args.get("minutes")),
}


def bulk(action: str, ids: list[int], admin: User, **args) -> dict:
    """Apply one action to many bookings, each in its own transaction: one
    failure does not undo the others, and each outcome is reported."""
    results = []
    for booking_id in dict.fromkeys(ids):
        try:
            booking = BULK_ACTIONS[action](booking_id, admin, args)
            results.append({"id": booking_id, "ok": True, "booking": booking})
        except AppError as error:
            db.session.rollback()
            results.append({"id": booking_id, "ok": False,
                            "error": {"error": error.code, "message": error.message}})
    return {"results": results}


def at_risk(booking: Booking) -> bool:
    """An approved booking that will not start unless an admin acts: its node
    is in maintenance, or offline and cannot be woken, or still offline once
    the start time has come (a sleeping node that can be woken is expected to
    be offline until the scheduler wakes it)."""
    if booking.status != BookingStatus.APPROVED or booking.agent is None:
        return False
    if booking.agent.status == AgentStatus.MAINTENANCE:
        return True
    if booking.agent.status != AgentStatus.OFFLINE:
        return False
    return not booking.agent.wakeable or booking.start_time <= utcnow()
