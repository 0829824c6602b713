"""Bookings: creation, approval onto nodes, extension, cancellation.

Every change of a booking's status or lifecycle columns goes through
`workflow.apply`, which checks the move against the transition table and
writes the audit row. Whether a request fits is asked of `placement`, with
the node rows locked, so no node is ever over-booked. The limits a request
must keep (`limits`) are the same figures the booking form is given.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from controller.config import session_image
from controller.errors import (
    AppError,
    Busy,
    CapacityExceeded,
    Conflict,
    InvalidTransition,
    NotFound,
    PolicyLimit,
    ValidationFailed,
)
from controller.extensions import db
from controller.models import Agent, Booking, ExtensionRequest, ExtensionStatus, User, utcnow
from controller.services import agent_client, approval_rounds, audit, placement, policies, stats, workflow
from controller.services.placement import Resources, gb_to_mib
from controller.services.queries import commit_keeping_state, get_or_404, paginate, text_search
from controller.services.workflow import HOLDING_STATUSES, OPEN_STATUSES, Actor

# --- the limits a request must keep --------------------------------------

def session_images() -> list[dict]:
    """The lab's images (`SESSION_IMAGES`), each with every field filled in."""
    return [session_image(entry) for entry in current_app.config["SESSION_IMAGES"]]


def image_port(image: str) -> int | None:
    return next((i["port"] for i in session_images() if i["name"] == image), None)


def limits(user: User | None = None, nodes: list | None = None) -> dict:
    """The limits every booking request is checked against, and that the
    booking form is given (`GET /api/student/options`). The maxima are per
    resource over the nodes; `could_ever_fit` checks that one node holds the
    whole request. Given a user, the per-booking maxima are lowered to their
    policy's (which `policies.check_booking` enforces). `nodes`: the
    `placement.node_sizes` rows when the caller has read them already."""
    config = current_app.config
    if user is not None:
        return policies.narrow_limits(limits(nodes=nodes), policies.policy_for(user))
    largest = placement.node_maxima(nodes)
    return {
        "min_cpu_cores": 1,
        "max_cpu_cores": largest.cpu_cores,
        "min_memory_gb": max(config["BOOKING_MIN_MEMORY_GB"], agent_client.MIN_MEMORY_GB),
        "max_memory_gb": largest.memory_mib / 1024,
        "max_gpu_count": largest.gpu_count,
        "min_duration_minutes": config["BOOKING_MIN_MINUTES"],
        "max_duration_hours": config["BOOKING_MAX_HOURS"],
        "horizon_days": config["BOOKING_HORIZON_DAYS"],
    }


PRESETS = (
    {"name": "Small", "cpu_cores": 2, "memory_gb": 4, "gpu_count": 0},
    {"name": "Medium", "cpu_cores": 4, "memory_gb": 16, "gpu_count": 0},
    {"name": "Large", "cpu_cores": 8, "memory_gb": 32, "gpu_count": 0},
    {"name": "GPU", "cpu_cores": 4, "memory_gb": 16, "gpu_count": 1},
)


def options(user: User | None = None) -> dict:
    """What the booking form offers: the images, the limits (the user's
    policy's, when given), and the presets that some node could hold."""
    configured = session_images()
    unavailable = placement.image_availability(i["name"] for i in configured)
    images = [{**i, "available": unavailable[i["name"]] is None, "unavailable_reason": unavailable[i["name"]]}
              for i in configured]
    default = next((i["name"] for i in images if i["available"]), configured[0]["name"])
    fitting = [p for p in PRESETS if placement.could_ever_fit(
        Resources(p["cpu_cores"], gb_to_mib(p["memory_gb"]), p["gpu_count"]))]
    return {"images": images, "default_image": default, "limits": limits(user), "presets": fitting}


def _check_horizon(end: datetime, now: datetime, rules: dict, errors: dict) -> None:
    if end > now + timedelta(days=rules["horizon_days"]):
        errors.setdefault("end_time", []).append(
            f"A booking must end within {rules['horizon_days']} days from now.")


