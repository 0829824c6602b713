"""Email notices: queued with the workflow move, sent by the scheduler's job
to a real SMTP server on 127.0.0.1, retried, never twice; reminders; preferences."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from controller.extensions import db
from controller.jobs import JOBS
from controller.models import Booking, ExtensionRequest, MailOutbox, utcnow
from controller.services import extension_requests, notifications, workflow
from controller.services.workflow import Actor
from tests.controller import mailsink
from tests.controller.conftest import bearer
from tests.controller.helpers import approve, assert_error

smtp_sink, smtp_down = mailsink.smtp_sink, mailsink.smtp_down  # fixtures


def outbox() -> list[MailOutbox]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(MailOutbox).order_by(MailOutbox.id)))


def tomorrow_at(hour: int) -> datetime:
    day = (utcnow() + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_approval_mail_reaches_the_smtp_sink_in_the_labs_local_time(app, client, factory, node, student,
                                                                     admin_headers, smtp_sink):
    app.config["LAB_TIMEZONE"] = "Asia/Kolkata"  # UTC+05:30 all year
    start = tomorrow_at(9)
    booking = factory.booking(student, start_time=start, end_time=start + timedelta(hours=2))
    assert approve(client, admin_headers, booking.id).status_code == 200
    # Queued with the approval, not sent inside the request.
    assert [row.category for row in outbox()] == ["approved"]
    assert smtp_sink.messages == []

    assert notifications.send_due() == {"sent": 1}
    [message] = smtp_sink.wait_for(1)
    assert message["To"] == student.email
    assert message["From"] == "Lab <booking@lab.test>"
    assert f"#{booking.id} is approved" in message["Subject"]
    body = message.get_content()
    local_day = start.strftime("%a %d %b %Y")
    assert f"From:  {local_day}, 14:30 IST" in body
    assert f"To:    {local_day}, 16:30 IST" in body
    assert f"Node:  {node.name}" in body
    assert outbox()[0].sent_at is not None


def test_a_move_rolled_back_queues_no_mail(app, factory, student, node, smtp_sink):
    booking = factory.booking(student)
    workflow.apply(booking, "reject", Actor.ADMIN, None, rejection_reason="full")
    db.session.rollback()
    assert outbox() == []


def test_mail_is_off_without_smtp_url(app, client, factory, node, student, admin_headers):
    app.config["SMTP_URL"] = None
    booking = factory.booking(student)
    assert approve(client, admin_headers, booking.id).status_code == 200
    assert outbox() == []
    assert notifications.send_due() == {}


def test_smtp_down_never_fails_a_booking_action_and_the_backlog_is_visible(app, client, factory, node, student,
                                                                          admin_headers, smtp_down):
    booking = factory.booking(student)
    assert approve(client, admin_headers, booking.id).status_code == 200
    assert notifications.send_due() == {"failed": 1}
    [row] = outbox()
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)  # MAIL_RETRY_BASE_SECONDS later

    panel = client.get("/api/admin/scheduler", headers=admin_headers).get_json()
    assert panel["mail"]["enabled"] is True
    assert panel["mail"]["queued"] == 1 and panel["mail"]["retrying"] == 1 and panel["mail"]["given_up"] == 0
    assert "Connection" in panel["mail"]["last_error"] or "refused" in panel["mail"]["last_error"].lower()
    # A student's cancel goes through too while mail is down.
    assert client.post(f"/api/student/bookings/{booking.id}/cancel",
                       headers=_headers(student)).status_code == 200


def _headers(user):
    return bearer(user)


def test_a_failed_mail_is_retried_with_backoff_then_sent_or_given_up(app, factory, student, smtp_down):
    app.config.update(MAIL_RETRY_BASE_SECONDS=10, MAIL_RETRY_MAX_SECONDS=15, MAIL_MAX_ATTEMPTS=3)
    notifications.enqueue(student, "approved", "s", "b", "k1")
    db.session.commit()
    delays = []
    for _ in range(3):
        db.session.execute(db.update(MailOutbox).values(next_attempt_at=utcnow()))
        db.session.commit()
        before = utcnow()
        notifications.send_due()
        row = outbox()[0]
        delays.append(None if row.next_attempt_at is None else round((row.next_attempt_at - before).total_seconds()))
    assert delays == [10, 15, None]  # doubled, capped, then given up after MAIL_MAX_ATTEMPTS
    assert notifications.backlog()["given_up"] == 1


def test_a_retried_mail_is_sent_once_the_server_is_back(app, factory, student, smtp_sink):
    good_url = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"
    notifications.enqueue(student, "approved", "hello", "body", "k-back")
    db.session.commit()
    assert notifications.send_due() == {"failed": 1}
    app.config["SMTP_URL"] = good_url
    assert notifications.send_due() == {}  # not due yet: backoff
    db.session.execute(db.update(MailOutbox).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert notifications.send_due() == {"sent": 1}
    assert [m["Subject"] for m in smtp_sink.wait_for(1)] == ["hello"]


def test_nothing_is_sent_twice_by_overlapping_senders_or_a_second_run(app, factory, student, smtp_sink):
    """A leader taking over while the old one still sends: SKIP LOCKED keeps
    them off each other's rows; a sent row is never due again."""
    for n in range(4):
        notifications.enqueue(student, "approved", f"mail {n}", "body", f"dup-{n}")
    notifications.enqueue(student, "approved", "again", "body", "dup-0")  # same notice queued again
    db.session.commit()
    assert len(outbox()) == 4
    smtp_sink.delay = 0.2
    results = []

    def sender():
        with app.app_context():
            results.append(notifications.send_due())
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert notifications.send_due() == {}  # the "restarted" leader finds nothing due
    messages = smtp_sink.wait_for(4)
    assert sorted(m["Subject"] for m in messages) == ["mail 0", "mail 1", "mail 2", "mail 3"]
    assert len({m["Message-ID"] for m in messages}) == 4
    assert sum(r.get("sent", 0) for r in results) == 4


