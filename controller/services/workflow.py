"""The booking workflow: the one place that says how a booking may change.

It holds the statuses, the transition table (`MOVES`), who may make each
move (a student on their own booking, an admin, the scheduler), the columns
each move may set, and the audit row each move leaves. Every change to a
booking after its creation goes through `apply`; routes, scheduler jobs,
bulk actions and account changes call the services that call it, and none
of them sets `status` or a lifecycle column itself. A move that is not in
the table cannot happen: `apply` raises `InvalidTransition` for it.

`actions_for` tells a caller which of the user-facing moves they may make
on a booking now; the API returns that with every booking, and the web UI
draws its buttons from it.

Adding a status means: a member of `BookingStatus`, the moves into and out
of it in `MOVES`, a migration for the `ck_bookings_status` constraint, and
a label in the web UI.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from controller.errors import InvalidTransition
from controller.models import Booking, ExtensionStatus, utcnow
from controller.services import audit


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    ACTIVE = "active"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"


STATUSES = tuple(s.value for s in BookingStatus)
# Bookings in these states hold capacity on their node (see placement.holding).
HOLDING_STATUSES = (BookingStatus.APPROVED, BookingStatus.ACTIVE)
# A student may hold only one booking in these states at any instant.
OPEN_STATUSES = (BookingStatus.PENDING, BookingStatus.APPROVED, BookingStatus.ACTIVE)
# No move leads out of these; a container a booking still has must be stopped.
TERMINAL_STATUSES = (BookingStatus.COMPLETED, BookingStatus.REJECTED, BookingStatus.CANCELLED,
                     BookingStatus.FAILED)


class Actor(enum.StrEnum):
    STUDENT = "student"  # the booking's owner
    ADMIN = "admin"
    SCHEDULER = "scheduler"  # the controller's own jobs
    POLICY = "policy"  # a policy's auto-approval (services/policies.py), no person


START_STATE = frozenset({"start_attempts", "next_start_at", "last_error"})
STOP_STATE = frozenset({"stop_attempts", "next_stop_at", "last_error"})
CONTAINER = frozenset({"container_name", "container_id", "access_host", "access_port"})
# Columns whose values never go into an audit row.
SECRET_COLUMNS = frozenset({"session_secret"})


def _window_not_over(booking: Booking, now: datetime) -> str | None:
    return "The booking's window has already passed." if booking.end_time <= now else None


def _student_may_extend(booking: Booking, now: datetime) -> str | None:
    """The owner asks for more time while the window lasts, one request at a
    time: not while one waits for an admin (`Booking.pending_extension`)."""
    if booking.pending_extension is not None:
        return "An extension request for this booking is already waiting for an admin."
    return _window_not_over(booking, now)


def _not_pinned_or_started(booking: Booking, now: datetime) -> str | None:
    if booking.pinned:
        return "The booking is pinned to its node."
    return "The booking has started." if booking.start_time <= now else None


@dataclass(frozen=True)
class Move:
    """One row of the transition table."""

    name: str
    by: Actor
    sources: frozenset[BookingStatus]
    target: BookingStatus | None  # None: the status stays as it is
    sets: frozenset[str] = frozenset()
    # Why the move cannot happen now although the status allows it, or None.
    guard: Callable[[Booking, datetime], str | None] | None = None

    def blocked(self, booking: Booking, now: datetime) -> str | None:
        return self.guard(booking, now) if self.guard else None

    @property
    def audit_action(self) -> str:
        """The name the audit trail shows: what happened, in the past tense."""
        return PAST_TENSE.get(self.name, self.name)


def _move(name, by, sources, target=None, sets=(), guard=None) -> Move:
    return Move(name, by, frozenset(sources), target, frozenset(sets), guard)


S = BookingStatus
MOVES: tuple[Move, ...] = (
    # People.
    _move("approve", Actor.ADMIN, {S.PENDING}, S.APPROVED,
          {"agent_id", "approved_by_id", "approved_at", "admin_notes", "pinned"}, guard=_window_not_over),
    _move("reject", Actor.ADMIN, {S.PENDING}, S.REJECTED, {"rejection_reason"}),
    _move("cancel", Actor.STUDENT, {S.PENDING, S.APPROVED}, S.CANCELLED),
    _move("cancel", Actor.ADMIN, {S.PENDING, S.APPROVED, S.ACTIVE}, S.CANCELLED, {"admin_notes"}),
    _move("extend", Actor.ADMIN, {S.APPROVED, S.ACTIVE}, None, {"end_time"}),
    # A student's extension granted at once within their policy (else it
    # waits as an extension request for an admin's extend).
    _move("extend", Actor.STUDENT, {S.APPROVED, S.ACTIVE}, None, {"end_time"}, guard=_student_may_extend),
    # A booking inside its policy's auto-approval bounds, placed automatically.
    _move("auto_approve", Actor.POLICY, {S.PENDING}, S.APPROVED,
          {"agent_id", "approved_at", "approved_by_policy_id"}, guard=_window_not_over),
    # Approval rounds (services/approval_rounds.py): a booking the policy would
    # approve is held for the round that decides it (`decide_at`); a round
    # that does not take it leaves it pending for an admin (`decide_at` None).
    _move("hold_for_round", Actor.POLICY, {S.PENDING}, None, {"decide_at"}, guard=_window_not_over),
    _move("leave_for_admin", Actor.POLICY, {S.PENDING}, None, {"decide_at"}),
    # Repacking re-places a booking that has not started onto another node to
    # make room (see placement.repack_for); its window, size, image and tags stay.
    _move("move", Actor.ADMIN, {S.APPROVED}, None, {"agent_id"}, guard=_not_pinned_or_started),
    _move("move", Actor.SCHEDULER, {S.APPROVED}, None, {"agent_id"}, guard=_not_pinned_or_started),
    _move("pin", Actor.ADMIN, {S.APPROVED, S.ACTIVE}, None, {"pinned"}),
    # The scheduler starting a session: a fresh secret first, kept through retries.
    _move("session_prepared", Actor.SCHEDULER, {S.APPROVED}, None, {"session_secret"}),
    # Its container made ahead of the start, paused (see lifecycle.prepare_sessions).
    _move("container_prepared", Actor.SCHEDULER, {S.APPROVED}, None, CONTAINER),
    _move("started", Actor.SCHEDULER, {S.APPROVED}, S.ACTIVE, {"started_at", *CONTAINER, *START_STATE}),
    _move("start_retry", Actor.SCHEDULER, {S.APPROVED}, None, START_STATE),
    _move("start_failed", Actor.SCHEDULER, {S.APPROVED}, S.FAILED, {"failure_reason", *START_STATE}),
    _move("expired", Actor.SCHEDULER, {S.APPROVED}, S.FAILED, {"failure_reason"}),
    # A start (or a prepare) that answered after the booking was cancelled:
    # keep the container's name so the stop below removes it.
    _move("started_late", Actor.SCHEDULER, {S.CANCELLED, S.FAILED}, None, CONTAINER),
    # The scheduler stopping a session, and what it finds on the nodes.
    _move("completed", Actor.SCHEDULER, {S.ACTIVE}, S.COMPLETED, {"stopped_at", *STOP_STATE}),
    _move("died", Actor.SCHEDULER, {S.ACTIVE}, S.FAILED, {"failure_reason", "stopped_at"}),
    _move("stop_retry", Actor.SCHEDULER, {S.ACTIVE, *TERMINAL_STATUSES}, None, STOP_STATE),
    _move("container_stopped", Actor.SCHEDULER, set(TERMINAL_STATUSES), None, {"stopped_at", *STOP_STATE}),
)
del S

# The moves people make, in the order the web UI shows them.
USER_ACTIONS = ("approve", "reject", "extend", "cancel")
PAST_TENSE = {"approve": "approved", "reject": "rejected", "extend": "extended", "cancel": "cancelled",
              "move": "moved", "pin": "pinned", "auto_approve": "auto_approved",
              "hold_for_round": "held_for_round", "leave_for_admin": "left_for_admin"}
_BY_KEY: dict[tuple[str, Actor], Move] = {(m.name, m.by): m for m in MOVES}


def move_for(name: str, by: Actor) -> Move:
    """The table row for `name` made by `by`; InvalidTransition when there is none."""
    move = _BY_KEY.get((name, by))
    if move is None:
        raise InvalidTransition(f"A {by.value} cannot {name} a booking.", {"action": name})
    return move


def check(booking: Booking, name: str, by: Actor, now: datetime | None = None) -> Move:
    """The move, when `by` may make it on `booking` now; raises
    InvalidTransition (409) naming the status otherwise."""
    move = move_for(name, by)
    if booking.status not in move.sources:
        raise InvalidTransition(
            f"A booking that is {booking.status} cannot be {move.audit_action.replace('_', ' ')}.",
            {"status": booking.status, "action": name},
        )
    reason = move.blocked(booking, now or utcnow())
    if reason:
        raise InvalidTransition(reason, {"status": booking.status, "action": name})
    return move


def apply(booking: Booking, name: str, by: Actor, actor_id: int | None, note: str | None = None,
          **changes) -> Booking:
    """Make move `name` on `booking` as `by` (the user `actor_id`, None for
    the scheduler), setting `changes`, with an audit row in the same
    transaction (its `after` carries `note`, e.g. why a booking moved).
    Raises InvalidTransition when the table does not allow it; a column the
    move does not own is a programming error (ValueError)."""
    move = check(booking, name, by)
    stray = set(changes) - move.sets
    if stray:
        raise ValueError(f"move {name!r} does not set {sorted(stray)}")
    before = _snapshot(booking, changes)
    leaves_holding = (move.target is not None and booking.status in HOLDING_STATUSES
                      and move.target not in HOLDING_STATUSES)
    if move.target is not None:
        booking.status = move.target.value
    for column, value in changes.items():
        setattr(booking, column, value)
    after = _snapshot(booking, changes)
    if note:
        after["note"] = note
    audit.record("booking", booking.id, move.audit_action, actor_id, before, after)
    if leaves_holding:
        _lapse_waiting_extension(booking, move, actor_id)
    return booking


def _lapse_waiting_extension(booking: Booking, move: Move, actor_id: int | None) -> None:
    """A booking that stops holding its place (cancelled, completed, failed)
    can no longer be extended: its request for more time still waiting for
    an admin lapses, audited, so no admin is offered it."""
    request = booking.pending_extension
    if request is None:
        return
    before = audit.extension_request_snapshot(request)
    request.status, request.decided_at = ExtensionStatus.LAPSED.value, utcnow()
    request.decision_reason = f"The booking is {booking.status}: it can no longer be extended."
    after = {**audit.extension_request_snapshot(request), "booking_move": move.audit_action}
    audit.record("extension_request", request.id, "lapsed", actor_id, before, after)


def create(values: dict, actor_id: int) -> audit.Row:
    """A new booking enters the workflow as pending, asked for by `actor_id`:
    `values`, the columns about to be inserted, get the status, and the audit
    row it enters with is returned, to be written with the booking
    (`audit.insert_recorded`)."""
    values["status"] = BookingStatus.PENDING.value
    entering = Booking(status=values["status"], start_time=values["start_time"], end_time=values["end_time"])
    return audit.Row("booking", "created", actor_id, None, _snapshot(entering, {}))


def actions_for(booking: Booking, by: Actor, now: datetime | None = None) -> list[str]:
    """The user-facing moves `by` may make on `booking` now, e.g.
    `["approve", "reject", "cancel"]` for an admin on a pending booking."""
    now = now or utcnow()
    names = []
    for name in USER_ACTIONS:
        move = _BY_KEY.get((name, by))
        if move and booking.status in move.sources and not move.blocked(booking, now):
            names.append(name)
    return names


def _json(column: str, value):
    if column in SECRET_COLUMNS:
        return "(set)" if value else None
    return value.isoformat() if isinstance(value, datetime) else value


def _snapshot(booking: Booking, changes: dict) -> dict:
    """The booking's status, node and window, and the columns a move sets
    (a secret only as whether it is set)."""
    snapshot = audit.booking_snapshot(booking)
    snapshot.update({column: _json(column, getattr(booking, column)) for column in changes})
    return snapshot
