"""Time-aware node capacity: what a node holds at every instant of a window.

A booking holds its CPU, memory and GPUs on its node over `[start, end)` while
it is approved or active, so back-to-back bookings share capacity and a
one-minute overlap does not. Memory is compared in whole MiB to keep float
sums exact.

Checks that lead to a write run under `node_locks`: on Postgres the node rows
are locked `FOR UPDATE` in id order inside the caller's transaction (with a
`lock_timeout`), so two approvals onto the same node serialise and the second
sees the first's booking. SQLite has no row locks; there a process-wide lock
serialises capacity changes, which is enough for the single-process embedded
default.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from controller.errors import Busy
from controller.extensions import db
from controller.models import HOLDING_STATUSES, Agent, AgentStatus, Booking

_sqlite_lock = threading.RLock()
# lock_not_available, serialization_failure, deadlock_detected
RETRYABLE_PGCODES = {"55P03", "40001", "40P01"}


def gb_to_mib(memory_gb: float) -> int:
    return round(memory_gb * 1024)


@dataclass(frozen=True)
class Resources:
    cpu_cores: int = 0
    memory_mib: int = 0
    gpu_count: int = 0

    @classmethod
    def of(cls, item) -> Resources:
        """The resources a booking asks for, or a node has."""
        return cls(item.cpu_cores, gb_to_mib(item.memory_gb), item.gpu_count or 0)

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_cores + other.cpu_cores,
            self.memory_mib + other.memory_mib,
            self.gpu_count + other.gpu_count,
        )

    def __sub__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_cores - other.cpu_cores,
            self.memory_mib - other.memory_mib,
            self.gpu_count - other.gpu_count,
        )

    def within(self, total: Resources) -> bool:
        return (
            self.cpu_cores <= total.cpu_cores
            and self.memory_mib <= total.memory_mib
            and self.gpu_count <= total.gpu_count
        )

    def utilisation(self, total: Resources) -> float:
        """The most used resource's share of the node (GPUs count only on GPU nodes)."""
        shares = [self.cpu_cores / total.cpu_cores, self.memory_mib / total.memory_mib]
        if total.gpu_count:
            shares.append(self.gpu_count / total.gpu_count)
        return max(shares)


def usage_profile(
    bookings: Iterable[Booking], start: datetime, end: datetime
) -> Iterator[tuple[datetime, Resources]]:
    """Yield `(instant, usage)` at every instant in `[start, end)` where the
    summed usage of `bookings` changes (and at `start`). Between two yielded
    instants the usage is constant, so checking these points checks them all."""
    events: list[tuple[datetime, int, Resources]] = []
    for booking in bookings:
        lo, hi = max(booking.start_time, start), min(booking.end_time, end)
        if lo >= hi:
            continue
        need = Resources.of(booking)
        events.append((lo, 1, need))
        events.append((hi, 0, need))  # 0 sorts ends before starts at the same instant
    events.sort(key=lambda event: (event[0], event[1]))
    usage = Resources()
    index = 0
    instant = start
    while True:
        while index < len(events) and events[index][0] <= instant:
            _, is_start, need = events[index]
            usage = usage + need if is_start else usage - need
            index += 1
        if instant < end:
            yield instant, usage
        if index >= len(events):
            return
        instant = events[index][0]
        if instant >= end:
            return


@dataclass(frozen=True)
class Placement:
    agent: Agent
    fits: bool
    peak_utilisation: float  # after placing the request


def evaluate(agent: Agent, holdings: Iterable[Booking], need: Resources,
             start: datetime, end: datetime) -> Placement:
    """Whether `need` fits on `agent` at every instant of `[start, end)` next to
    `holdings`, and the node's peak utilisation over the window if placed."""
    total = Resources.of(agent)
    fits, peak = True, 0.0
    for _, usage in usage_profile(holdings, start, end):
        after = usage + need
        fits = fits and after.within(total)
        peak = max(peak, after.utilisation(total))
    return Placement(agent, fits, peak)


def holdings(agent_ids: list[int], start: datetime, end: datetime,
             exclude_booking_id: int | None = None) -> dict[int, list[Booking]]:
    """Approved and active bookings on these nodes overlapping `[start, end)`."""
    stmt = db.select(Booking).where(
        Booking.agent_id.in_(agent_ids),
        Booking.status.in_([s.value for s in HOLDING_STATUSES]),
        Booking.start_time < end,
        Booking.end_time > start,
    )
    if exclude_booking_id is not None:
        stmt = stmt.where(Booking.id != exclude_booking_id)
    by_agent: dict[int, list[Booking]] = {agent_id: [] for agent_id in agent_ids}
    for booking in db.session.scalars(stmt):
        by_agent[booking.agent_id].append(booking)
    return by_agent


def eligible(agent: Agent, required_tags: Iterable[str] = ()) -> bool:
    """A node can take new bookings unless it is in maintenance, or offline
    with no way to wake it; it must carry every required tag."""
    if agent.status == AgentStatus.MAINTENANCE:
        return False
    if agent.status == AgentStatus.OFFLINE and not agent.wakeable:
        return False
    return set(required_tags) <= set(agent.tags or [])


def place(candidates: list[Agent], need: Resources, start: datetime, end: datetime,
          exclude_booking_id: int | None = None) -> list[Placement]:
    """Evaluate every candidate node; the best fitting placement comes first
    (lowest peak utilisation after placing, then lowest id)."""
    if not candidates:
        return []
    held = holdings([agent.id for agent in candidates], start, end, exclude_booking_id)
    placements = [evaluate(agent, held[agent.id], need, start, end) for agent in candidates]
    return sorted(placements, key=lambda p: (not p.fits, p.peak_utilisation, p.agent.id))


def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def lock_agents(agent_ids: Iterable[int]) -> list[Agent]:
    """Lock these node rows for the rest of the transaction (in id order, so
    two transactions never wait on each other in a cycle) and return them."""
    ids = sorted(set(agent_ids))
    if not ids:
        return []
    stmt = db.select(Agent).where(Agent.id.in_(ids)).order_by(Agent.id)
    if _is_postgres():
        timeout = int(current_app.config["DB_LOCK_TIMEOUT_MS"])
        db.session.execute(text(f"SET LOCAL lock_timeout = '{timeout}ms'"))
        stmt = stmt.with_for_update()
    return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


@contextmanager
def capacity_transaction() -> Iterator[None]:
    """Run a capacity-changing unit of work: serialised on SQLite; rolled back
    whole when anything raises, with Postgres lock timeouts, serialisation
    failures and deadlocks turned into a retryable `Busy` (409)."""
    guard = _sqlite_lock if not _is_postgres() else None
    if guard is not None:
        guard.acquire()
    try:
        yield
    except DBAPIError as exc:
        db.session.rollback()
        if getattr(exc.orig, "pgcode", None) in RETRYABLE_PGCODES:
            raise Busy("The node is busy with another change; try again.") from exc
        raise
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if guard is not None:
            guard.release()
