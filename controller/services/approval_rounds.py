"""Approval rounds: auto-approvals decided together, a while before the start.

Approving each request the moment it arrives cannot do better than "take it
if it fits": a large request taken on Monday may block three small ones that
arrive on Tuesday for the same afternoon, and a chain of small ones may leave
no node whole for a large one. Replayed weeks (bench/replay.py) put that
ceiling at about 94 % of the offline optimum's count and 92 % of its
core-hours, whatever the placement rule. Deciding the requests that start
later together, closer to their start, when more of the competing requests
are known, closes most of that gap.

With APPROVAL_MODE=rounds (the default, `on_arrival`, approves at once as
before):

- A booking its policy would approve by itself (`policies.auto_approves`)
  that starts more than APPROVAL_DECIDE_HOURS from now is held, pending, for
  the round at `decide_at`: the last round boundary (every
  APPROVAL_ROUND_MINUTES, counted from midnight UTC) at least
  APPROVAL_DECIDE_HOURS before its start. Its owner sees that time
  (`decided_by`). Others are approved at once, as before, and so are small
  ones (at most APPROVAL_AT_ONCE_MAX_CORES cores, no GPU), which rarely
  crowd anything out: most students get their answer at once.
- A round (`run_round`, the scheduler's `approval_round` job) decides the
  held bookings that are due, together with every other pending booking the
  policies would approve that starts within APPROVAL_ROUND_LOOKAHEAD_HOURS
  after the due ones end: one exact selection (`placement.choose_batch`,
  CP-SAT, capped at APPROVAL_ROUND_TIME_LIMIT_MS) keeps every approved
  booking (re-placing those that have not started if that makes room) and
  takes the requests of the largest total weight, a request weighing
  100 + APPROVAL_ROUND_CORE_HOUR_WEIGHT x its core-hours. The due ones it
  takes are approved; the due ones it does not are left pending for an
  admin, and later rounds may still take them. The others stay held for
  their own round: they only counted so as not to be crowded out.
- The automatic retry (`bookings.retry_auto_approvals`) leaves all this to
  the rounds.

Every change goes through the workflow (hold_for_round, leave_for_admin,
auto_approve, move), audited, inside one transaction with every usable node
locked in id order, as any approval.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy.orm import selectinload

from controller.config import approval_settings
from controller.errors import Busy, InvalidTransition
from controller.extensions import db
from controller.models import Booking, Policy, utcnow
from controller.services import placement, policies, workflow
from controller.services.workflow import Actor, BookingStatus

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def clock() -> datetime:
    """Now, for deciding what is held and what is due (a replay of a past or
    future week replaces it with its own clock)."""
    return utcnow()


def settings() -> dict:
    """The approval-round settings, checked (`config.approval_settings`).
    Raises ConfigError naming the setting that is wrong."""
    return approval_settings(current_app.config)


def rounds_on() -> bool:
    return settings()["mode"] == "rounds"


def decide_at(start: datetime, now: datetime, rules: dict | None = None) -> datetime | None:
    """When the round that decides a booking starting at `start` runs: the
    last round boundary at least APPROVAL_DECIDE_HOURS before `start`; None
    when that is not after `now` (decided at once) or rounds are off."""
    rules = rules or settings()
    if rules["mode"] != "rounds":
        return None
    step = timedelta(minutes=rules["round_minutes"])
    latest = start - timedelta(hours=rules["decide_hours"])
    boundary = EPOCH + step * math.floor((latest - EPOCH) / step)
    return boundary if boundary > now else None


def weight(booking: Booking, rules: dict) -> int:
    """What taking `booking` is worth to a round: every request 100, plus its
    core-hours times APPROVAL_ROUND_CORE_HOUR_WEIGHT (0: the count only)."""
    hours = (booking.end_time - booking.start_time).total_seconds() / 3600
    return 100 + round(rules["core_hour_weight"] * booking.cpu_cores * hours)


def hold_for_round(booking: Booking) -> bool:
    """For a new pending booking its policy approves by itself: hold it for
    its round (`decide_at`, audited) and return True; False when it starts
    too soon for one, is small (at most APPROVAL_AT_ONCE_MAX_CORES cores, no
    GPU), or rounds are off: `bookings.create_booking` then
    approves it at once (`approve_by_policy`). Also True when it is no
    longer pending (nothing left to approve)."""
    rules = settings()
    if booking.cpu_cores <= rules["at_once_max_cores"] and not booking.gpu_count:
        return False  # small: decided at once
    when = decide_at(booking.start_time, clock(), rules)
    if when is None:
        return False
    try:
        with placement.capacity_transaction():
            locked = db.session.scalars(db.select(Booking).where(Booking.id == booking.id).with_for_update()
                                        .execution_options(populate_existing=True)).one()
            if locked.status == BookingStatus.PENDING:
                workflow.apply(locked, "hold_for_round", Actor.POLICY, None, decide_at=when,
                               note=f"decided by the approval round at {when.isoformat()}")
            db.session.commit()
    except (Busy, InvalidTransition):
        db.session.rollback()  # left pending for an admin, as when no node fits
    return True


def _approvable(bookings: list[Booking]) -> dict[int, Policy]:
    """The policy of each booking its owner's policy would approve by itself."""
    chosen, by_policy_id = {}, {}
    for booking in bookings:
        key = booking.user.policy_id
        if key not in by_policy_id:  # many students share a policy: read each once
            by_policy_id[key] = policies.policy_for(booking.user)
        policy = by_policy_id[key]
        if policies.auto_approves(policy, booking):
            chosen[booking.id] = policy
    return chosen


