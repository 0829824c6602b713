"""The audit trail: one row per state change, written in the caller's
transaction. Each row is also offered to `notifications.audited`, which
queues the mail (if any) its subject hears about in the same transaction."""

from controller.extensions import db
from controller.models import AuditEvent, Booking, ExtensionRequest
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


def events_for(entity_type: str, entity_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )
