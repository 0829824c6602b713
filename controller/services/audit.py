"""The audit trail: one row per state change, written in the caller's
transaction. Each row is also offered to `notifications.audited`, which
queues the mail (if any) its subject hears about in the same transaction."""

from controller.extensions import db
from controller.models import AuditEvent, Booking
from controller.services import notifications


def booking_snapshot(booking: Booking) -> dict:
    return {
        "status": booking.status,
        "agent_id": booking.agent_id,
        "start_time": booking.start_time.isoformat() if booking.start_time else None,
        "end_time": booking.end_time.isoformat() if booking.end_time else None,
    }


def record(entity_type: str, entity_id: int, action: str, actor_id: int | None,
           before: dict | None = None, after: dict | None = None) -> AuditEvent:
    """Add an audit row to the current session; it commits with the change it describes."""
    event = AuditEvent(
        entity_type=entity_type, entity_id=entity_id, action=action,
        actor_id=actor_id, before=before, after=after,
    )
    db.session.add(event)
    notifications.audited(entity_type, entity_id, action)
    return event


def events_for(entity_type: str, entity_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )
