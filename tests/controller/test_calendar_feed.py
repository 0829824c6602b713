"""Calendar feeds: a secret ICS URL per user, lab-wide and per-node ones
for admins, valid RFC 5545 (checked with icalendar), revoked on regeneration,
authenticated by the token only, and the token never logged."""

import hashlib
import logging
from datetime import UTC, timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config as GunicornConfig
from icalendar import Calendar

from controller.extensions import db
from controller.gunicorn_logging import MaskingLogger
from controller.models import CalendarFeed
from tests.controller.helpers import assert_error


def make_feed(client, headers, admin_scope=None, **body) -> str:
    if admin_scope:
        response = client.post("/api/admin/calendar-feeds", headers=headers, json={"scope": admin_scope, **body})
    else:
        response = client.post("/api/student/calendar-feed", headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    url = response.get_json()["url"]
    return url[url.index("/api/calendar/"):]


def fetch(client, path) -> Calendar:
    response = client.get(path)  # no Authorization header: the token is the credential
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-store"
    return Calendar.from_ical(response.data)


def events(calendar: Calendar) -> dict:
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_a_students_feed_is_valid_icalendar_with_their_bookings_only(app, client, factory, node, student,
                                                                      student_headers):
    mine = factory.booking(student, status="approved", agent_id=node.id)
    pending = factory.booking(student, start_in=timedelta(days=2))
    factory.booking(factory.user(), status="approved", agent_id=node.id)  # someone else's
    path = make_feed(client, student_headers)
    raw = client.get(path).data
    calendar = Calendar.from_ical(raw)
    # RFC 5545 round trip: parse and serialise give the same calendar back.
    assert Calendar.from_ical(calendar.to_ical()).to_ical() == calendar.to_ical()
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    assert calendar["METHOD"] == "PUBLISH"
    vevents = calendar.walk("VEVENT")
    assert sorted(str(e["UID"]) for e in vevents) == sorted(
        f"booking-{b.id}@booking.lab" for b in (mine, pending))
    for event in vevents:
        assert "DTSTAMP" in event
    by_uid = {str(e["UID"]): e for e in vevents}
    approved = by_uid[f"booking-{mine.id}@booking.lab"]
    start, end = approved.decoded("DTSTART"), approved.decoded("DTEND")
    assert start == mine.start_time.replace(microsecond=0) and end == mine.end_time.replace(microsecond=0)
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    utc_start = mine.start_time.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{utc_start}" in approved.to_ical().decode()  # written in UTC ("Z")
    assert str(approved["STATUS"]) == "CONFIRMED" and str(approved["LOCATION"]) == node.name
    assert str(by_uid[f"booking-{pending.id}@booking.lab"]["STATUS"]) == "TENTATIVE"


def test_regenerating_a_feed_revokes_the_old_url(client, student, student_headers):
    old = make_feed(client, student_headers)
    new = make_feed(client, student_headers)
    assert old != new
    assert_error(client.get(old), 404, "not_found")
    fetch(client, new)
    listed = client.get("/api/student/calendar-feeds", headers=student_headers).get_json()["items"]
    assert [f["scope"] for f in listed] == ["user"] and "url" not in listed[0]


def test_only_the_tokens_hash_is_stored(client, student, student_headers):
    path = make_feed(client, student_headers)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    [feed] = db.session.scalars(db.select(CalendarFeed)).all()
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in feed.token_hash


@pytest.mark.parametrize("path", ["/api/calendar/not-a-token.ics", "/api/calendar/.ics"])
def test_an_unknown_or_tampered_token_is_404(client, student_headers, path):
    make_feed(client, student_headers)
    assert client.get(path).status_code == 404


def test_a_tampered_copy_of_a_real_token_is_404(client, student_headers):
    path = make_feed(client, student_headers)
    assert_error(client.get(path.replace(".ics", "x.ics")), 404)


def test_a_disabled_users_feed_stops_working(client, factory, student, student_headers, admin_headers):
    path = make_feed(client, student_headers)
    assert client.post(f"/api/admin/users/{student.id}/status", headers=admin_headers,
                       json={"is_active": False}).status_code == 200
    assert_error(client.get(path), 404)


def test_admins_have_a_lab_feed_and_a_node_feed(client, factory, admin_headers):
    big = factory.agent(name="big", cpu_cores=32, memory_gb=128)
    small = factory.agent(name="small", cpu_cores=4, memory_gb=8)
    alice, bob = factory.user(username="alice"), factory.user(username="bob")
    on_big = factory.booking(alice, status="approved", agent_id=big.id)
    on_small = factory.booking(bob, status="active", agent_id=small.id, start_in=timedelta(minutes=-5))
    factory.booking(bob, status="rejected", start_in=timedelta(days=3))  # holds nothing: not in lab feeds
    lab = fetch(client, make_feed(client, admin_headers, "lab"))
    assert sorted(str(e["UID"]) for e in lab.walk("VEVENT")) == sorted(
        f"booking-{b.id}@booking.lab" for b in (on_big, on_small))
    assert any(s.startswith("alice: ") for s in events(lab))  # an admin's feed names the owner
    node = fetch(client, make_feed(client, admin_headers, "node", agent_id=small.id))
    assert [str(e["UID"]) for e in node.walk("VEVENT")] == [f"booking-{on_small.id}@booking.lab"]
    assert "small" in str(node["X-WR-CALNAME"])


@pytest.mark.parametrize("body", [{"scope": "node"}, {"scope": "node", "agent_id": 999}])
def test_a_node_feed_needs_a_real_node(client, admin_headers, body):
    assert client.post("/api/admin/calendar-feeds", headers=admin_headers, json=body).status_code in (404, 422)


@pytest.mark.parametrize("body", [{"scope": "galaxy"}, {"scope": "lab", "agent_id": "x"}, {}])
def test_bad_admin_feed_requests_are_422(client, admin_headers, body):
    assert_error(client.post("/api/admin/calendar-feeds", headers=admin_headers, json=body), 422)


def test_students_cannot_make_lab_feeds_and_feeds_need_a_login(client, student_headers):
    assert_error(client.post("/api/admin/calendar-feeds", headers=student_headers, json={"scope": "lab"}), 403)
    assert client.post("/api/student/calendar-feed").status_code == 401


def test_an_admin_feed_stops_working_when_its_owner_is_no_longer_admin(client, factory, admin, admin_headers):
    path = make_feed(client, admin_headers, "lab")
    admin.role = "student"
    db.session.commit()
    assert_error(client.get(path), 404)


def test_the_feed_token_is_never_logged(app, client, student_headers, caplog):
    path = make_feed(client, student_headers)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    caplog.set_level(logging.INFO)
    client.get(path)
    client.get(path.replace(".ics", "x.ics"))
    logged = [r for r in caplog.records if r.name == "controller.request"]
    assert logged and all(getattr(r, "path", "") == "/api/calendar/***" for r in logged)
    assert not any(token in (r.getMessage() + str(vars(r))) for r in caplog.records)

    # Gunicorn's access log (the controller image's) masks it too.
    logger = MaskingLogger(GunicornConfig())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    assert token not in atoms["r"] and token not in atoms["U"] and "/api/calendar/***" in atoms["r"]


def test_the_feed_ignores_any_bearer_token(client, student_headers):
    path = make_feed(client, student_headers)
    assert client.get(path, headers={"Authorization": "Bearer garbage"}).status_code == 200