def _validate_window(start: datetime, end: datetime, now: datetime, rules: dict) -> None:
    errors: dict[str, list[str]] = {}
    shortest = timedelta(minutes=rules["min_duration_minutes"])
    longest = timedelta(hours=rules["max_duration_hours"])
    if start <= now:
        errors.setdefault("start_time", []).append("Must be in the future.")
    if end <= start:
        errors.setdefault("end_time", []).append("Must be after the start time.")
    elif end - start < shortest:
        errors.setdefault("end_time", []).append(
            f"A booking lasts at least {rules['min_duration_minutes']} minutes.")
    elif end - start > longest:
        errors.setdefault("end_time", []).append(
            f"A booking lasts at most {rules['max_duration_hours']:g} hours.")
    _check_horizon(end, now, rules, errors)
    if errors:
        raise ValidationFailed("The booking window is not allowed.", errors)


def _validate_request(need: Resources, memory_gb: float, image: str, tags: list[str],
                      rules: dict, nodes: list | None = None) -> None:
    if rules["max_cpu_cores"] == 0:
        raise ValidationFailed("The lab has no nodes to book yet.", {"_schema": ["No nodes."]})
    errors: dict[str, list[str]] = {}
    if memory_gb < rules["min_memory_gb"]:
        errors["memory_gb"] = [f"Ask for at least {rules['min_memory_gb']:g} GB."]
    if need.cpu_cores > rules["max_cpu_cores"]:
        errors["cpu_cores"] = [f"The largest node has {rules['max_cpu_cores']} cores."]
    if need.memory_mib > gb_to_mib(rules["max_memory_gb"]):
        errors.setdefault("memory_gb", []).append(f"The largest node has {rules['max_memory_gb']:g} GB.")
    if need.gpu_count > rules["max_gpu_count"]:
        errors["gpu_count"] = [f"The largest node has {rules['max_gpu_count']} GPUs."]
    if image not in {i["name"] for i in session_images()}:
        errors["image"] = ["Not one of the lab's images."]
    if errors:
        raise ValidationFailed("The booking asks for what the lab cannot give.", errors)
    holders = placement.nodes_big_enough(need, tags, nodes)
    if not holders:
        with_tags = f" with the tags {', '.join(tags)}" if tags else ""
        raise ValidationFailed(
            f"No single node{with_tags} has {need.cpu_cores} cores, {need.memory_mib / 1024:g} GB"
            f" and {need.gpu_count} GPUs at once; ask for less of one of them.",
            {"_schema": ["No single node can hold the whole request."]},
        )
    if not any(placement.has_image(node, image) for node in holders):
        raise ValidationFailed(
            f"No node that could hold this booking has the image {image}.",
            {"image": ["Not present on any node that could hold this booking; choose another."]},
        )


def _student_overlaps(user_id: int, start: datetime, end: datetime):
    """The ids of the user's open bookings overlapping `[start, end)`."""
    return db.select(Booking.id).where(
        Booking.user_id == user_id,
        Booking.status.in_(OPEN_STATUSES),
        Booking.start_time < end,
        Booking.end_time > start,
    )


def _check_student_overlap(user_id: int, start: datetime, end: datetime,
                           exclude_booking_id: int | None = None) -> None:
    stmt = _student_overlaps(user_id, start, end)
    if exclude_booking_id is not None:
        stmt = stmt.where(Booking.id != exclude_booking_id)
    clash = db.session.scalar(stmt.limit(1))
    if clash is not None:
        raise Conflict(
            "You already have a booking in that window.", {"conflicting_booking_id": clash}
        )


def _insert_unless_overlapping(values: dict, entering: audit.Row) -> Booking | None:
    """Insert a booking of these column values, with `entering` as its audit
    row, unless its user has an open booking overlapping its window: the
    check and the inserts in one statement (INSERT ... SELECT ... WHERE NOT
    EXISTS, and on Postgres the audit row in the same statement), one round
    trip. The caller holds the user's row lock, so the statement, which
    starts after the lock is granted, sees every booking of theirs committed
    before it. Returns the new booking (all its columns read back), or None."""
    return audit.insert_recorded(_insert_statement(tuple(values)), values, entering, Booking)