def test_a_user_who_turns_a_category_off_gets_no_such_mail(app, client, factory, node, student, student_headers,
                                                          admin_headers, smtp_sink):
    response = client.put("/api/student/notifications", headers=student_headers,
                          json={"categories": {"approved": False}})
    assert response.status_code == 200
    prefs = {c["category"]: c["email"] for c in response.get_json()["categories"]}
    assert prefs["approved"] is False and prefs["rejected"] is True
    assert client.get("/api/student/notifications", headers=student_headers).get_json()["email_enabled"] is True
    approved, rejected = factory.booking(student), factory.booking(student, start_in=timedelta(hours=5))
    assert approve(client, admin_headers, approved.id).status_code == 200
    assert client.post(f"/api/admin/reject/{rejected.id}", headers=admin_headers,
                       json={"reason": "no room"}).status_code == 200
    assert [row.category for row in outbox()] == ["rejected"]
    assert "no room" in outbox()[0].body


@pytest.mark.parametrize("body", [
    {"categories": {"spam": False}}, {"categories": {"approved": "no"}}, {"categories": {}},
    {"categories": {"approved": False}, "extra": 1}, {},
])
def test_bad_notification_preferences_are_422(client, student_headers, body):
    assert_error(client.put("/api/student/notifications", headers=student_headers, json=body), 422)


def test_preferences_need_a_login(client):
    assert client.get("/api/student/notifications").status_code == 401


def test_each_extension_is_its_own_notice(app, client, factory, node, student, admin_headers, smtp_sink):
    booking = factory.booking(student, status="approved", agent_id=node.id)
    for minutes in (30, 30):
        assert client.post(f"/api/admin/extend/{booking.id}", headers=admin_headers,
                           json={"minutes": minutes}).status_code == 200
    rows = outbox()
    assert [row.category for row in rows] == ["extended", "extended"]
    assert rows[0].dedupe_key != rows[1].dedupe_key


@pytest.mark.parametrize(("move", "changes", "category"), [
    ("started", {"started_at": None}, "starting"),
    ("start_failed", {"failure_reason": "no image"}, "failed"),
    ("expired", {"failure_reason": "node asleep"}, "failed"),
])
def test_scheduler_moves_queue_their_notice(app, factory, node, student, smtp_sink, move, changes, category):
    booking = factory.booking(student, status="approved", agent_id=node.id)
    changes = {k: (utcnow() if k == "started_at" else v) for k, v in changes.items()}
    workflow.apply(booking, move, Actor.SCHEDULER, None, **changes)
    db.session.commit()
    [row] = outbox()
    assert row.category == category and row.recipient == student.email


