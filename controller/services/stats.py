"""Figures for the admin dashboard."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from sqlalchemy import case, func

from controller.extensions import db
from controller.models import Agent, AgentStatus, Booking, BookingTotal, epoch_seconds, utcnow
from controller.services import placement
from controller.services.placement import Resources
from controller.services.workflow import BookingStatus

UTC_MIDNIGHT = time(0, 0)


def _share(used: float, total: float) -> float:
    return round(used / total, 4) if total else 0.0


def _bookable_total(nodes: list[Agent]) -> Resources:
    total = Resources()
    for node in nodes:
        total = total + Resources.of(node)
    return total


def booking_counts(statuses: Iterable[str] | None = None) -> dict[str, int]:
    """How many bookings are in each of `statuses` (default: every status).
    The final statuses' totals are read from `booking_totals` where the
    database keeps them (Postgres); the rest are counted from the status
    index, which holds few of them (bookings not yet over)."""
    statuses = list(statuses if statuses is not None else (s.value for s in BookingStatus))
    kept = dict(db.session.execute(
        db.select(BookingTotal.status, BookingTotal.n).where(BookingTotal.status.in_(statuses))).all())
    counted = [s for s in statuses if s not in kept]
    if counted:
        kept.update(db.session.execute(
            db.select(Booking.status, func.count()).where(Booking.status.in_(counted))
            .group_by(Booking.status)).all())
    return {status: kept.get(status, 0) for status in statuses}


def _clip(value, low, high):
    """`value` clipped to `[low, high]`, in SQL."""
    return case((value < low, low), (value > high, high), else_=value)


def daily_utilisation(nodes: list[Agent], day_start: datetime, days: int) -> list[dict]:
    """For each UTC day, the share of the nodes' capacity-hours that approved
    and active bookings hold. Summed in the database in one query over the
    bookings `placement.holding` finds in the window."""
    total = _bookable_total(nodes)
    window_end = day_start + timedelta(days=days)
    held = db.select(
        Booking.cpu_cores.label("cpu"), func.round(Booking.memory_gb * 1024).label("mem"),
        Booking.gpu_count.label("gpu"), epoch_seconds(Booking.start_time).label("lo"),
        epoch_seconds(Booking.end_time).label("hi"),
    ).where(Booking.agent_id.in_([n.id for n in nodes]), placement.holding(day_start, window_end)).subquery()
    sums = []
    for offset in range(days):
        lo = (day_start + timedelta(days=offset)).timestamp()
        hi = lo + 86400
        # Seconds of the booking inside the day (0 when it misses the day).
        seconds = _clip(held.c.hi, lo, hi) - _clip(held.c.lo, lo, hi)
        sums += [func.sum(column * seconds) for column in (held.c.cpu, held.c.mem, held.c.gpu)]
    row = db.session.execute(db.select(*sums)).one()
    series = []
    for offset in range(days):
        cpu, mem, gpu = (float(v or 0) / 3600 for v in row[3 * offset:3 * offset + 3])
        series.append({
            "date": (day_start + timedelta(days=offset)).date().isoformat(),
            "cpu": _share(cpu, total.cpu_cores * 24),
            "memory": _share(mem, total.memory_mib * 24),
            "gpu": _share(gpu, total.gpu_count * 24),
        })
    return series


def dashboard() -> dict:
    """Booking counts by status, node counts by status, utilisation now and
    per day over the next 7 days, over the nodes not in maintenance."""
    now = utcnow()
    counts = booking_counts()
    nodes = list(db.session.scalars(db.select(Agent)))
    node_counts = dict.fromkeys((s.value for s in AgentStatus), 0)
    for node in nodes:
        node_counts[node.status] += 1
    bookable = [n for n in nodes if n.status != AgentStatus.MAINTENANCE]
    total = _bookable_total(bookable)
    used = Resources()
    for agent_id, usage in placement.usage_at(now).items():
        if any(n.id == agent_id for n in bookable):
            used = used + usage
    today = datetime.combine(now.date(), UTC_MIDNIGHT, tzinfo=now.tzinfo)
    return {
        "bookings": counts,
        "agents": {"total": len(nodes), **node_counts},
        "utilisation_now": {
            "cpu": _share(used.cpu_cores, total.cpu_cores),
            "memory": _share(used.memory_mib, total.memory_mib),
            "gpu": _share(used.gpu_count, total.gpu_count),
        },
        "utilisation_next_7_days": daily_utilisation(bookable, today, 7),
    }