@functools.cache
def _insert_statement(names: tuple[str, ...]):
    """`_insert_unless_overlapping`'s INSERT for these columns, with a bound
    parameter per column: built once, so its cache key is too."""
    columns = Booking.__table__.c
    params = {name: db.bindparam(name, type_=columns[name].type) for name in names}
    clash = _student_overlaps(params["user_id"], params["start_time"], params["end_time"]).exists()
    row = db.select(*params.values()).where(~clash)
    table = Booking.__table__
    return db.insert(table).from_select(list(names), row).returning(*table.c)


def lock_user(user_id: int) -> None:
    """Lock the user's row for the rest of the transaction: one user's
    requests are counted against their policy one after the other."""
    stmt = db.select(User.id).where(User.id == user_id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    db.session.execute(stmt)


# --- student side --------------------------------------------------------

def create_booking(user: User, *, start_time: datetime, end_time: datetime, cpu_cores: int,
                   memory_gb: float, gpu_count: int = 0, image: str | None = None,
                   purpose: str | None = None, tags: Iterable[str] = ()) -> Booking:
    """Create a pending booking for `user`. Pending bookings hold no capacity.

    The user's policy must allow it (`policies.check_booking`, with the
    user's row locked so their racing requests are counted one by one).
    When it is inside the policy's auto-approval bounds it is then approved
    at once onto a node that fits (`approve_by_policy`); otherwise, or when
    no node fits, it stays pending for an admin.

    Raises ValidationFailed for a window or request the lab does not allow
    (including one no single node could ever hold), PolicyLimit for one the
    policy does not, Conflict when the student already has an open booking
    overlapping it."""
    image = image or session_images()[0]["name"]
    tags = list(tags)
    need = Resources(cpu_cores, gb_to_mib(memory_gb), gpu_count)
    with placement.capacity_transaction():
        # The user's row locked (as lock_user), their policy, and on Postgres
        # the nodes' sizes for the limits and the fit: one round trip.
        policy, nodes = policies.locked_policy(user, also=placement.NODE_SIZES_COLUMN)
        nodes = placement.node_sizes(nodes)
        rules = limits(nodes=nodes)
        _validate_window(start_time, end_time, utcnow(), rules)
        _validate_request(need, memory_gb, image, tags, rules, nodes)
        try:
            policies.check_booking(user, start=start_time, end=end_time, cpu_cores=cpu_cores,
                                   memory_gb=memory_gb, gpu_count=gpu_count, policy=policy)
        except PolicyLimit:
            _check_student_overlap(user.id, start_time, end_time)  # an overlap is named first
            raise
        values = {"user_id": user.id, "start_time": start_time, "end_time": end_time, "cpu_cores": cpu_cores,
                  "memory_gb": memory_gb, "gpu_count": gpu_count, "image": image, "purpose": purpose,
                  "required_tags": tags}
        entering = workflow.create(values, user.id)
        booking = _insert_unless_overlapping(values, entering)
        if booking is None:
            _check_student_overlap(user.id, start_time, end_time)  # raises Conflict naming it
            booking = _insert_unless_overlapping(values, entering)  # it ended meanwhile (cancelled, rejected)
            if booking is None:
                raise Busy("Your bookings changed meanwhile; try again.")
        commit_keeping_state()  # the response shows what was just written
    if policies.auto_approves(policy, booking) and not approval_rounds.hold_for_round(booking):
        approve_by_policy(booking.id, policy.id)  # at once: no approval round for it
    return booking


def approve_by_policy(booking_id: int, policy_id: int) -> bool:
    """Approve a pending booking as its policy's auto-approval: placed as an
    admin's automatic approval is (`automatic_placement`: the placement
    policy's node, or room made by moving bookings that have not started,
    every usable node locked in id order). Returns whether it was approved;
    when no node has room, the node locks time out, or the booking is no
    longer pending, it is left as it is for an admin."""
    try:
        with placement.capacity_transaction():
            booking = locked_booking(booking_id)
            if booking.status != workflow.BookingStatus.PENDING:
                db.session.rollback()
                return False
            target, plan, _ = automatic_placement(booking)
            if target is None:
                db.session.rollback()
                return False
            if plan is not None:
                apply_moves(plan, f"#{booking.id} (auto-approved)", Actor.SCHEDULER, None)
            workflow.apply(booking, "auto_approve", Actor.POLICY, None, agent_id=target.id,
                           approved_at=utcnow(), approved_by_policy_id=policy_id)
            db.session.commit()
    except (Busy, InvalidTransition):
        return False
    return True


def retry_auto_approvals(limit: int = 50) -> dict:
    """Try again, oldest first, the pending bookings that have not started and
    that their owner's policy would approve by itself: room may have freed
    since they were made (a cancellation, an earlier end, a node back from
    maintenance). Each goes through `approve_by_policy`, so nothing is placed
    that does not fit. Nothing while the lab's auto-approval is off, nor with
    approval rounds (APPROVAL_MODE=rounds), which decide these themselves:
    a retry would take room a round keeps for the requests it weighs."""
    if not policies.auto_approval_enabled() or approval_rounds.rounds_on():
        return {}
    waiting = db.session.scalars(
        db.select(Booking).options(joinedload(Booking.user))
        .where(Booking.status == workflow.BookingStatus.PENDING, Booking.start_time > utcnow())
        .order_by(Booking.created_at, Booking.id).limit(limit)).all()
    approved = 0
    for booking in waiting:
        policy = policies.policy_for(booking.user)
        if policies.auto_approves(policy, booking) and approve_by_policy(booking.id, policy.id):
            approved += 1
    db.session.rollback()
    return {"auto_approved": approved} if approved else {}


def check_new_end(booking: Booking, new_end: datetime, now: datetime) -> None:
    """A later end for `booking` within the horizon, not running into the
    owner's next booking: ValidationFailed or Conflict otherwise. (The node's
    room and the policy are checked by the caller.)"""
    errors: dict[str, list[str]] = {}
    if new_end <= booking.end_time:
        errors["end_time"] = ["Must be later than the current end."]
    else:
        _check_horizon(new_end, now, limits(), errors)
    if errors:
        raise ValidationFailed("The new end is not allowed.", errors)
    _check_student_overlap(booking.user_id, booking.end_time, new_end, booking.id)


def availability(*, start_time: datetime, end_time: datetime, cpu_cores: int, memory_gb: float,
                 gpu_count: int = 0, tags: Iterable[str] = ()) -> dict:
    """How many nodes could take this request in this window right now
    (a hint for the booking form; approval re-checks under lock)."""
    _validate_window(start_time, end_time, utcnow(), limits())
    need = Resources(cpu_cores, gb_to_mib(memory_gb), gpu_count)
    tags = list(tags)
    candidates = [a for a in db.session.scalars(db.select(Agent)) if placement.eligible(a, tags)]
    fitting = sum(p.fits for p in placement.place(candidates, need, start_time, end_time))
    return {"available": fitting > 0, "nodes_fitting": fitting}


def slots(*, cpu_cores: int, memory_gb: float, duration: int, gpu_count: int = 0,
          not_before: datetime | None = None, not_after: datetime | None = None,
          image: str | None = None, tags: Iterable[str] = (), count: int = 3) -> dict:
    """The earliest windows of `duration` minutes within `[not_before,
    not_after]` (default: from the first whole minute at least a minute away, so
    that a suggestion is still in the future when the student takes it, to the
    horizon) in which some node could take the request, counting repacking
    (`placement.earliest_windows`);
    the lab's answer, naming no node or booking. Raises ValidationFailed for
    a size the lab cannot hold, a duration outside the limits, or a range
    beyond the horizon or shorter than the duration."""
    image = image or session_images()[0]["name"]
    tags = list(tags)
    need = Resources(cpu_cores, gb_to_mib(memory_gb), gpu_count)
    rules = limits()
    _validate_request(need, memory_gb, image, tags, rules)
    now = utcnow()
    earliest = now.replace(second=0, microsecond=0) + timedelta(minutes=2)
    horizon = now + timedelta(days=rules["horizon_days"])
    start = max(not_before or earliest, earliest)
    end = not_after or horizon
    length = timedelta(minutes=duration)
    errors: dict[str, list[str]] = {}
    if duration < rules["min_duration_minutes"]:
        errors["duration"] = [f"A booking lasts at least {rules['min_duration_minutes']} minutes."]
    elif length > timedelta(hours=rules["max_duration_hours"]):
        errors["duration"] = [f"A booking lasts at most {rules['max_duration_hours']:g} hours."]
    if end > horizon:
        errors["not_after"] = [f"A booking must end within {rules['horizon_days']} days from now."]
    elif end - start < length:
        errors["not_after"] = ["The range is shorter than the duration (or already over)."]
    if errors:
        raise ValidationFailed("No window can be searched for like that.", errors)
    windows, complete = placement.earliest_windows(need, length, start, end, tags, image, count)
    return {"windows": [{"start_time": w.start, "end_time": w.end, "repack": w.repack} for w in windows],
            "complete": complete}


def lab_capacity(days: int = 7) -> dict:
    """Free CPU cores and GPUs of the whole lab for each hour of the next
    `days` days (the least free within the hour), from the start of the
    current hour: the booking form's availability strip. Totals only."""
    start = utcnow().replace(minute=0, second=0, microsecond=0)
    total, profile = placement.free_profile(start, days * 24)
    return {"total_cpu_cores": total.cpu_cores, "total_gpus": total.gpu_count,
            "hours": [{"start_time": at, "free_cpu_cores": max(free.cpu_cores, 0),
                       "free_gpus": max(free.gpu_count, 0)} for at, free in profile]}


def student_bookings(user: User, status: str | None, page: int, per_page: int) -> dict:
    stmt = db.select(Booking).options(joinedload(Booking.agent)).where(Booking.user_id == user.id)
    if status:
        stmt = stmt.where(Booking.status == status)
    result = paginate(stmt.order_by(Booking.start_time.desc(), Booking.id.desc()), page, per_page)
    load_pending_extensions(result["items"])
    return result


def load_pending_extensions(page: Iterable[Booking]) -> None:
    """Give the bookings of a page their `pending_extension` (what their
    `actions` and their view read) from one query for the page. Only a
    booking that holds its place can have one. (A selectinload of the
    relationship would join bookings again, by primary key, for nothing.)"""
    holding = {b.id: b for b in page if b.status in HOLDING_STATUSES}
    if not holding:
        return
    waiting = {r.booking_id: r for r in db.session.scalars(db.select(ExtensionRequest).where(
        ExtensionRequest.booking_id.in_(holding), ExtensionRequest.status == ExtensionStatus.PENDING.value))}
    for booking_id, booking in holding.items():
        set_committed_value(booking, "pending_extension", waiting.get(booking_id))


def student_booking(user: User, booking_id: int) -> Booking:
    """The student's own booking; someone else's answers NotFound, never Forbidden,
    so ids of other students' bookings cannot be probed."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.user_id != user.id:
        raise NotFound("No such booking.")
    return booking


def locked_booking(booking_id: int) -> Booking:
    """The booking, re-read and locked for the rest of the transaction."""
    stmt = db.select(Booking).where(Booking.id == booking_id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    booking = db.session.scalar(stmt.execution_options(populate_existing=True))
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def cancel_by_student(user: User, booking_id: int) -> Booking:
    """Cancel the student's own booking where the workflow lets a student
    (releasing its capacity). Raises NotFound for another's booking,
    InvalidTransition for a status the student may not cancel from."""
    with placement.capacity_transaction():
        booking = locked_booking(booking_id)
        if booking.user_id != user.id:
            raise NotFound("No such booking.")
        workflow.apply(booking, "cancel", Actor.STUDENT, user.id)
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
    """All bookings, filtered, sorted and paginated, with each one's user,
    node and approver loaded in the same query. The default sort reads its
    page from ix_bookings_start_id; the total comes from the kept status
    totals when no other filter applies, else is counted on the bookings
    alone (joined to users only to match `q`)."""
    conditions = []
    if status:
        conditions.append(Booking.status.in_(status))
    if user_id is not None:
        conditions.append(Booking.user_id == user_id)
    if agent_id is not None:
        conditions.append(Booking.agent_id == agent_id)
    if q:
        conditions.append(text_search(q, User.username))
    if start_from is not None:
        conditions.append(Booking.start_time >= start_from)
    if start_to is not None:
        conditions.append(Booking.start_time < start_to)
    if overlaps_from is not None:
        conditions.append(Booking.end_time > overlaps_from)
    if overlaps_to is not None:
        conditions.append(Booking.start_time < overlaps_to)
    stmt = (db.select(Booking).join(User, Booking.user_id == User.id).where(*conditions)
            .options(contains_eager(Booking.user), joinedload(Booking.agent),
                     joinedload(Booking.approved_by)))
    column = SORT_COLUMNS[sort]
    stmt = stmt.order_by(column.desc() if order == "desc" else column.asc(),
                         Booking.id.desc() if order == "desc" else Booking.id)
    if len(conditions) == (1 if status else 0):
        # Filtered by status at most: the kept totals answer without counting.
        total = sum(stats.booking_counts(status or workflow.STATUSES).values())
        result = paginate(stmt, page, per_page, total=total)
    else:
        count = db.select(func.count(Booking.id)).where(*conditions)
        if q:
            count = count.join(User, Booking.user_id == User.id)
        result = paginate(stmt, page, per_page, count=count)
    load_pending_extensions(result["items"])
    return result


def apply_moves(plan: placement.Repacked, for_what: str, by: Actor, actor_id: int | None) -> None:
    """Move the bookings of a repacking plan through the workflow, each
    audited as "moved from node-a to node-c to make room for …"."""
    for moved, source, target in plan.moves:
        workflow.apply(moved, "move", by, actor_id, agent_id=target.id,
                       note=f"moved from {source.name} to {target.name} to make room for {for_what}")


def _no_room(message: str, plan: placement.Repacked | None, details: dict) -> CapacityExceeded:
    if plan is not None and plan.gave_up:
        limit = current_app.config["REPACK_TIME_LIMIT_MS"]
        message += f" Repacking gave up after {limit} ms without finding room; try again or pick a node."
    details["repack"] = ("gave_up" if plan.gave_up else "no_room") if plan is not None else "not_tried"
    return CapacityExceeded(message, details)


def automatic_placement(booking: Booking) -> tuple[Agent | None, placement.Repacked | None, int]:
    """Where an approval without a named node puts `booking`, with every
    usable node locked in id order: the placement policy's node
    (`placement.place`) or, when none fits as things stand, the node that
    repacking makes room on (`placement.repack_for`; its plan says which
    bookings move). Returns (node or None, the repacking plan if one was
    tried, how many nodes were checked)."""
    usable = placement.lock_usable_agents()
    tags = booking.required_tags or []
    candidates = [a for a in usable if placement.eligible(a, tags, booking.image)]
    need = Resources.of(booking)
    placements = placement.place(candidates, need, booking.start_time, booking.end_time)
    if placements and placements[0].fits:
        return placements[0].agent, None, len(placements)
    plan = placement.repack_for(candidates, usable, need, booking.start_time, booking.end_time)
    return plan.agent, plan, len(placements)


def approve(booking_id: int, admin: User, agent_id: int | None = None,
            notes: str | None = None) -> Booking:
    """Approve a pending booking onto a node, automatically or onto `agent_id`.

    The automatic choice is the placement policy's (`placement.place`); when
    no node fits as things stand, approved bookings that have not started are
    moved to make room (`placement.repack_for`, audited per booking), with
    every usable node locked in id order. Approving onto a named node pins
    the booking there (repacking never moves it); that node is not repacked.
    Raises NotFound, InvalidTransition, CapacityExceeded when no node fits at
    every instant of the window (details.repack says whether repacking found
    no room or gave up at its time limit), Conflict for an unusable node,
    Busy on lock timeout."""
    with placement.capacity_transaction():
        booking = locked_booking(booking_id)
        workflow.check(booking, "approve", Actor.ADMIN)
        plan = None
        if agent_id is not None:
            if db.session.get(Agent, agent_id) is None:
                raise NotFound("No such node.", {"agent_id": agent_id})
            node = placement.lock_agents([agent_id])[0]
            if not placement.eligible(node):
                raise Conflict(f"Node {node.name} is {node.status} and cannot take bookings.",
                               {"agent_id": agent_id})
            if not placement.has_image(node, booking.image):
                raise Conflict(f"Node {node.name} does not have the image {booking.image}.",
                               {"agent_id": agent_id, "image": booking.image})
            placements = placement.place([node], Resources.of(booking), booking.start_time, booking.end_time)
            target = node if placements and placements[0].fits else None
            checked = len(placements)
        else:
            target, plan, checked = automatic_placement(booking)
        if target is None:
            raise _no_room(
                "No node has room for this booking for its whole window."
                if agent_id is None
                else "That node has no room for this booking for its whole window.",
                plan, {"nodes_checked": checked},
            )
        if plan is not None:
            apply_moves(plan, f"#{booking.id}", Actor.ADMIN, admin.id)
        workflow.apply(
            booking, "approve", Actor.ADMIN, admin.id,
            agent_id=target.id, approved_by_id=admin.id, approved_at=utcnow(),
            admin_notes=notes if notes is not None else booking.admin_notes,
            pinned=agent_id is not None,
        )
        db.session.commit()
    return booking


def pin(booking_id: int, admin: User, pinned: bool) -> Booking:
    """Pin an approved or active booking to its node (repacking never moves
    it), or unpin it; audited. Raises NotFound, InvalidTransition."""
    with placement.capacity_transaction():
        booking = locked_booking(booking_id)
        workflow.apply(booking, "pin", Actor.ADMIN, admin.id, pinned=pinned)
        db.session.commit()
    return booking


def evacuate(agent: Agent, usable: list[Agent], actor_id: int | None) -> int:
    """Move the node's future bookings that may move (`placement.movable`)
    onto the other `usable` nodes (locked by the caller in id order), by the
    placement policy or, failing that, by repacking; called when the node
    goes into maintenance. Bookings that find no room stay (and show as at
    risk). Returns how many moved."""
    now = utcnow()
    others = [a for a in usable if a.id != agent.id]
    upcoming = db.session.scalars(db.select(Booking).where(
        Booking.agent_id == agent.id, placement.holding(now), Booking.start_time > now,
    ).order_by(Booking.start_time, Booking.id))
    by, moved = (Actor.ADMIN if actor_id is not None else Actor.SCHEDULER), 0
    for booking in [b for b in upcoming if placement.movable(b, now)]:
        need = Resources.of(booking)
        candidates = [a for a in others if placement.eligible(a, booking.required_tags or [], booking.image)]
        placements = placement.place(candidates, need, booking.start_time, booking.end_time)
        if placements and placements[0].fits:
            target = placements[0].agent
        else:
            plan = placement.repack_for(candidates, others, need, booking.start_time, booking.end_time,
                                        exclude_booking_id=booking.id, now=now)
            if plan.agent is None:
                continue
            apply_moves(plan, f"#{booking.id} from {agent.name} (maintenance)", by, actor_id)
            target = plan.agent
        workflow.apply(booking, "move", by, actor_id, agent_id=target.id,
                       note=f"moved from {agent.name} to {target.name}: {agent.name} went into maintenance")
        moved += 1
    return moved


def reject(booking_id: int, admin: User, reason: str) -> Booking:
    """Reject a pending booking with a reason the student will see."""
    with placement.capacity_transaction():
        booking = locked_booking(booking_id)
        workflow.apply(booking, "reject", Actor.ADMIN, admin.id, rejection_reason=reason)
        db.session.commit()
    return booking


def extend(booking_id: int, admin: User, end_time: datetime | None = None,
           minutes: int | None = None) -> Booking:
    """Move the end of an approved or active booking later, on the same node.

    Re-checks the horizon, the node's capacity for the added time (moving
    other bookings that have not started off the node if need be, as
    approval does) and the student's other bookings. Raises
    InvalidTransition, ValidationFailed, CapacityExceeded, Conflict."""
    with placement.capacity_transaction():
        booking = locked_booking(booking_id)
        workflow.check(booking, "extend", Actor.ADMIN)
        new_end = end_time if end_time is not None else booking.end_time + timedelta(minutes=minutes)
        now = utcnow()
        errors: dict[str, list[str]] = {}
        if new_end <= booking.end_time:
            errors["end_time"] = ["Must be later than the current end."]
        else:
            _check_horizon(new_end, now, limits(), errors)
        if errors:
            raise ValidationFailed("The new end is not allowed.", errors)
        _check_student_overlap(booking.user_id, booking.end_time, new_end, booking.id)
        usable = placement.lock_usable_agents(also=booking.agent_id)
        agent = next(a for a in usable if a.id == booking.agent_id)
        need, window_start = Resources.of(booking), max(booking.start_time, now)
        plan = None
        if not placement.fits(agent, need, window_start, new_end, exclude_booking_id=booking.id):
            plan = placement.repack_for([agent], usable, need, window_start, new_end,
                                        exclude_booking_id=booking.id, now=now)
            if plan.agent is None:
                raise _no_room(
                    f"Node {agent.name} has no room to extend this booking to {new_end.isoformat()}.",
                    plan, {})
            apply_moves(plan, f"extending #{booking.id}", Actor.ADMIN, admin.id)
        workflow.apply(booking, "extend", Actor.ADMIN, admin.id, end_time=new_end)
        db.session.commit()
    return booking


def cancel_by_admin(booking_id: int, admin: User, reason: str | None = None) -> Booking:
    """Cancel a booking where the workflow lets an admin. An active
    booking's container is stopped by the lifecycle, which watches cancelled
    bookings."""
    with placement.capacity_transaction():
        booking = locked_booking(booking_id)
        changes = {"admin_notes": reason} if reason else {}
        workflow.apply(booking, "cancel", Actor.ADMIN, admin.id, **changes)
        db.session.commit()
    return booking


def cancel_open_bookings_of(user: User, admin: User) -> int:
    """Cancel a disabled account's bookings that have not started (their
    running sessions are left to the admin); each in its own transaction,
    audited as the admin's cancel."""
    not_started = [s for s in OPEN_STATUSES if s != workflow.BookingStatus.ACTIVE]
    ids = list(db.session.scalars(db.select(Booking.id).where(
        Booking.user_id == user.id, Booking.status.in_(not_started))))
    for booking_id in ids:
        with placement.capacity_transaction():
            booking = locked_booking(booking_id)
            if booking.status in not_started:
                workflow.apply(booking, "cancel", Actor.ADMIN, admin.id,
                               admin_notes="Cancelled because the account was disabled.")
            db.session.commit()
    return len(ids)


BULK_ACTIONS = {
    "approve": lambda booking_id, admin, args: approve(booking_id, admin, args.get("agent_id")),
    "reject": lambda booking_id, admin, args: reject(booking_id, admin, args["reason"]),
    "extend": lambda booking_id, admin, args: extend(booking_id, admin, args.get("end_time"),
                                                     args.get("minutes")),
    "cancel": lambda booking_id, admin, args: cancel_by_admin(booking_id, admin, args.get("reason")),
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
