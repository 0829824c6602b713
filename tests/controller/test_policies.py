"""Policies (quotas), auto-approval and extension requests: each policy rule
refuses with a 4xx naming the rule and what is left; bookings inside a
policy's auto bounds are approved at once without an admin; a student's
extension is granted at once when it fits, else queued once for an admin."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from flask_migrate import downgrade, upgrade
from sqlalchemy import event

from bench.scale import make_app
from bench.seed import scratch_database
from controller.extensions import db
from controller.models import AuditEvent, Booking, ExtensionRequest, Policy, utcnow
from controller.services import bookings, lifecycle, workflow
from controller.services.policies import default_policy, week_of
from controller.services.workflow import Actor
from tests.controller.conftest import bearer
from tests.controller.helpers import assert_error, iso, start_now


def next_week(hours: float = 10) -> timedelta:
    """From now to `hours` after next Monday 00:00 UTC: windows there all
    fall in one known week, whatever day the tests run."""
    return week_of(utcnow())[1] + timedelta(hours=hours) - utcnow()


def payload(start_in: timedelta, hours: float = 2, **overrides) -> dict:
    start = (utcnow() + start_in).replace(microsecond=0)
    body = {"start_time": iso(start), "end_time": iso(start + timedelta(hours=hours)), "cpu_cores": 2,
            "memory_gb": 4}
    body.update(overrides)
    return body


def set_default(**limits) -> Policy:
    policy = default_policy()
    for key, value in limits.items():
        setattr(policy, key, value)
    db.session.commit()
    return policy


def book(client, user, start_in=None, hours=2, **overrides):
    return client.post("/api/student/book", headers=bearer(user),
                       json=payload(start_in if start_in is not None else next_week(), hours, **overrides))


# --- each rule -------------------------------------------------------------

@pytest.mark.parametrize(("rule", "limit", "asked", "message"), [
    ("max_cpu_cores", 4, {"cpu_cores": 6}, "The default policy allows 4 cores per booking; this booking asks for 6."),
    ("max_memory_gb", 8, {"memory_gb": 16}, "The default policy allows 8 GB of memory per booking;"
                                            " this booking asks for 16."),
    ("max_gpu_count", 0, {"gpu_count": 1}, "The default policy allows 0 GPUs per booking; this booking asks for 1."),
])
def test_a_booking_bigger_than_the_policy_allows_is_refused_naming_the_rule(client, student, node, rule, limit,
                                                                            asked, message):
    set_default(**{rule: limit})
    body = assert_error(book(client, student, **asked), 409, "policy_limit")
    assert body["message"] == message
    assert body["details"]["rule"] == rule and body["details"]["limit"] == limit
    assert db.session.scalar(db.select(Booking.id)) is None


def test_a_booking_longer_than_the_policy_allows_is_refused(client, student, node):
    set_default(max_duration_hours=4)
    assert book(client, student, hours=4).status_code == 201
    body = assert_error(book(client, student, start_in=next_week(20), hours=5), 409, "policy_limit")
    assert body["details"]["rule"] == "max_duration_hours"
    assert "at most 4 hours; this one would last 5" in body["message"]


def test_open_bookings_are_capped_and_a_cancelled_one_frees_its_place(client, student, node):
    set_default(max_open_bookings=2)
    first = book(client, student, start_in=next_week(1)).get_json()
    assert book(client, student, start_in=next_week(4)).status_code == 201
    body = assert_error(book(client, student, start_in=next_week(7)), 409, "policy_limit")
    assert body["details"] == {"rule": "max_open_bookings", "policy": "default", "unit": "bookings", "limit": 2,
                               "used": 2, "needed": 1, "left": 0}
    client.post(f"/api/student/bookings/{first['id']}/cancel", headers=bearer(student))
    assert book(client, student, start_in=next_week(7)).status_code == 201


def test_weekly_hours_count_what_is_booked_that_week_only(client, factory, student, node):
    set_default(max_hours_per_week=10)
    factory.booking(student, start_in=next_week(1), duration=timedelta(hours=6), status="completed")
    factory.booking(student, start_in=next_week(30), duration=timedelta(hours=8), status="cancelled")
    factory.booking(student, start_in=next_week(24 * 7 + 1), duration=timedelta(hours=8))  # the week after
    body = assert_error(book(client, student, start_in=next_week(50), hours=5), 409, "policy_limit")
    monday = week_of(utcnow())[1]
    assert body["message"] == f"6.0 of 10 hours booked in the week of {monday:%a %d %b}; this booking needs 5."
    assert body["details"]["left"] == 4
    assert book(client, student, start_in=next_week(50), hours=4).status_code == 201


def test_gpu_hours_are_counted_per_gpu_and_the_refusal_says_what_is_left(client, factory, student):
    factory.agent(cpu_cores=16, memory_gb=64, gpu_count=2)
    set_default(max_gpu_hours_per_week=10)
    factory.booking(student, start_in=next_week(1), duration=timedelta(hours=3), gpu_count=2, status="approved")
    body = assert_error(book(client, student, start_in=next_week(10), hours=4, gpu_count=2), 409, "policy_limit")
    assert body["message"].startswith("6.0 of 10 GPU-hours used in the week of ")
    assert body["message"].endswith("; this booking needs 8.")
    assert body["details"] | {} == {"rule": "max_gpu_hours_per_week", "policy": "default", "unit": "GPU-hours",
                                    "limit": 10, "used": 6, "needed": 8, "left": 4}
    assert book(client, student, start_in=next_week(10), hours=2, gpu_count=2).status_code == 201
    assert book(client, student, start_in=next_week(20), hours=5).status_code == 201  # no GPU: no GPU-hours


def test_a_booking_across_midnight_on_sunday_counts_in_both_weeks(client, factory, student, node):
    set_default(max_hours_per_week=3)
    factory.booking(student, start_in=next_week(24 * 7 + 5), duration=timedelta(hours=2))
    body = assert_error(book(client, student, start_in=next_week(24 * 7 - 1), hours=4), 409, "policy_limit")
    assert "2.0 of 3 hours booked in the week of" in body["message"] and "needs 3." in body["message"]


def test_weeks_start_on_monday_in_the_labs_time_zone(app, client, factory, student, node):
    app.config["LAB_TIMEZONE"] = "Europe/Berlin"
    set_default(max_hours_per_week=3)
    monday = week_of(utcnow())[1]  # next Monday 00:00 in Berlin, i.e. Sunday 22:00 or 23:00 UTC
    assert monday.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %H:%M") == "Mon 00:00"
    factory.booking(student, start_time=monday, end_time=monday + timedelta(hours=2))
    start = monday + timedelta(hours=2)
    body = assert_error(client.post("/api/student/book", headers=bearer(student), json={
        "start_time": iso(start), "end_time": iso(start + timedelta(hours=2)), "cpu_cores": 1, "memory_gb": 1}),
        409, "policy_limit")
    # In UTC weeks the first booking would count only half in this week, and this one would fit.
    assert body["message"].startswith("2.0 of 3 hours booked in the week of Mon ")


def test_a_named_policy_replaces_the_default_for_its_users(client, factory, admin_headers, node):
    set_default(max_cpu_cores=2)
    thesis = client.post("/api/admin/policies", headers=admin_headers,
                         json={"name": "Thesis group", "max_cpu_cores": 8}).get_json()
    alice, bob = factory.user(), factory.user()
    response = client.put(f"/api/admin/users/{alice.id}/policy", headers=admin_headers, json={"policy_id": thesis["id"]})
    assert response.status_code == 200 and response.get_json()["policy_id"] == thesis["id"]
    assert book(client, alice, cpu_cores=6).status_code == 201
    assert_error(book(client, bob, cpu_cores=6), 409, "policy_limit")
    options = client.get("/api/student/options", headers=bearer(alice)).get_json()["limits"]
    assert options["max_cpu_cores"] == 8
    assert client.get("/api/student/options", headers=bearer(bob)).get_json()["limits"]["max_cpu_cores"] == 2
    client.put(f"/api/admin/users/{alice.id}/policy", headers=admin_headers, json={"policy_id": None})
    assert_error(book(client, alice, start_in=next_week(30), cpu_cores=6), 409, "policy_limit")


def test_the_booking_forms_limits_are_the_lower_of_the_nodes_and_the_policy(client, student, node):
    set_default(max_cpu_cores=64, max_memory_gb=8, max_gpu_count=0, max_duration_hours=6)
    limits = client.get("/api/student/options", headers=bearer(student)).get_json()["limits"]
    assert (limits["max_cpu_cores"], limits["max_memory_gb"], limits["max_gpu_count"],
            limits["max_duration_hours"]) == (8, 8, 0, 6)


def test_a_student_sees_their_usage_against_their_policy(client, factory, student, node):
    set_default(max_hours_per_week=20, max_gpu_hours_per_week=5, max_open_bookings=3)
    now = utcnow()
    factory.booking(student, start_time=now - timedelta(minutes=30), end_time=now + timedelta(minutes=90),
                    status="active", agent_id=node.id, gpu_count=1)
    body = client.get("/api/student/usage", headers=bearer(student)).get_json()
    monday, _ = week_of(now)
    used_this_week = (min(now + timedelta(minutes=90), monday + timedelta(days=7))
                      - max(now - timedelta(minutes=30), monday)).total_seconds() / 3600
    assert body["hours_used"] == pytest.approx(used_this_week, abs=0.01)
    assert body["gpu_hours_used"] == pytest.approx(used_this_week, abs=0.01)
    assert body["open_bookings"] == 1 and body["auto_approval"] is False
    assert body["policy"]["name"] == "default" and body["policy"]["max_hours_per_week"] == 20
    assert "user_count" not in body["policy"]


# --- admins' editing, and bad input -------------------------------------------

@pytest.mark.parametrize("bad", [
    {"max_hours_per_week": -1}, {"max_hours_per_week": 169}, {"max_cpu_cores": 0}, {"max_cpu_cores": 100000},
    {"max_memory_gb": 0}, {"max_memory_gb": -4}, {"max_gpu_count": -1}, {"max_open_bookings": -2},
    {"max_duration_hours": 0}, {"max_duration_hours": 1e9}, {"max_gpu_hours_per_week": -0.5},
    {"auto_max_cpu_cores": -4}, {"auto_max_duration_hours": -8}, {"max_cpu_cores": "4"}, {"auto_approve": "yes"},
    {"max_cpu_cores": 4, "auto_max_cpu_cores": 8}, {"max_duration_hours": 2, "auto_max_duration_hours": 8},
    {"name": "  "}, {"name": "x" * 65}, {"surprise": 1},
])
def test_policies_with_negative_or_absurd_bounds_are_refused(client, admin_headers, bad):
    assert_error(client.post("/api/admin/policies", headers=admin_headers, json={"name": "lab", **bad}), 422)
    default_id = default_policy().id
    patch = {k: v for k, v in bad.items() if k != "name"} or bad
    assert_error(client.patch(f"/api/admin/policies/{default_id}", headers=admin_headers, json=patch), 422)
    assert db.session.scalar(db.select(db.func.count(Policy.id))) == 1


def test_a_patch_may_not_put_an_auto_bound_above_the_limit_it_keeps(client, admin_headers):
    policy = client.post("/api/admin/policies", headers=admin_headers, json={"name": "lab", "max_cpu_cores": 4}).get_json()
    body = assert_error(client.patch(f"/api/admin/policies/{policy['id']}", headers=admin_headers,
                                     json={"auto_max_cpu_cores": 6}), 422)
    assert "auto_max_cpu_cores" in body["details"]
    assert db.session.get(Policy, policy["id"]).auto_max_cpu_cores is None


def test_admins_list_edit_and_delete_policies_and_users_fall_back_to_the_default(client, factory, admin_headers):
    created = client.post("/api/admin/policies", headers=admin_headers,
                          json={"name": "Thesis", "max_hours_per_week": 40, "auto_approve": True})
    assert created.status_code == 201
    thesis = created.get_json()
    assert_error(client.post("/api/admin/policies", headers=admin_headers, json={"name": "thesis"}), 409)
    user = factory.user()
    factory.user()  # on the default; the admin is counted nowhere
    client.put(f"/api/admin/users/{user.id}/policy", headers=admin_headers, json={"policy_id": thesis["id"]})
    items = client.get("/api/admin/policies", headers=admin_headers).get_json()["items"]
    assert [(p["name"], p["is_default"], p["user_count"]) for p in items] == [("default", True, 1), ("Thesis", False, 1)]
    patched = client.patch(f"/api/admin/policies/{thesis['id']}", headers=admin_headers,
                           json={"max_hours_per_week": None, "max_open_bookings": 3}).get_json()
    assert (patched["max_hours_per_week"], patched["max_open_bookings"]) == (None, 3)
    assert client.delete(f"/api/admin/policies/{thesis['id']}", headers=admin_headers).status_code == 204
    db.session.expire_all()
    assert db.session.get(type(user), user.id).policy_id is None
    assert_error(client.delete(f"/api/admin/policies/{default_policy().id}", headers=admin_headers), 409)
    assert_error(client.put(f"/api/admin/users/{user.id}/policy", headers=admin_headers, json={"policy_id": 999}), 422)
    actions = set(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.entity_type == "policy")))
    assert actions == {"created", "updated", "deleted"}


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/admin/policies"), ("post", "/api/admin/policies"), ("patch", "/api/admin/policies/1"),
    ("delete", "/api/admin/policies/1"), ("put", "/api/admin/users/1/policy"), ("put", "/api/admin/auto-approval"),
    ("get", "/api/admin/extension-requests"), ("post", "/api/admin/extension-requests/1/approve"),
])
def test_students_cannot_touch_policies_or_the_queue(client, student_headers, method, path):
    assert_error(getattr(client, method)(path, headers=student_headers, json={}), 403)


# --- auto-approval ---------------------------------------------------------------

def auto_policy(**bounds) -> Policy:
    return set_default(auto_approve=True, auto_max_cpu_cores=4, auto_max_gpu_count=0, auto_max_duration_hours=8,
                       **bounds)


def test_a_booking_inside_the_auto_bounds_is_approved_at_once_and_the_audit_names_the_policy(client, student, node,
                                                                                            admin_headers):
    auto_policy()
    response = book(client, student, cpu_cores=4, hours=8)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["agent_id"], body["approved_by_policy"]) == ("approved", node.id, "default")
    events = list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity_type == "booking")
                                     .order_by(AuditEvent.id)))
    assert [(e.action, e.actor_id) for e in events] == [("created", student.id), ("auto_approved", None)]
    assert events[1].after["approved_by_policy_id"] == default_policy().id
    history = client.get(f"/api/admin/bookings/{body['id']}", headers=admin_headers).get_json()["events"]
    assert [(e["action"], e["actor"], e["to_status"]) for e in history] == [
        ("created", student.username, "pending"), ("auto_approved", "policy", "approved")]


@pytest.mark.parametrize("outside", [{"cpu_cores": 5}, {"gpu_count": 1}, {"hours": 9}])
def test_a_booking_outside_the_auto_bounds_waits_for_an_admin(client, student, node, outside):
    auto_policy()
    hours = outside.pop("hours", 2)
    body = book(client, student, hours=hours, **outside).get_json()
    assert (body["status"], body["agent_id"]) == ("pending", None)


def test_a_booking_no_node_has_room_for_stays_pending(client, factory, student, node):
    auto_policy()
    start = next_week()
    factory.booking(factory.user(), start_in=start, cpu_cores=8, status="approved", agent_id=node.id)
    assert book(client, student, start_in=start).get_json()["status"] == "pending"


def test_a_pending_booking_is_auto_approved_once_room_frees_and_not_while_the_switch_is_off(
        client, factory, student, node, admin_headers):
    auto_policy()
    start = next_week()
    blocker = factory.booking(factory.user(), start_in=start, cpu_cores=8, status="approved", agent_id=node.id)
    waiting = book(client, student, start_in=start).get_json()
    assert waiting["status"] == "pending"
    assert bookings.retry_auto_approvals() == {}  # still no room
    blocker.status = "cancelled"
    db.session.commit()
    client.put("/api/admin/auto-approval", headers=admin_headers, json={"enabled": False})
    assert bookings.retry_auto_approvals() == {}  # the lab's switch is off
    assert db.session.get(Booking, waiting["id"]).status == "pending"
    client.put("/api/admin/auto-approval", headers=admin_headers, json={"enabled": True})
    assert bookings.retry_auto_approvals() == {"auto_approved": 1}
    db.session.expire_all()
    approved = db.session.get(Booking, waiting["id"])
    assert approved.status == "approved" and approved.agent_id == node.id
    assert bookings.retry_auto_approvals() == {}  # nothing twice


def test_admins_switch_auto_approval_off_for_the_whole_lab(client, student, node, admin_headers):
    auto_policy()
    assert client.get("/api/admin/auto-approval", headers=admin_headers).get_json() == {"enabled": True}
    assert client.put("/api/admin/auto-approval", headers=admin_headers, json={"enabled": False}).get_json() == {
        "enabled": False}
    assert book(client, student).get_json()["status"] == "pending"
    assert client.get("/api/student/usage", headers=bearer(student)).get_json()["auto_approval"] is False
    assert_error(client.put("/api/admin/auto-approval", headers=admin_headers, json={"enabled": "no"}), 422)
    client.put("/api/admin/auto-approval", headers=admin_headers, json={"enabled": True})
    assert book(client, student, start_in=next_week(20)).get_json()["status"] == "approved"


# --- extension requests ----------------------------------------------------------

def extend(client, user, booking_id, **body):
    return client.post(f"/api/student/bookings/{booking_id}/extend", headers=bearer(user), json=body)


def test_an_extension_that_fits_is_granted_at_once_and_a_running_session_is_not_restarted(client, factory, student,
                                                                                           node):
    now = utcnow()
    booking = factory.booking(student, start_time=now - timedelta(minutes=30), end_time=now + timedelta(minutes=30),
                              status="active", agent_id=node.id, container_id="c0ffee", container_name="booking-1",
                              started_at=now - timedelta(minutes=30))
    end, started_at = booking.end_time, booking.started_at
    response = extend(client, student, booking.id, minutes=60, reason="training needs another hour")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["review_reason"]) == ("granted", None)
    assert body["booking"]["end_time"] == iso(end + timedelta(minutes=60))
    db.session.expire_all()
    after = db.session.get(Booking, booking.id)
    assert (after.status, after.container_id, after.started_at) == ("active", "c0ffee", started_at)
    actions = list(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.entity_type == "booking")))
    assert actions == ["extended"]


def test_an_extension_beyond_the_policy_is_queued_once_and_an_admin_approves_it(client, factory, student, node,
                                                                               admin_headers):
    set_default(max_duration_hours=3)
    booking = factory.booking(student, start_in=next_week(), duration=timedelta(hours=2), status="approved",
                              agent_id=node.id)
    end = booking.end_time
    body = extend(client, student, booking.id, minutes=120).get_json()
    assert body["status"] == "pending" and "at most 3 hours" in body["review_reason"]
    assert db.session.get(Booking, booking.id).end_time == end
    duplicate = assert_error(extend(client, student, booking.id, minutes=30), 409, "extension_pending")
    assert duplicate["details"]["extension_request_id"] == body["id"]
    queue = client.get("/api/admin/extension-requests", headers=admin_headers).get_json()
    assert queue["total"] == 1 and queue["items"][0]["username"] == student.username
    approved = client.post(f"/api/admin/extension-requests/{body['id']}/approve", headers=admin_headers, json={})
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).end_time == end + timedelta(minutes=120)
    mine = client.get("/api/student/extension-requests", headers=bearer(student)).get_json()["items"]
    assert [(r["status"], r["decided_at"] is not None) for r in mine] == [("approved", True)]
    assert_error(client.post(f"/api/admin/extension-requests/{body['id']}/approve", headers=admin_headers,
                             json={}), 409)
    assert client.get("/api/admin/extension-requests", headers=admin_headers).get_json()["total"] == 0


def test_an_extension_the_node_has_no_room_for_waits_and_a_rejection_reaches_the_student(client, factory, student,
                                                                                          node, admin_headers):
    booking = factory.booking(student, start_in=next_week(), duration=timedelta(hours=2), status="approved",
                              agent_id=node.id, cpu_cores=4)
    factory.booking(factory.user(), start_time=booking.end_time, end_time=booking.end_time + timedelta(hours=2),
                    status="approved", agent_id=node.id, cpu_cores=8)
    body = extend(client, student, booking.id, minutes=60).get_json()
    assert body["status"] == "pending" and "no room" in body["review_reason"]
    rejected = client.post(f"/api/admin/extension-requests/{body['id']}/reject", headers=admin_headers,
                           json={"reason": "The node is booked after you."}).get_json()
    assert rejected["status"] == "rejected" and rejected["decided_by"]
    mine = client.get("/api/student/extension-requests", headers=bearer(student)).get_json()["items"]
    assert (mine[0]["status"], mine[0]["decision_reason"]) == ("rejected", "The node is booked after you.")
    assert extend(client, student, booking.id, minutes=30).get_json()["status"] == "pending"  # a new request may follow


def test_with_auto_approval_off_every_extension_waits_for_an_admin(client, factory, student, node, admin_headers):
    client.put("/api/admin/auto-approval", headers=admin_headers, json={"enabled": False})
    booking = factory.booking(student, start_in=next_week(), status="approved", agent_id=node.id)
    assert extend(client, student, booking.id, minutes=30).get_json()["status"] == "pending"


@pytest.mark.parametrize(("status", "expected"), [("pending", 409), ("completed", 409), ("cancelled", 409)])
def test_only_approved_or_active_bookings_can_be_extended(client, factory, student, node, status, expected):
    booking = factory.booking(student, status=status, agent_id=node.id)
    assert_error(extend(client, student, booking.id, minutes=30), expected, "invalid_transition")
    assert db.session.scalar(db.select(ExtensionRequest.id)) is None


def test_extension_requests_refuse_bad_input(client, factory, student, node):
    booking = factory.booking(student, status="approved", agent_id=node.id)
    other = factory.booking(factory.user(), status="approved", agent_id=node.id)
    assert_error(extend(client, student, other.id, minutes=30), 404)
    assert_error(extend(client, student, booking.id), 422)
    assert_error(extend(client, student, booking.id, minutes=30, end_time=iso(booking.end_time)), 422)
    assert_error(extend(client, student, booking.id, minutes=-5), 422)
    assert_error(extend(client, student, booking.id, end_time=iso(booking.end_time - timedelta(minutes=5))), 422)
    assert_error(extend(client, student, booking.id, end_time=iso(utcnow() + timedelta(days=60))), 422)
    assert db.session.scalar(db.select(ExtensionRequest.id)) is None


def test_racing_requests_for_more_time_leave_one_pending_request(live_server, factory, student, node):
    set_default(max_duration_hours=2)  # any extension needs an admin
    booking = factory.booking(student, start_in=next_week(), duration=timedelta(hours=2), status="approved",
                              agent_id=node.id)
    headers, path = bearer(student), f"{live_server}/api/student/bookings/{booking.id}/extend"
    barrier = threading.Barrier(10)

    def ask(_):
        barrier.wait(timeout=30)
        response = requests.post(path, headers=headers,
                                 json={"minutes": 30}, timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(ask, range(10)))
    assert sorted(status for status, _ in results) == [200] + [409] * 9
    assert {body["error"] for status, body in results if status == 409} <= {"extension_pending", "busy"}
    assert db.session.scalar(db.select(db.func.count(ExtensionRequest.id))) == 1


def waiting_request(client, factory, student, node, **booking_fields) -> tuple[Booking, dict]:
    """An approved booking of `student` with a request for 2 more hours waiting for an admin."""
    set_default(max_duration_hours=3)
    fields = {"start_in": next_week(), "duration": timedelta(hours=2), "status": "approved",
              "agent_id": node.id, **booking_fields}
    booking = factory.booking(student, **fields)
    body = extend(client, student, booking.id, minutes=120).get_json()
    assert body["status"] == "pending"
    return booking, body


def test_a_booking_with_a_request_waiting_says_so_and_offers_its_owner_no_extend(client, factory, student, node,
                                                                                admin_headers):
    booking, request = waiting_request(client, factory, student, node)
    for shown in (client.get("/api/student/bookings", headers=bearer(student)).get_json()["items"][0],
                  client.get(f"/api/student/bookings/{booking.id}", headers=bearer(student)).get_json()):
        assert shown["pending_extension"]["id"] == request["id"]
        assert shown["pending_extension"]["minutes"] == 120
        assert shown["pending_extension"]["requested_at"] == request["created_at"]
        assert "extend" not in shown["actions"] and "cancel" in shown["actions"]
    # The admins still extend it (that is how the request is approved).
    admin_view = client.get(f"/api/admin/bookings/{booking.id}", headers=admin_headers).get_json()
    assert "extend" in admin_view["actions"] and admin_view["pending_extension"]["minutes"] == 120
    client.post(f"/api/admin/extension-requests/{request['id']}/reject", headers=admin_headers,
                json={"reason": "Not this week."})
    shown = client.get(f"/api/student/bookings/{booking.id}", headers=bearer(student)).get_json()
    assert shown["pending_extension"] is None and "extend" in shown["actions"]


def test_the_bookings_list_loads_the_waiting_requests_of_its_page_in_one_query(client, factory, student, node):
    set_default(max_duration_hours=3)
    for day in range(4):
        booking = factory.booking(student, start_in=next_week() + timedelta(days=day), status="approved",
                                  agent_id=node.id)
        assert extend(client, student, booking.id, minutes=90).get_json()["status"] == "pending"
    statements = []

    def capture(_conn, _cursor, statement, *_):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        items = client.get("/api/student/bookings", headers=bearer(student)).get_json()["items"]
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert [i["pending_extension"]["minutes"] for i in items] == [90] * 4
    assert len([s for s in statements if "FROM extension_requests" in s]) == 1


def _cancel_by_student(client, admin_headers, student, booking):
    return client.post(f"/api/student/bookings/{booking.id}/cancel", headers=bearer(student))


def _cancel_by_admin(client, admin_headers, student, booking):
    return client.post(f"/api/admin/bookings/{booking.id}/cancel", headers=admin_headers, json={})


def _completed_by_the_scheduler(client, admin_headers, student, booking):
    booking = db.session.get(Booking, booking.id)
    workflow.apply(booking, "started", Actor.SCHEDULER, None, started_at=utcnow())
    workflow.apply(booking, "completed", Actor.SCHEDULER, None, stopped_at=utcnow())
    db.session.commit()


def _expired_unstarted(client, admin_headers, student, booking):
    booking = db.session.get(Booking, booking.id)
    workflow.apply(booking, "expired", Actor.SCHEDULER, None, failure_reason="The node never answered.")
    db.session.commit()


@pytest.mark.parametrize("end_it", [_cancel_by_student, _cancel_by_admin, _completed_by_the_scheduler,
                                    _expired_unstarted])
def test_a_request_waiting_when_its_booking_ends_lapses_and_leaves_the_admins_queue(client, factory, student,
                                                                                   node, admin, admin_headers,
                                                                                   end_it):
    booking, request = waiting_request(client, factory, student, node)
    other, other_request = waiting_request(client, factory, factory.user(), node)
    end_it(client, admin_headers, student, booking)
    db.session.expire_all()
    lapsed = db.session.get(ExtensionRequest, request["id"])
    ended = db.session.get(Booking, booking.id)
    assert (lapsed.status, lapsed.decided_by_id) == ("lapsed", None) and lapsed.decided_at is not None
    assert lapsed.decision_reason == f"The booking is {ended.status}: it can no longer be extended."
    assert db.session.get(ExtensionRequest, other_request["id"]).status == "pending"  # another booking's stays
    audit_row = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.entity_type == "extension_request", AuditEvent.entity_id == request["id"],
        AuditEvent.action == "lapsed")).one()
    assert (audit_row.before["status"], audit_row.after["status"]) == ("pending", "lapsed")
    queue = client.get("/api/admin/extension-requests", headers=admin_headers).get_json()
    assert [r["id"] for r in queue["items"]] == [other_request["id"]]
    assert_error(client.post(f"/api/admin/extension-requests/{request['id']}/approve", headers=admin_headers,
                             json={}), 409, "invalid_transition")
    mine = client.get("/api/student/extension-requests", headers=bearer(student)).get_json()["items"]
    assert [(r["id"], r["status"]) for r in mine] == [(request["id"], "lapsed")]
    assert client.get("/api/admin/extension-requests?status=lapsed",
                      headers=admin_headers).get_json()["total"] == 1


def test_a_running_container_keeps_running_through_a_granted_extension(client, lab, docker_client, factory,
                                                                      session_image):
    booking = start_now(factory, lab, session_image, duration=timedelta(minutes=5))
    before = docker_client.containers.get(booking.container_id).attrs["State"]
    body = extend(client, booking.user, booking.id, minutes=30).get_json()
    assert body["status"] == "granted"
    lifecycle.tick()
    db.session.expire_all()
    after = db.session.get(Booking, booking.id)
    state = docker_client.containers.get(booking.container_id).attrs["State"]
    assert (after.status, after.container_id) == ("active", booking.container_id)
    assert state["Running"] and state["StartedAt"] == before["StartedAt"] and state["Pid"] == before["Pid"]


def test_the_migration_lapses_requests_already_stranded_on_ended_bookings():
    """Requests left pending on bookings that had ended before requests could
    lapse are closed by the migration that brings 'lapsed', with audit rows;
    one on a booking still approved stays pending."""
    with scratch_database("lapse") as url:
        app = make_app(url)
        with app.app_context():
            upgrade(revision="0008")
            now = utcnow()
            execute = db.session.execute
            user_id = execute(db.text(
                "INSERT INTO users (username, email, password_hash, role, is_active, created_at, updated_at)"
                " VALUES ('s', 's@lab.test', 'x', 'student', true, :now, :now) RETURNING id"), {"now": now}).scalar()
            request_ids = {}
            for status in ("cancelled", "approved"):
                booking_id = execute(db.text(
                    "INSERT INTO bookings (user_id, start_time, end_time, cpu_cores, memory_gb, gpu_count, image,"
                    " required_tags, status, start_attempts, stop_attempts, created_at, updated_at) VALUES"
                    " (:user, :start, :end, 1, 1, 0, 'img', '[]', :status, 0, 0, :now, :now) RETURNING id"),
                    {"user": user_id, "start": now + timedelta(hours=1), "end": now + timedelta(hours=2),
                     "status": status, "now": now}).scalar()
                request_ids[status] = execute(db.text(
                    "INSERT INTO extension_requests (booking_id, user_id, previous_end, requested_end, status,"
                    " created_at, updated_at) VALUES (:booking, :user, :end, :later, 'pending', :now, :now)"
                    " RETURNING id"), {"booking": booking_id, "user": user_id, "end": now + timedelta(hours=2),
                                       "later": now + timedelta(hours=3), "now": now}).scalar()
            db.session.commit()
            upgrade()
            statuses = dict(execute(db.text("SELECT id, status FROM extension_requests")).all())
            assert statuses == {request_ids["cancelled"]: "lapsed", request_ids["approved"]: "pending"}
            audited = execute(db.text("SELECT entity_id, action FROM audit_events"
                                      " WHERE entity_type = 'extension_request'")).all()
            assert [tuple(row) for row in audited] == [(request_ids["cancelled"], "lapsed")]
            db.session.commit()
            downgrade(revision="0008")  # and back: the older constraint holds it as rejected
            assert execute(db.text("SELECT status FROM extension_requests WHERE id = :id"),
                           {"id": request_ids["cancelled"]}).scalar() == "rejected"
            db.session.commit()
            upgrade()
            db.session.remove()
            db.engine.dispose()
