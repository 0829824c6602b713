"""Sessions students can open: a fresh secret at every start, handed to the
container, readable by the owner only (and by admins, audited), and never in
a log line or an audit row."""

import logging
from datetime import timedelta

import requests

from controller.extensions import db
from controller.models import AuditEvent
from tests.controller.conftest import bearer
from tests.controller.helpers import start_now

S = timedelta(seconds=1)


def test_the_owner_connects_with_a_secret_no_one_else_sees(app, client, lab, factory, session_image,
                                                           docker_client, admin, admin_headers, caplog):
    caplog.set_level(logging.DEBUG)
    first, second = start_now(factory, lab, session_image), start_now(factory, lab, session_image)
    assert first.session_secret and second.session_secret and first.session_secret != second.session_secret
    env = dict(e.split("=", 1) for e in docker_client.api.inspect_container(first.container_name)["Config"]["Env"])
    assert env["SESSION_TOKEN"] == first.session_secret and env["SESSION_BASE_URL"] == "/"

    session = client.get(f"/api/student/bookings/{first.id}/session", headers=bearer(first.user)).get_json()
    assert session["state"] == "running"
    assert session["connect_url"] == f"http://127.0.0.1:{first.access_port}/?token={first.session_secret}"
    assert requests.get(session["connect_url"], timeout=5).status_code == 200

    other = client.get(f"/api/student/bookings/{first.id}/session", headers=bearer(second.user))
    assert other.status_code == 404
    for response in (client.get("/api/student/bookings", headers=bearer(second.user)),
                     client.get(f"/api/student/bookings/{first.id}", headers=bearer(first.user)),
                     client.get("/api/admin/bookings", headers=admin_headers),
                     client.get(f"/api/admin/bookings/{first.id}", headers=admin_headers)):
        assert first.session_secret not in response.get_data(as_text=True)

    seen = client.get(f"/api/admin/bookings/{first.id}/session", headers=admin_headers).get_json()
    assert seen["connect_url"] == session["connect_url"]
    viewed = db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_id == first.id,
                                                           AuditEvent.action == "session_viewed"))
    assert viewed.actor_id == admin.id
    rows = db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity_id.in_([first.id, second.id])))
    assert all(first.session_secret not in str((e.before, e.after)) for e in rows)
    # Every log record but the test's own fetch of the Connect URL (urllib3 logs request lines).
    logged = [r for r in caplog.records if not (r.name.startswith("urllib3") and "?token=" in r.getMessage())]
    assert logged and all(first.session_secret not in str(record.__dict__) for record in logged)


def test_a_session_that_has_not_started_or_has_ended_says_so(client, factory, student, student_headers, node):
    waiting = factory.booking(student, status="approved", agent_id=node.id)
    body = client.get(f"/api/student/bookings/{waiting.id}/session", headers=student_headers).get_json()
    assert (body["state"], body["connect_url"], body["password"]) == ("waiting", None, None)
    ended = factory.booking(student, status="completed", agent_id=node.id, session_secret="old-secret",
                            start_in=-timedelta(hours=3))
    body = client.get(f"/api/student/bookings/{ended.id}/session", headers=student_headers).get_json()
    assert (body["state"], body["connect_url"]) == ("ended", None)
    assert "old-secret" not in str(body)


def test_a_session_that_is_not_http_gets_a_password_instead(app, client, factory, student, student_headers, node):
    app.config["SESSION_IMAGES"] = [{"name": "lab/ssh:latest", "port": 22, "http": False}]
    booking = factory.booking(student, status="active", agent_id=node.id, image="lab/ssh:latest",
                              session_secret="pw-123", access_host="node1.lab", access_port=20022,
                              start_in=-timedelta(minutes=5))
    body = client.get(f"/api/student/bookings/{booking.id}/session", headers=student_headers).get_json()
    assert (body["state"], body["connect_url"]) == ("running", None)
    assert (body["host"], body["port"], body["password"]) == ("node1.lab", 20022, "pw-123")


def test_behind_the_proxy_the_link_goes_through_the_lab_front_door(app, client, factory, student,
                                                                   student_headers, node):
    app.config.update(SESSION_PROXY="traefik", PUBLIC_URL="https://lab.example")
    booking = factory.booking(student, status="active", agent_id=node.id, session_secret="tok",
                              access_host="127.0.0.5", access_port=20001, start_in=-timedelta(minutes=5))
    body = client.get(f"/api/student/bookings/{booking.id}/session", headers=student_headers).get_json()
    assert body["connect_url"] == f"https://lab.example/sessions/{booking.id}/"  # no secret in the URL
