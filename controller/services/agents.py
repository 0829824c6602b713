"""Nodes: registration, edits, status, and what they hold right now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func

from controller.errors import CapacityExceeded, Conflict
from controller.extensions import db
from controller.models import HOLDING_STATUSES, Agent, AgentStatus, Booking, User, utcnow
from controller.services import audit, capacity
from controller.services.capacity import Resources
from controller.services.queries import get_or_404

AUDITED_FIELDS = (
    "name", "url", "cpu_cores", "memory_gb", "gpu_count", "mac_address",
    "broadcast_address", "wol_port", "tags", "status",
)


def _snapshot(agent: Agent) -> dict:
    snapshot = {field: getattr(agent, field) for field in AUDITED_FIELDS}
    snapshot["has_token"] = bool(agent.token)
    return snapshot


def get_agent(agent_id: int) -> Agent:
    return get_or_404(Agent, agent_id, "No such node.")


def usage_at(instant: datetime) -> dict[int, Resources]:
    """What each node's approved and active bookings hold at `instant`."""
    rows = db.session.execute(
        db.select(Booking.agent_id, func.sum(Booking.cpu_cores), func.sum(Booking.memory_gb),
                  func.sum(Booking.gpu_count))
        .where(Booking.status.in_([s.value for s in HOLDING_STATUSES]),
               Booking.start_time <= instant, Booking.end_time > instant)
        .group_by(Booking.agent_id)
    )
    return {
        agent_id: Resources(int(cpu or 0), capacity.gb_to_mib(float(mem or 0)), int(gpu or 0))
        for agent_id, cpu, mem, gpu in rows
    }


def list_agents() -> list[Agent]:
    """All nodes, each with `usage_now` attached for the admin view."""
    agents = list(db.session.scalars(db.select(Agent).order_by(Agent.name)))
    usage = usage_at(utcnow())
    for agent in agents:
        agent.usage_now = usage.get(agent.id, Resources())
    return agents


def _ensure_name_free(name: str, agent_id: int | None = None) -> None:
    stmt = db.select(Agent.id).where(func.lower(Agent.name) == name.lower())
    if agent_id is not None:
        stmt = stmt.where(Agent.id != agent_id)
    if db.session.scalar(stmt) is not None:
        raise Conflict("A node with that name exists.", {"name": ["Already registered."]})


def register_agent(actor: User | None, **fields) -> Agent:
    """Register a node. It starts `online` unless told otherwise; the health
    check corrects that within a minute. Raises Conflict on a taken name."""
    _ensure_name_free(fields["name"])
    fields.setdefault("status", AgentStatus.ONLINE.value)
    agent = Agent(**fields)
    db.session.add(agent)
    db.session.flush()
    audit.record("agent", agent.id, "registered", actor.id if actor else None, None, _snapshot(agent))
    db.session.commit()
    agent.usage_now = Resources()
    return agent


def update_agent(agent_id: int, admin: User, **fields) -> Agent:
    """Edit a node. Shrinking it below what its bookings hold from now on is
    refused (CapacityExceeded) rather than silently over-booking it."""
    with capacity.capacity_transaction():
        (agent,) = capacity.lock_agents([get_agent(agent_id).id])
        if "name" in fields:
            _ensure_name_free(fields["name"], agent.id)
        before = _snapshot(agent)
        for name, value in fields.items():
            setattr(agent, name, value)
        _check_still_fits(agent)
        audit.record("agent", agent.id, "updated", admin.id, before, _snapshot(agent))
        db.session.commit()
    agent.usage_now = usage_at(utcnow()).get(agent.id, Resources())
    return agent


def _check_still_fits(agent: Agent) -> None:
    now = utcnow()
    future = list(db.session.scalars(
        db.select(Booking).where(
            Booking.agent_id == agent.id,
            Booking.status.in_([s.value for s in HOLDING_STATUSES]),
            Booking.end_time > now,
        )
    ))
    if not future:
        return
    horizon_end = max(b.end_time for b in future)
    total = Resources.of(agent)
    for instant, usage in capacity.usage_profile(future, now, horizon_end):
        if not usage.within(total):
            raise CapacityExceeded(
                f"Node {agent.name} has bookings that need more than that at {instant.isoformat()}.",
                {"at": instant.isoformat()},
            )


def set_status(agent_id: int, admin: User, status: str) -> Agent:
    """Set a node online, offline or in maintenance (no new approvals land on
    a node in maintenance; its approved bookings show as at risk)."""
    return update_agent(agent_id, admin, status=status)
