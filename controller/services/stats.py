"""Figures for the admin dashboard."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func

from controller.extensions import db
from controller.models import Agent, AgentStatus, Booking, utcnow
from controller.services import placement
from controller.services.placement import Resources, gb_to_mib
from controller.services.workflow import BookingStatus

UTC_MIDNIGHT = time(0, 0)


def _share(used: float, total: float) -> float:
    return round(used / total, 4) if total else 0.0


def _bookable_total(nodes: list[Agent]) -> Resources:
    total = Resources()
    for node in nodes:
        total = total + Resources.of(node)
    return total


def daily_utilisation(nodes: list[Agent], day_start: datetime, days: int) -> list[dict]:
    """For each UTC day, the share of the nodes' capacity-hours that approved
    and active bookings hold."""
    total = _bookable_total(nodes)
    window_end = day_start + timedelta(days=days)
    bookings = list(db.session.scalars(
        db.select(Booking).where(
            Booking.agent_id.in_([n.id for n in nodes]), placement.holding(day_start, window_end))
    ))
    series = []
    for offset in range(days):
        lo = day_start + timedelta(days=offset)
        hi = lo + timedelta(days=1)
        cpu = mem = gpu = 0.0
        for booking in bookings:
            hours = (min(booking.end_time, hi) - max(booking.start_time, lo)).total_seconds() / 3600
            if hours > 0:
                cpu += booking.cpu_cores * hours
                mem += gb_to_mib(booking.memory_gb) * hours
                gpu += booking.gpu_count * hours
        series.append({
            "date": lo.date().isoformat(),
            "cpu": _share(cpu, total.cpu_cores * 24),
            "memory": _share(mem, total.memory_mib * 24),
            "gpu": _share(gpu, total.gpu_count * 24),
        })
    return series


def dashboard() -> dict:
    """Booking counts by status, node counts by status, utilisation now and
    per day over the next 7 days, over the nodes not in maintenance."""
    now = utcnow()
    counts = dict.fromkeys((s.value for s in BookingStatus), 0)
    counts.update(dict(db.session.execute(
        db.select(Booking.status, func.count()).group_by(Booking.status)
    ).all()))
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
