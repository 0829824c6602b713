"""The audit trail: one row per state change, written in the caller's
transaction. Each row is also offered to `notifications.audited`, which
queues the mail (if any) its subject hears about in the same transaction."""

import functools
from dataclasses import dataclass

from controller.extensions import db
from controller.models import AuditEvent, Booking, ExtensionRequest, utcnow
from controller.services import notifications


def booking_snapshot(booking: Booking) -> dict:
    return {
        "status": booking.status,
        "agent_id": booking.agent_id,
        "start_time": booking.start_time.isoformat() if booking.start_time else None,
        "end_time": booking.end_time.isoformat() if booking.end_time else None,
    }


def extension_request_snapshot(request: ExtensionRequest) -> dict:
    return {"booking_id": request.booking_id, "status": request.status,
            "previous_end": request.previous_end.isoformat(),
            "requested_end": request.requested_end.isoformat()}


# Built once: a statement object memoises its cache key, so reusing it
# skips rebuilding and re-keying the statement on every row.
_INSERT = db.insert(AuditEvent.__table__)


def record(entity_type: str, entity_id: int, action: str, actor_id: int | None,
           before: dict | None = None, after: dict | None = None) -> None:
    """Insert an audit row in the current transaction; it commits with the
    change it describes. A plain Core INSERT, run at once: the row is only
    written, never read back, so it skips the ORM's object and flush work
    (the busiest path, creating a booking, writes one per request)."""
    db.session.execute(_INSERT, {
        "entity_type": entity_type, "entity_id": entity_id, "action": action,
        "actor_id": actor_id, "before": before, "after": after,
    })
    notifications.audited(entity_type, entity_id, action)


@dataclass(frozen=True)
class Row:
    """An audit row whose entity does not exist yet (its id comes from the
    INSERT that creates it): see `insert_recorded`."""

    entity_type: str
    action: str
    actor_id: int | None
    before: dict | None
    after: dict | None


def insert_recorded(insert, params: dict, row: Row, entity: type):
    """Run `insert` (an INSERT of one `entity` row, RETURNING every column
    of its table, possibly inserting nothing) with `params`, and write `row`
    as the new entity's audit row in the same transaction. Returns the new
    entity, or None when nothing was inserted (and then nothing is audited).

    On Postgres both rows go in one statement (a data-modifying CTE), one
    round trip: creating a booking is the busiest write. Elsewhere the audit
    row follows as `record` writes it."""
    if db.engine.dialect.name != "postgresql":
        created = db.session.scalars(_entity_statement(insert, entity), params).first()
        if created is not None:
            record(row.entity_type, created.id, row.action, row.actor_id, row.before, row.after)
        return created
    created = db.session.scalars(_recording_statement(insert, entity), {
        **params, "audit_entity_type": row.entity_type, "audit_action": row.action,
        "audit_actor_id": row.actor_id, "audit_before": row.before, "audit_after": row.after,
        "audit_created_at": utcnow()}).first()
    if created is not None:
        notifications.audited(row.entity_type, created.id, row.action)
    return created


@functools.cache
def _entity_statement(insert, entity: type):
    return db.select(entity).from_statement(insert)


@functools.cache
def _recording_statement(insert, entity: type):
    """`WITH new AS (insert), audited AS (INSERT INTO audit_events SELECT
    ..., new.id, ... FROM new) SELECT * FROM new`, read back as `entity`;
    built once per insert statement, so its cache key is too."""
    new = insert.cte("new")
    columns = AuditEvent.__table__.c
    values = db.select(
        db.bindparam("audit_entity_type", type_=columns.entity_type.type), new.c.id,
        db.bindparam("audit_action", type_=columns.action.type),
        db.bindparam("audit_actor_id", type_=columns.actor_id.type),
        db.bindparam("audit_before", type_=columns.before.type),
        db.bindparam("audit_after", type_=columns.after.type),
        db.bindparam("audit_created_at", type_=columns.created_at.type))
    names = ["entity_type", "entity_id", "action", "actor_id", "before", "after", "created_at"]
    audited = db.insert(AuditEvent.__table__).from_select(names, values).cte("audited")
    return db.select(entity).from_statement(db.select(new).add_cte(audited))


def events_for(entity_type: str, entity_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )
