from datetime import timedelta

import pytest

from controller import local_agent
from controller.extensions import db
from controller.models import Agent, AuditEvent, Booking
from controller.models import utcnow as now
from tests.controller.helpers import approve, assert_error, future, iso


def test_admin_approves_onto_a_node_and_the_audit_trail_records_it(client, admin, admin_headers, factory):
    node = factory.agent()
    booking = factory.booking(factory.user())
    response = approve(client, admin_headers, booking.id, notes="ok for the course")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["agent_id"], body["agent_name"]) == ("approved", node.id, node.name)
    assert body["approved_by"] == admin.username and body["admin_notes"] == "ok for the course"
    detail = client.get(f"/api/admin/bookings/{booking.id}", headers=admin_headers).get_json()
    assert [(e["action"], e["from_status"], e["to_status"], e["actor"]) for e in detail["events"]] == [
        ("approved", "pending", "approved", admin.username)]


def test_approve_onto_an_explicit_node(client, admin_headers, factory):
    factory.agent(name="a")
    chosen = factory.agent(name="b")
    booking = factory.booking(factory.user())
    assert approve(client, admin_headers, booking.id, agent_id=chosen.id).get_json()["agent_id"] == chosen.id


def test_approve_onto_an_unknown_node_is_404_and_changes_nothing(client, admin_headers, factory):
    factory.agent()
    booking = factory.booking(factory.user())
    assert_error(approve(client, admin_headers, booking.id, agent_id=999), 404)
    db.session.refresh(booking)
    assert booking.status == "pending" and booking.agent_id is None


def test_approve_unknown_booking_is_404(client, admin_headers):
    assert_error(approve(client, admin_headers, 12345), 404, "not_found")


def test_approve_a_booking_whose_window_passed_is_refused(client, admin_headers, factory):
    factory.agent()
    booking = factory.booking(factory.user(), start_time=now() - timedelta(hours=3),
                              end_time=now() - timedelta(hours=1))
    assert_error(approve(client, admin_headers, booking.id), 409, "invalid_transition")


def test_reject_requires_a_reason_and_shows_it_to_the_student(client, admin_headers, factory):
    from tests.controller.conftest import bearer

    student = factory.user()
    booking = factory.booking(student)
    assert_error(client.post(f"/api/admin/reject/{booking.id}", headers=admin_headers, json={}), 422)
    assert_error(client.post(f"/api/admin/reject/{booking.id}", headers=admin_headers, json={"reason": "   "}), 422)
    response = client.post(f"/api/admin/reject/{booking.id}", headers=admin_headers,
                           json={"reason": "Course quota used up"})
    assert response.get_json()["status"] == "rejected"
    seen = client.get(f"/api/student/bookings/{booking.id}", headers=bearer(student)).get_json()
    assert seen["rejection_reason"] == "Course quota used up"


@pytest.mark.parametrize("body", [{"minutes": 60}, "end_time"])
def test_extend_moves_the_end(client, admin_headers, factory, body):
    node = factory.agent()
    booking = factory.booking(factory.user(), status="approved", agent_id=node.id)
    new_end = booking.end_time + timedelta(hours=1)
    if body == "end_time":
        body = {"end_time": iso(new_end)}
    response = client.post(f"/api/admin/extend/{booking.id}", headers=admin_headers, json=body)
    assert response.status_code == 200
    assert response.get_json()["end_time"] == iso(new_end)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "extended"))
    assert event.after["end_time"] == new_end.isoformat()


@pytest.mark.parametrize("body", [{}, {"minutes": 0}, {"minutes": -5}, {"minutes": 10, "end_time": "2030-01-01T00:00:00Z"},
                                  {"minutes": "10"}, {"end_time": "tomorrow"}])
def test_extend_rejects_bad_bodies(client, admin_headers, factory, body):
    node = factory.agent()
    booking = factory.booking(factory.user(), status="approved", agent_id=node.id)
    before = booking.end_time
    assert_error(client.post(f"/api/admin/extend/{booking.id}", headers=admin_headers, json=body), 422)
    db.session.refresh(booking)
    assert booking.end_time == before


def test_extend_to_an_earlier_end_is_refused(client, admin_headers, factory):
    node = factory.agent()
    booking = factory.booking(factory.user(), status="approved", agent_id=node.id)
    earlier = iso(booking.end_time - timedelta(minutes=30))
    assert_error(client.post(f"/api/admin/extend/{booking.id}", headers=admin_headers, json={"end_time": earlier}), 422)


def test_extend_into_the_students_next_booking_is_refused(client, admin_headers, factory):
    node = factory.agent()
    student = factory.user()
    booking = factory.booking(student, status="approved", agent_id=node.id, duration=timedelta(hours=1))
    factory.booking(student, start_time=booking.end_time + timedelta(minutes=30))
    assert_error(client.post(f"/api/admin/extend/{booking.id}", headers=admin_headers, json={"minutes": 60}), 409,
                 "conflict")


@pytest.mark.parametrize("status", ["pending", "approved", "active"])
def test_admin_cancels_open_bookings(client, admin_headers, factory, status):
    node = factory.agent()
    booking = factory.booking(factory.user(), status=status, agent_id=None if status == "pending" else node.id)
    response = client.post(f"/api/admin/bookings/{booking.id}/cancel", headers=admin_headers,
                           json={"reason": "node needed for exams"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"


def test_bulk_reports_each_outcome(client, admin_headers, factory):
    factory.agent(cpu_cores=4)
    users = [factory.user() for _ in range(3)]
    bookings = [factory.booking(user, cpu_cores=2) for user in users]
    ids = [b.id for b in bookings] + [999]
    results = client.post("/api/admin/bulk", headers=admin_headers,
                          json={"action": "approve", "ids": ids}).get_json()["results"]
    assert [r["ok"] for r in results] == [True, True, False, False]
    assert results[2]["error"]["error"] == "capacity_exceeded"
    assert results[3]["error"]["error"] == "not_found"
    rejected = client.post("/api/admin/bulk", headers=admin_headers,
                           json={"action": "reject", "ids": [bookings[2].id], "reason": "full"}).get_json()
    assert rejected["results"][0]["booking"]["status"] == "rejected"
    extended = client.post("/api/admin/bulk", headers=admin_headers,
                           json={"action": "extend", "ids": [bookings[0].id], "minutes": 30}).get_json()
    assert extended["results"][0]["ok"] is True
    cancelled = client.post("/api/admin/bulk", headers=admin_headers,
                            json={"action": "cancel", "ids": [bookings[0].id, bookings[2].id]}).get_json()
    assert [(r["ok"], (r.get("booking") or r["error"]).get("status") or r["error"]["error"])
            for r in cancelled["results"]] == [(True, "cancelled"), (False, "invalid_transition")]
    assert cancelled["results"][0]["booking"]["actions"] == []


@pytest.mark.parametrize("body", [{"action": "reject", "ids": [1]}, {"action": "extend", "ids": [1]},
                                  {"action": "delete", "ids": [1]}, {"action": "approve", "ids": []},
                                  {"action": "approve", "ids": list(range(101))}, {"action": "approve", "ids": ["a"]}])
def test_bulk_rejects_bad_bodies(client, admin_headers, body):
    assert_error(client.post("/api/admin/bulk", headers=admin_headers, json=body), 422, "validation_error")


def test_admin_list_filters_sorts_and_paginates(client, admin_headers, factory):
    node = factory.agent()
    alice, bob = factory.user(username="alice"), factory.user(username="bob")
    factory.booking(alice, start_in=timedelta(days=3))
    factory.booking(alice, start_in=timedelta(days=1), status="approved", agent_id=node.id)
    factory.booking(bob, start_in=timedelta(days=2), status="rejected")

    def ids(query):
        body = client.get(f"/api/admin/bookings?{query}", headers=admin_headers).get_json()
        return [item["username"] for item in body["items"]], body["total"]

    assert ids("") == (["alice", "bob", "alice"], 3)
    assert ids("sort=start_time&order=desc") == (["alice", "bob", "alice"], 3)
    assert ids("status=pending,approved") == (["alice", "alice"], 2)
    assert ids("q=bo") == (["bob"], 1)
    assert ids(f"user_id={bob.id}") == (["bob"], 1)
    assert ids(f"agent_id={node.id}") == (["alice"], 1)
    assert ids("sort=username&order=desc&per_page=1") == (["bob"], 3)
    start_from = iso(future(36))
    assert ids(f"start_from={start_from.replace('+', '%2B')}") == (["bob", "alice"], 2)


@pytest.mark.parametrize("query", ["status=nope", "sort=password_hash", "order=up", "start_from=yesterday",
                                   "per_page=0", "agent_id=x"])
def test_admin_list_rejects_bad_queries(client, admin_headers, query):
    assert_error(client.get(f"/api/admin/bookings?{query}", headers=admin_headers), 422, "validation_error")


def test_register_edit_and_set_status_of_a_node(client, admin_headers):
    payload = {"name": "gpu-01", "url": "http://127.0.0.1:5001", "token": "agent-token-123", "cpu_cores": 16,
               "memory_gb": 64, "gpu_count": 2, "mac_address": "AA-BB-CC-DD-EE-FF",
               "broadcast_address": "127.0.0.1", "wol_port": 9, "tags": ["gpu", "a100"]}
    response = client.post("/api/admin/agents", headers=admin_headers, json=payload)
    assert response.status_code == 201
    node = response.get_json()
    assert "token" not in node and node["has_token"] is True
    assert node["mac_address"] == "aa:bb:cc:dd:ee:ff" and node["status"] == "online"
    assert node["usage_now"] == {"cpu_cores": 0, "memory_gb": 0.0, "gpu_count": 0}
    assert db.session.get(Agent, node["id"]).token == "agent-token-123"
    edited = client.patch(f"/api/admin/agents/{node['id']}", headers=admin_headers, json={"cpu_cores": 32})
    assert edited.get_json()["cpu_cores"] == 32
    status = client.post(f"/api/admin/agents/{node['id']}/status", headers=admin_headers,
                         json={"status": "maintenance"})
    assert status.get_json()["status"] == "maintenance"
    listed = client.get("/api/admin/agents", headers=admin_headers).get_json()["items"]
    assert [n["name"] for n in listed] == ["gpu-01"] and "token" not in listed[0]
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity_type == "agent"))]
    assert actions == ["registered", "updated", "updated"]


@pytest.mark.parametrize("override", [{"name": ""}, {"url": "ftp://x"}, {"url": "not a url"}, {"cpu_cores": 0},
                                      {"memory_gb": -1}, {"mac_address": "zz:zz"}, {"broadcast_address": "foo"},
                                      {"wol_port": 70000}, {"tags": ["has space"]}, {"status": "sleepy"},
                                      {"token": "short"}, {"secret": "x"},
                                      {"mac_address": "aa:bb:cc:dd:ee:ff"}])
def test_register_node_rejects_bad_fields(client, admin_headers, override):
    payload = {"name": "n1", "url": "http://127.0.0.1:5001", "cpu_cores": 4, "memory_gb": 8, **override}
    assert_error(client.post("/api/admin/agents", headers=admin_headers, json=payload), 422, "validation_error")
    assert db.session.scalar(db.select(db.func.count()).select_from(Agent)) == 0


def test_node_names_are_unique(client, admin_headers, factory):
    factory.agent(name="n1")
    payload = {"name": "N1", "url": "http://127.0.0.1:5001", "cpu_cores": 4, "memory_gb": 8}
    assert_error(client.post("/api/admin/agents", headers=admin_headers, json=payload), 409, "conflict")


def test_shrinking_a_node_below_its_bookings_is_refused(client, admin_headers, factory):
    node = factory.agent(cpu_cores=8)
    factory.booking(factory.user(), status="approved", agent_id=node.id, cpu_cores=6)
    assert_error(client.patch(f"/api/admin/agents/{node.id}", headers=admin_headers, json={"cpu_cores": 4}), 409,
                 "capacity_exceeded")
    db.session.refresh(node)
    assert node.cpu_cores == 8


def test_stats_count_and_measure_utilisation(client, admin_headers, factory):
    node = factory.agent(cpu_cores=8, memory_gb=32)
    factory.agent(status="maintenance")
    student = factory.user()
    factory.booking(student, status="active", agent_id=node.id, cpu_cores=4, memory_gb=8,
                    start_time=now() - timedelta(hours=1), end_time=now() + timedelta(hours=1))
    factory.booking(factory.user())
    body = client.get("/api/admin/stats", headers=admin_headers).get_json()
    assert body["bookings"]["active"] == 1 and body["bookings"]["pending"] == 1
    assert body["agents"] == {"total": 2, "online": 1, "offline": 0, "maintenance": 1}
    assert body["utilisation_now"] == {"cpu": 0.5, "memory": 0.25, "gpu": 0.0}
    days = body["utilisation_next_7_days"]
    assert len(days) == 7 and days[0]["date"] == now().date().isoformat()
    assert sum(day["cpu"] for day in days) > 0


def test_users_list_is_searchable(client, admin_headers, factory):
    factory.user(username="carol")
    body = client.get("/api/admin/users?q=car", headers=admin_headers).get_json()
    assert [u["username"] for u in body["items"]] == ["carol"]
    assert "password_hash" not in body["items"][0]


