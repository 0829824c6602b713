"""The booking workflow: the transition table is the only way a booking
changes, every move is audited, and the API tells each caller which moves
they may make."""

import itertools
from datetime import timedelta

import pytest

from controller.errors import InvalidTransition
from controller.extensions import db
from controller.models import AuditEvent, Booking
from controller.services import workflow
from controller.services.workflow import MOVES, STATUSES, Actor
from tests.controller.conftest import bearer

# What the lab's rules say, written out independently of the table.
ALLOWED = {
    ("approve", Actor.ADMIN): {"pending"},
    ("reject", Actor.ADMIN): {"pending"},
    ("cancel", Actor.ADMIN): {"pending", "approved", "active"},
    ("cancel", Actor.STUDENT): {"pending", "approved"},
    ("extend", Actor.ADMIN): {"approved", "active"},
    ("extend", Actor.STUDENT): {"approved", "active"},
    ("auto_approve", Actor.POLICY): {"pending"},
    ("hold_for_round", Actor.POLICY): {"pending"},
    ("leave_for_admin", Actor.POLICY): {"pending"},
    ("move", Actor.ADMIN): {"approved"},
    ("move", Actor.SCHEDULER): {"approved"},
    ("pin", Actor.ADMIN): {"approved", "active"},
    ("session_prepared", Actor.SCHEDULER): {"approved"},
    ("container_prepared", Actor.SCHEDULER): {"approved"},
    ("started", Actor.SCHEDULER): {"approved"},
    ("start_retry", Actor.SCHEDULER): {"approved"},
    ("start_failed", Actor.SCHEDULER): {"approved"},
    ("expired", Actor.SCHEDULER): {"approved"},
    ("started_late", Actor.SCHEDULER): {"cancelled", "failed"},
    ("completed", Actor.SCHEDULER): {"active"},
    ("died", Actor.SCHEDULER): {"active"},
    ("stop_retry", Actor.SCHEDULER): {"active", "completed", "rejected", "cancelled", "failed"},
    ("container_stopped", Actor.SCHEDULER): {"completed", "rejected", "cancelled", "failed"},
}
TARGETS = {"approve": "approved", "auto_approve": "approved", "reject": "rejected", "cancel": "cancelled", "started": "active",
           "start_failed": "failed", "expired": "failed", "completed": "completed", "died": "failed"}
NAMES = sorted({name for name, _ in ALLOWED})


def test_the_table_is_the_lab_rules():
    assert {(m.name, m.by): {s.value for s in m.sources} for m in MOVES} == ALLOWED
    assert {m.name: m.target.value for m in MOVES if m.target} == TARGETS


@pytest.mark.parametrize(("status", "name", "by"), list(itertools.product(STATUSES, NAMES, Actor)))
def test_a_move_happens_only_when_the_table_allows_it(factory, admin, status, name, by):
    booking = factory.booking(factory.user(), status=status)
    before = (booking.status, booking.end_time)
    if status in ALLOWED.get((name, by), set()):
        workflow.apply(booking, name, by, admin.id)
        db.session.commit()
        db.session.refresh(booking)
        assert booking.status == TARGETS.get(name, status)
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_id == booking.id))
        recorded = {"approve": "approved", "reject": "rejected", "cancel": "cancelled", "extend": "extended",
                    "move": "moved", "pin": "pinned", "auto_approve": "auto_approved",
                    "hold_for_round": "held_for_round", "leave_for_admin": "left_for_admin"}
        assert (event.action, event.before["status"], event.after["status"]) == (
            recorded.get(name, name), status, booking.status)
    else:
        with pytest.raises(InvalidTransition):
            workflow.apply(booking, name, by, admin.id)
        db.session.rollback()
        db.session.refresh(booking)
        assert (booking.status, booking.end_time) == before
        assert db.session.scalar(db.select(AuditEvent.id).where(AuditEvent.entity_id == booking.id)) is None


def test_a_move_sets_only_the_columns_it_owns(factory, admin):
    booking = factory.booking(factory.user())
    with pytest.raises(ValueError, match="does not set"):
        workflow.apply(booking, "reject", Actor.ADMIN, admin.id, rejection_reason="no", end_time=booking.end_time)


def test_start_and_stop_retries_keep_their_own_counts(factory, admin):
    booking = factory.booking(factory.user(), status="approved")
    workflow.apply(booking, "start_retry", Actor.SCHEDULER, None, start_attempts=2, last_error="x")
    workflow.apply(booking, "started", Actor.SCHEDULER, None, start_attempts=3, container_name="c")
    workflow.apply(booking, "stop_retry", Actor.SCHEDULER, None, stop_attempts=1, last_error="y")
    db.session.commit()
    db.session.refresh(booking)
    assert (booking.start_attempts, booking.stop_attempts, booking.status) == (3, 1, "active")
    actions = list(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.entity_id == booking.id)
                                      .order_by(AuditEvent.id)))
    assert actions == ["start_retry", "started", "stop_retry"]


EXPECTED_ACTIONS = {
    "pending": (["approve", "reject", "cancel"], ["cancel"]),
    "approved": (["extend", "cancel"], ["extend", "cancel"]),
    "active": (["extend", "cancel"], ["extend"]),
    "completed": ([], []), "rejected": ([], []), "cancelled": ([], []), "failed": ([], []),
}


@pytest.mark.parametrize("status", STATUSES)
def test_every_booking_says_what_its_viewer_may_do(client, factory, admin_headers, status):
    owner = factory.user()
    node = factory.agent()
    booking = factory.booking(owner, status=status, agent_id=node.id)
    for_admin, for_student = EXPECTED_ACTIONS[status]
    admin_list = client.get("/api/admin/bookings", headers=admin_headers).get_json()["items"]
    assert admin_list[0]["actions"] == for_admin
    assert client.get(f"/api/admin/bookings/{booking.id}", headers=admin_headers).get_json()["actions"] == for_admin
    student_list = client.get("/api/student/bookings", headers=bearer(owner)).get_json()["items"]
    assert student_list[0]["actions"] == for_student


def test_a_pending_booking_whose_window_passed_cannot_be_approved(client, factory, admin_headers):
    factory.agent()
    booking = factory.booking(factory.user(), start_in=-timedelta(hours=3), duration=timedelta(hours=1))
    item = client.get(f"/api/admin/bookings/{booking.id}", headers=admin_headers).get_json()
    assert item["actions"] == ["reject", "cancel"]
    response = client.post(f"/api/admin/approve/{booking.id}", headers=admin_headers, json={})
    assert response.status_code == 409 and "already passed" in response.get_json()["message"]
    assert db.session.get(Booking, booking.id).status == "pending"


def test_the_bulk_actions_are_the_workflows_user_actions(client, admin_headers):
    spec = client.get("/api/openapi.json").get_json()
    bulk = spec["components"]["schemas"]["Bulk"]["properties"]["action"]
    assert sorted(bulk["enum"]) == sorted(workflow.USER_ACTIONS)


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