def test_ending_soon_reminders_are_queued_once_at_30_and_at_10_minutes(app, factory, node, student, smtp_sink):
    now = utcnow()
    booking = factory.booking(student, status="active", agent_id=node.id, start_time=now - timedelta(hours=1),
                              end_time=now + timedelta(minutes=25))
    factory.booking(factory.user(), status="active", agent_id=node.id, start_time=now - timedelta(hours=1),
                    end_time=now + timedelta(minutes=60))  # not yet
    assert notifications.queue_reminders(now) == {"reminders": 1}
    assert notifications.queue_reminders(now + timedelta(minutes=1)) == {}  # same reminder: not again
    assert notifications.queue_reminders(now + timedelta(minutes=16)) == {"reminders": 1}
    keys = [row.dedupe_key for row in outbox()]
    assert keys == [f"booking:{booking.id}:ending_soon:30:{booking.end_time.isoformat()}",
                    f"booking:{booking.id}:ending_soon:10:{booking.end_time.isoformat()}"]
    assert notifications.send_due() == {"sent": 2}
    assert all("ends in" in m["Subject"] for m in smtp_sink.wait_for(2))


def test_reminders_respect_the_ending_soon_preference(app, client, factory, node, student, student_headers,
                                                      smtp_sink):
    client.put("/api/student/notifications", headers=student_headers, json={"categories": {"ending_soon": False}})
    now = utcnow()
    factory.booking(student, status="active", agent_id=node.id, start_time=now - timedelta(hours=1),
                    end_time=now + timedelta(minutes=5))
    assert notifications.queue_reminders(now) == {}
    assert outbox() == []


def test_mail_and_reminders_are_scheduler_jobs():
    assert {"mail", "reminders"} <= {job.name for job in JOBS}


def test_booking_status_is_untouched_by_mail(app, client, factory, node, student, admin_headers, smtp_down):
    booking = factory.booking(student)
    approve(client, admin_headers, booking.id)
    notifications.send_due()
    assert db.session.get(Booking, booking.id).status == "approved"


def test_a_mail_a_crashed_sender_left_sending_is_never_sent_again(app, student, smtp_sink):
    notifications.enqueue(student, "approved", "maybe delivered", "body", "crash-1")
    notifications.enqueue(student, "approved", "being sent now", "body", "crash-2")
    notifications.enqueue(student, "approved", "still due", "body", "crash-3")
    db.session.commit()
    crashed, busy, _ = outbox()
    crashed.sending_at, crashed.attempts = utcnow() - timedelta(minutes=10), 1  # its sender died mid-send
    busy.sending_at, busy.attempts = utcnow(), 1  # another sender is on it right now
    db.session.commit()
    assert notifications.send_due() == {"sent": 1, "interrupted": 1}
    assert [m["Subject"] for m in smtp_sink.wait_for(1)] == ["still due"]
    crashed, busy, _ = outbox()
    assert crashed.sent_at is None and crashed.next_attempt_at is None and "Interrupted" in crashed.last_error
    assert busy.sent_at is None and busy.last_error is None  # left to its sender
    assert notifications.send_due() == {}
    backlog = notifications.backlog()
    assert backlog["given_up"] == 1 and backlog["queued"] == 2


def test_an_admin_refusing_more_time_mails_the_student(app, client, factory, node, student, admin, admin_headers,
                                                       smtp_sink):
    app.config["LAB_TIMEZONE"] = "Asia/Kolkata"
    booking = factory.booking(student, status="approved", agent_id=node.id)
    request = ExtensionRequest(booking_id=booking.id, user_id=student.id, previous_end=booking.end_time,
                               requested_end=booking.end_time + timedelta(hours=1), status="pending")
    db.session.add(request)
    db.session.commit()
    response = client.post(f"/api/admin/extension-requests/{request.id}/reject", headers=admin_headers,
                           json={"reason": "the node is booked after you"})
    assert response.status_code == 200, response.get_data(as_text=True)
    [row] = outbox()
    assert row.category == "extension_refused" and row.recipient == student.email
    assert "the node is booked after you" in row.body and "IST" in row.body
    assert notifications.send_due() == {"sent": 1}
    assert "more time refused" in smtp_sink.wait_for(1)[0]["Subject"]


def test_the_student_can_turn_refusal_mail_off(app, client, factory, node, student, student_headers, admin,
                                               smtp_sink):
    assert client.put("/api/student/notifications", headers=student_headers,
                      json={"categories": {"extension_refused": False}}).status_code == 200
    booking = factory.booking(student, status="approved", agent_id=node.id)
    request = ExtensionRequest(booking_id=booking.id, user_id=student.id, previous_end=booking.end_time,
                               requested_end=booking.end_time + timedelta(hours=1), status="pending")
    db.session.add(request)
    db.session.commit()
    extension_requests.reject_request(request.id, admin, "no")
    assert outbox() == []
