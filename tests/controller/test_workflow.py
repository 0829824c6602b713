"""The booking workflow: every transition, legal and illegal, at the service
layer, and each legal one audited."""

import itertools

import pytest

from controller.errors import InvalidTransition
from controller.extensions import db
from controller.models import AuditEvent, BookingStatus
from controller.services import bookings

LEGAL = {
    ("pending", "approved"), ("pending", "rejected"), ("pending", "cancelled"),
    ("approved", "active"), ("approved", "cancelled"), ("approved", "failed"),
    ("active", "completed"), ("active", "failed"), ("active", "cancelled"),
}
ALL = [s.value for s in BookingStatus]


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ALL, ALL)))
def test_transition_table(factory, admin, current, target):
    booking = factory.booking(factory.user(), status=current)
    if (current, target) in LEGAL:
        bookings.transition(booking, BookingStatus(target), admin.id, "test")
        db.session.commit()
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_id == booking.id))
        assert (event.before["status"], event.after["status"], event.actor_id) == (current, target, admin.id)
    else:
        with pytest.raises(InvalidTransition):
            bookings.transition(booking, BookingStatus(target), admin.id, "test")
        db.session.rollback()
        db.session.refresh(booking)
        assert booking.status == current


@pytest.mark.parametrize("status", ["approved", "active", "completed", "rejected", "cancelled", "failed"])
def test_only_pending_bookings_can_be_approved_or_rejected(client, admin_headers, factory, status):
    node = factory.agent()
    booking = factory.booking(factory.user(), status=status, agent_id=node.id)
    for path, body in ((f"/api/admin/approve/{booking.id}", {}), (f"/api/admin/reject/{booking.id}", {"reason": "x"})):
        response = client.post(path, headers=admin_headers, json=body)
        assert response.status_code == 409 and response.get_json()["error"] == "invalid_transition"
    db.session.refresh(booking)
    assert booking.status == status


def test_approving_twice_is_refused(client, admin_headers, factory):
    factory.agent()
    booking = factory.booking(factory.user())
    assert client.post(f"/api/admin/approve/{booking.id}", headers=admin_headers, json={}).status_code == 200
    assert client.post(f"/api/admin/approve/{booking.id}", headers=admin_headers, json={}).status_code == 409