@dataclass
class _Round:
    """What one round decides over, read from the database."""

    due: list[Booking]  # held, their round has come: approved or left for an admin
    waiting: list[Booking]  # pending, not held: approved if taken, else left as they are
    requests: list[Booking]  # those the policies would approve, with the held ones in reach
    policy_of: dict[int, Policy]
    problem: placement.BatchProblem


def _read_round(rules: dict, now: datetime, usable: list, lock: bool) -> _Round | None:
    """The round at `now`: None when nothing is due. With `lock`, the due and
    waiting bookings' rows are locked (bookings before nodes, the order an
    approval takes them)."""
    is_due = ((Booking.status == BookingStatus.PENDING) & Booking.decide_at.is_not(None)
              & (Booking.decide_at <= now))

    def read(stmt, lock: bool = lock):
        stmt = stmt.options(selectinload(Booking.user)).order_by(Booking.id)  # their policies next
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return db.session.scalars(stmt).all()

    due = read(db.select(Booking).where(is_due))
    if not due:
        return None
    horizon = max(b.end_time for b in due) + timedelta(hours=rules["lookahead_hours"])
    in_reach = ((Booking.status == BookingStatus.PENDING) & (Booking.start_time > now)
                & (Booking.start_time < horizon) & Booking.id.not_in([b.id for b in due]))
    waiting = read(db.select(Booking).where(in_reach, Booking.decide_at.is_(None)))
    held = read(db.select(Booking).where(in_reach, Booking.decide_at.is_not(None)), lock=False)
    if lock:
        usable = placement.lock_usable_agents()
    candidates = [*(b for b in due if b.start_time > now), *waiting, *held]
    policy_of = _approvable(candidates)
    requests = [b for b in candidates if b.id in policy_of]
    return _Round(due, waiting, requests, policy_of, placement.batch_problem(usable, requests, now))


def run_round(now: datetime | None = None) -> dict:
    """Decide the held bookings that are due (`decide_at` <= now), as the
    module says: approve the ones the round's selection takes, leave the rest
    pending for an admin. Pending bookings already left for an admin (or not
    placed when they arrived) that the policy would approve are taken too
    when the selection finds them room. Nothing when rounds are off, the
    lab's auto-approval is off, or nothing is due.

    The selection is computed without locks (it may take up to
    APPROVAL_ROUND_TIME_LIMIT_MS); then, in one transaction with the
    bookings and every usable node locked, the same state is read again and
    the answer applied only if nothing changed meanwhile (else nothing is
    applied, `{"changed": True}`, and the next run decides again). Returns
    counts for the job's record, with how long the locks were held
    (`locked_ms`). Raises ConfigError for bad settings; Busy
    when a lock times out."""
    rules = settings()
    if rules["mode"] != "rounds" or not policies.auto_approval_enabled():
        return {}
    now = now or clock()
    first = _read_round(rules, now, placement.usable_agents(), lock=False)
    if first is None:
        db.session.rollback()
        return {}
    weights = {b.id: weight(b, rules) for b in first.requests}
    choice = placement.choose_batch(first.problem, weights, seconds=rules["time_limit_ms"] / 1000)
    db.session.rollback()  # no transaction held open while the solver ran
    approved = left = moved = 0
    locked_at = time.perf_counter()
    with placement.capacity_transaction():
        again = _read_round(rules, now, [], lock=True)
        if again is None or again.problem.inputs != first.problem.inputs:
            db.session.rollback()
            return {"changed": True}
        booking_of = {b.id: b for b in again.problem.moving.values()}
        agents = again.problem.agents
        for booking, source, target in choice.moves:
            workflow.apply(booking_of[booking.id], "move", Actor.SCHEDULER, None, agent_id=target.id,
                           note=f"moved from {source.name} to {target.name} by the approval round")
            moved += 1
        for booking in [*again.due, *again.waiting]:
            target = choice.taken.get(booking.id)
            if target is not None:
                workflow.apply(booking, "auto_approve", Actor.POLICY, None, agent_id=agents[target.id].id,
                               approved_at=utcnow(), approved_by_policy_id=again.policy_of[booking.id].id)
                approved += 1
            elif booking.decide_at is not None:
                workflow.apply(booking, "leave_for_admin", Actor.POLICY, None, decide_at=None,
                               note="the approval round had no room for it; it waits for an admin")
                left += 1
        db.session.commit()
    result = {"approved": approved, "left_for_admin": left, "moved": moved,
              "locked_ms": round((time.perf_counter() - locked_at) * 1000, 1)}
    if choice.gave_up:
        result["gave_up"] = True
    return result