def test_at_risk_flags_approved_bookings_on_offline_nodes(client, admin_headers, factory):
    node = factory.agent()
    booking = factory.booking(factory.user(), status="approved", agent_id=node.id)
    node.status = "offline"
    db.session.commit()
    body = client.get(f"/api/admin/bookings/{booking.id}", headers=admin_headers).get_json()
    assert body["at_risk"] is True
    assert db.session.get(Booking, booking.id).status == "approved"


@pytest.mark.parametrize(("status", "wakeable", "started", "expected"), [
    ("online", False, False, False), ("maintenance", True, False, True), ("offline", False, False, True),
    ("offline", True, False, False), ("offline", True, True, True),
])
def test_at_risk_rules(client, admin_headers, factory, status, wakeable, started, expected):
    node = factory.agent(status=status, mac_address="aa:bb:cc:dd:ee:01" if wakeable else None,
                         broadcast_address="127.0.0.1" if wakeable else None)
    start = now() - timedelta(minutes=1) if started else now() + timedelta(hours=1)
    booking = factory.booking(factory.user(), status="approved", agent_id=node.id, start_time=start,
                              end_time=start + timedelta(hours=2))
    assert client.get(f"/api/admin/bookings/{booking.id}", headers=admin_headers).get_json()["at_risk"] is expected


def test_disabling_a_student_locks_them_out_and_cancels_their_open_bookings(client, admin, admin_headers, factory):
    from tests.controller.conftest import bearer

    node = factory.agent()
    student = factory.user()
    headers = bearer(student)
    pending = factory.booking(student)
    approved = factory.booking(student, start_in=timedelta(days=1), status="approved", agent_id=node.id)
    active = factory.booking(student, start_in=timedelta(days=2), status="active", agent_id=node.id)
    response = client.post(f"/api/admin/users/{student.id}/status", headers=admin_headers, json={"is_active": False})
    assert response.status_code == 200 and response.get_json()["is_active"] is False
    assert_error(client.get("/api/auth/me", headers=headers), 401)
    db.session.expire_all()
    assert [db.session.get(Booking, b.id).status for b in (pending, approved, active)] == [
        "cancelled", "cancelled", "active"]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_type == "user",
                                                          AuditEvent.action == "disabled"))
    assert event.actor_id == admin.id
    enabled = client.post(f"/api/admin/users/{student.id}/status", headers=admin_headers, json={"is_active": True})
    assert enabled.get_json()["is_active"] is True
    assert client.get("/api/auth/me", headers=bearer(student)).status_code == 200


@pytest.mark.parametrize("body", [{}, {"is_active": "no"}, {"is_active": 0}, {"is_active": None}, {"active": False}])
def test_user_status_rejects_bad_bodies(client, admin_headers, factory, body):
    student = factory.user()
    assert_error(client.post(f"/api/admin/users/{student.id}/status", headers=admin_headers, json=body), 422)


def test_an_admin_cannot_disable_themselves(client, admin, admin_headers):
    assert_error(client.post(f"/api/admin/users/{admin.id}/status", headers=admin_headers,
                             json={"is_active": False}), 409, "conflict")


def test_disabling_an_unknown_user_is_404(client, admin_headers):
    assert_error(client.post("/api/admin/users/999/status", headers=admin_headers, json={"is_active": False}), 404)


def test_the_local_node_resizes_through_the_node_service(app, factory, monkeypatch):
    """`make run` registers this machine as node `local`: audited like any
    node edit, and never shrunk below what its bookings hold."""
    monkeypatch.setattr(local_agent.os, "cpu_count", lambda: 8)
    node = local_agent.register("http://127.0.0.1:5001", "token-one-123456")
    assert (node.name, node.cpu_cores, node.tags) == ("local", 8, ["local"])
    factory.booking(factory.user(), status="approved", agent_id=node.id, cpu_cores=6)
    monkeypatch.setattr(local_agent.os, "cpu_count", lambda: 4)
    node = local_agent.register("http://127.0.0.1:5002", "token-two-123456")
    assert (node.cpu_cores, node.url, node.token) == (8, "http://127.0.0.1:5002", "token-two-123456")
    monkeypatch.setattr(local_agent.os, "cpu_count", lambda: 12)
    node = local_agent.register("http://127.0.0.1:5002", "token-two-123456")
    assert node.cpu_cores == 12
    events = [(e.action, (e.after or {}).get("cpu_cores")) for e in
              db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity_type == "agent")
                                 .order_by(AuditEvent.id))]
    assert events == [("registered", 8), ("updated", 8), ("updated", 12)]
