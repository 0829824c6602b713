"""Nodes: registration, edits, status, and what they hold right now."""

from __future__ import annotations

from sqlalchemy import func

from controller.errors import CapacityExceeded, Conflict
from controller.extensions import db
from controller.models import Agent, AgentStatus, User, utcnow
from controller.services import audit, bookings, placement
from controller.services.placement import Resources
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


def list_agents() -> list[Agent]:
    """All nodes, each with `usage_now` attached for the admin view."""
    agents = list(db.session.scalars(db.select(Agent).order_by(Agent.name)))
    usage = placement.usage_at(utcnow())
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


def update_agent(agent_id: int, actor: User | None, **fields) -> Agent:
    """Edit a node (`actor` None: the system, e.g. the local agent resizing
    itself). Shrinking it below what its bookings hold from now on is refused
    (CapacityExceeded) rather than silently over-booking it."""
    with placement.capacity_transaction():
        agent_id = get_agent(agent_id).id
        into_maintenance = fields.get("status") == AgentStatus.MAINTENANCE
        # Going into maintenance moves its future bookings, so every node they
        # may move to is locked too, in one pass in id order.
        usable = placement.lock_usable_agents(also=agent_id) if into_maintenance else []
        (agent,) = [a for a in usable if a.id == agent_id] or placement.lock_agents([agent_id])
        if "name" in fields:
            _ensure_name_free(fields["name"], agent.id)
        before = _snapshot(agent)
        for name, value in fields.items():
            setattr(agent, name, value)
        overbooked_at = placement.first_overbooked_instant(agent, utcnow())
        if overbooked_at is not None:
            raise CapacityExceeded(
                f"Node {agent.name} has bookings that need more than that at {overbooked_at.isoformat()}.",
                {"at": overbooked_at.isoformat()},
            )
        after = _snapshot(agent)
        if after != before:
            audit.record("agent", agent.id, "updated", actor.id if actor else None, before, after)
        if into_maintenance and before["status"] != AgentStatus.MAINTENANCE:
            bookings.evacuate(agent, usable, actor.id if actor else None)
        db.session.commit()
    agent.usage_now = placement.usage_at(utcnow()).get(agent.id, Resources())
    return agent


def set_status(agent_id: int, admin: User, status: str) -> Agent:
    """Set a node online, offline or in maintenance (no new approvals land on
    a node in maintenance; its future bookings that may move go to other
    nodes, repacking if need be; those that cannot show as at risk)."""
    return update_agent(agent_id, admin, status=status)
