from datetime import timedelta

import pytest
from sqlalchemy import event

from controller.extensions import db
from controller.models import AuditEvent, Booking
from controller.services import placement
from controller.services.workflow import BookingStatus
from tests.controller.conftest import bearer
from tests.controller.helpers import assert_error, booking_payload, future, iso


def test_student_books_a_pending_booking(client, student_headers, student, node):
    response = client.post("/api/student/book", headers=student_headers,
                           json=booking_payload(purpose="  thesis experiments  ", gpu_count=1))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["agent_id"] is None
    assert body["cpu_cores"] == 2 and body["memory_gb"] == 4 and body["gpu_count"] == 1
    assert body["image"] == "jupyter/base-notebook:latest" and body["purpose"] == "thesis experiments"
    assert body["start_time"].endswith("+00:00")
    assert "admin_notes" not in body and "user_id" not in body
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_type == "booking"))
    assert (event.action, event.actor_id, event.after["status"]) == ("created", student.id, "pending")


def test_a_booking_request_is_three_round_trips_with_its_audit_row_in_the_insert(client, student_headers, student,
                                                                                  node):
    """The busiest write (issue 12): the token's user; the user's row locked
    with their policy and the nodes' sizes; the booking and its audit row in
    one statement. Then the commit."""
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (before_cursor_execute's statement)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.post("/api/student/book", headers=student_headers, json=booking_payload())
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 201, response.get_json()
    assert len(statements) == 3, statements
    assert "FOR UPDATE OF users" in statements[1] and "json_agg" in statements[1]
    assert "INSERT INTO bookings" in statements[2] and "INSERT INTO audit_events" in statements[2]
    event_row = db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_id == response.get_json()["id"]))
    assert (event_row.entity_type, event_row.action, event_row.actor_id) == ("booking", "created", student.id)
    assert event_row.after == {"status": "pending", "agent_id": None, "start_time": response.get_json()["start_time"],
                               "end_time": response.get_json()["end_time"]}


def test_the_nodes_are_parsed_once_while_unchanged_and_a_change_counts_at_once(client, factory, student_headers,
                                                                               node):
    """Booking requests keep what they ask of the nodes per distinct read of
    them (`placement.NodeSizes`): a rush parses and walks them once, and a
    node added or resized counts from the very next request."""
    big = booking_payload(cpu_cores=16, memory_gb=64)
    assert_error(client.post("/api/student/book", headers=student_headers, json=big), 422, "validation_error")
    parsed = placement._parsed_node_sizes.cache_info()
    for day in (2, 3):
        start = future(24 * day)
        payload = booking_payload(start_time=iso(start), end_time=iso(start + timedelta(hours=1)))
        assert client.post("/api/student/book", headers=student_headers, json=payload).status_code == 201
    after = placement._parsed_node_sizes.cache_info()
    assert (after.hits - parsed.hits, after.misses - parsed.misses) == (2, 0)
    factory.agent(cpu_cores=32, memory_gb=128)  # the lab grows
    assert client.post("/api/student/book", headers=student_headers, json=big).status_code == 201


def test_a_refused_overlapping_request_writes_no_audit_row(client, student_headers, node):
    first = client.post("/api/student/book", headers=student_headers, json=booking_payload())
    assert first.status_code == 201
    assert_error(client.post("/api/student/book", headers=student_headers, json=booking_payload()), 409, "conflict")
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.entity_type == "booking")) == 1


def test_times_with_other_offsets_are_stored_in_utc(client, student_headers, node):
    start = future(5)
    payload = booking_payload(start_time=start.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo")).isoformat(),
                              end_time=iso(start + timedelta(hours=1)))
    body = client.post("/api/student/book", headers=student_headers, json=payload).get_json()
    assert body["start_time"] == iso(start)


def test_student_cannot_hold_two_overlapping_bookings(client, student_headers, node):
    assert client.post("/api/student/book", headers=student_headers, json=booking_payload(1, 2)).status_code == 201
    assert_error(client.post("/api/student/book", headers=student_headers, json=booking_payload(2, 2)), 409, "conflict")
    assert client.post("/api/student/book", headers=student_headers, json=booking_payload(3, 1)).status_code == 201


def test_a_cancelled_booking_no_longer_blocks_the_student(client, student_headers, node):
    first = client.post("/api/student/book", headers=student_headers, json=booking_payload(1, 2)).get_json()
    client.post(f"/api/student/bookings/{first['id']}/cancel", headers=student_headers)
    assert client.post("/api/student/book", headers=student_headers, json=booking_payload(1, 2)).status_code == 201


def test_list_is_own_filtered_and_paginated(client, factory, node):
    alice, bob = factory.user(), factory.user()
    for day in range(5):
        factory.booking(alice, start_in=timedelta(days=day + 1))
    factory.booking(alice, start_in=timedelta(days=9), status=BookingStatus.CANCELLED.value)
    factory.booking(bob, start_in=timedelta(days=1))
    page = client.get("/api/student/bookings?per_page=2&page=2", headers=bearer(alice)).get_json()
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (6, 2, 2, 2)
    all_items = client.get("/api/student/bookings?per_page=100", headers=bearer(alice)).get_json()["items"]
    starts = [item["start_time"] for item in all_items]
    assert starts == sorted(starts, reverse=True)
    cancelled = client.get("/api/student/bookings?status=cancelled", headers=bearer(alice)).get_json()
    assert cancelled["total"] == 1 and cancelled["items"][0]["status"] == "cancelled"


@pytest.mark.parametrize("query", ["status=bogus", "page=0", "per_page=1000", "per_page=abc", "extra=1"])
def test_list_rejects_bad_query(client, student_headers, query):
    assert_error(client.get(f"/api/student/bookings?{query}", headers=student_headers), 422, "validation_error")


def test_student_cannot_see_or_cancel_another_students_booking(client, factory, node):
    alice, bob = factory.user(), factory.user()
    booking = factory.booking(bob)
    assert_error(client.get(f"/api/student/bookings/{booking.id}", headers=bearer(alice)), 404, "not_found")
    assert_error(client.post(f"/api/student/bookings/{booking.id}/cancel", headers=bearer(alice)), 404, "not_found")
    db.session.refresh(booking)
    assert booking.status == "pending"
    assert client.get(f"/api/student/bookings/{booking.id}", headers=bearer(bob)).status_code == 200


@pytest.mark.parametrize("status", ["pending", "approved"])
def test_student_cancels_own_pending_or_approved_booking(client, factory, node, status):
    alice = factory.user()
    booking = factory.booking(alice, status=status, agent_id=node.id if status == "approved" else None)
    response = client.post(f"/api/student/bookings/{booking.id}/cancel", headers=bearer(alice))
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"


@pytest.mark.parametrize("status", ["active", "completed", "rejected", "cancelled", "failed"])
def test_student_cannot_cancel_in_other_states(client, factory, node, status):
    alice = factory.user()
    booking = factory.booking(alice, status=status)
    assert_error(client.post(f"/api/student/bookings/{booking.id}/cancel", headers=bearer(alice)), 409,
                 "invalid_transition")
    db.session.refresh(booking)
    assert booking.status == status


def test_profile_counts_bookings_by_status(client, factory, node):
    alice = factory.user()
    factory.booking(alice)
    factory.booking(alice, start_in=timedelta(days=2), status="rejected")
    body = client.get("/api/student/profile", headers=bearer(alice)).get_json()
    assert body["user"]["username"] == alice.username
    assert body["booking_counts"]["pending"] == 1 and body["booking_counts"]["rejected"] == 1


def test_options_serve_images_limits_and_fitting_presets(client, student_headers, factory):
    factory.agent(cpu_cores=4, memory_gb=16, gpu_count=0)
    factory.agent(cpu_cores=2, memory_gb=64, gpu_count=0)
    body = client.get("/api/student/options", headers=student_headers).get_json()
    assert body["default_image"] == "jupyter/base-notebook:latest"
    assert body["images"][0] == {"name": "jupyter/base-notebook:latest", "label": "jupyter/base-notebook:latest",
                                 "port": 8888, "http": True, "available": True, "unavailable_reason": None}
    assert body["limits"]["max_cpu_cores"] == 4 and body["limits"]["max_memory_gb"] == 64
    assert body["limits"]["max_gpu_count"] == 0
    assert [p["name"] for p in body["presets"]] == ["Small", "Medium"]


def test_availability_reflects_approved_bookings(client, factory, student_headers):
    node = factory.agent(cpu_cores=4, memory_gb=16)
    other = factory.user()
    payload = booking_payload(1, 2, cpu_cores=3)
    assert client.post("/api/student/availability", headers=student_headers, json=payload).get_json() == {
        "available": True, "nodes_fitting": 1}
    factory.booking(other, status="approved", agent_id=node.id, cpu_cores=2, start_in=timedelta(hours=2),
                    duration=timedelta(hours=1))
    assert client.post("/api/student/availability", headers=student_headers, json=payload).get_json() == {
        "available": False, "nodes_fitting": 0}


def test_booking_when_the_lab_has_no_nodes_is_refused_clearly(client, student_headers):
    body = assert_error(client.post("/api/student/book", headers=student_headers, json=booking_payload()), 422)
    assert "no nodes" in body["message"].lower()
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0
