"""Mail across real controller processes: the leader is killed in the middle
of sending a backlog, a standby takes over, and no mail arrives twice."""

import time
from collections import Counter

from aiosmtpd.controller import Controller

from controller.extensions import db
from controller.models import MailOutbox
from controller.services import notifications
from tests.controller.mailsink import Sink, free_port
from tests.processes import ControllerProcess

MAILS = 30


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def rows() -> list[MailOutbox]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(MailOutbox).order_by(MailOutbox.id)))


def test_a_leader_killed_mid_backlog_hands_over_and_no_mail_arrives_twice(app, database_url, student, tmp_path):
    sink = Sink()
    sink.delay = 0.1  # a slow server, so the kill lands in the middle of the backlog
    server = Controller(sink, hostname="127.0.0.1", port=free_port())
    server.start()
    processes = []
    try:
        smtp_url = f"smtp://127.0.0.1:{server.port}"
        app.config["SMTP_URL"] = smtp_url
        for n in range(MAILS):
            notifications.enqueue(student, "approved", f"mail {n:02d}", "body", f"takeover-{n}")
        db.session.commit()
        env = dict(SMTP_URL=smtp_url, MAIL_SEND_SECONDS="0.5", SMTP_TIMEOUT_SECONDS="1",
                   REMINDER_CHECK_SECONDS="3600")
        first = ControllerProcess(database_url, "busybox:latest", tmp_path / "first.log", **env)
        processes.append(first)
        wait_for(lambda: len(sink.messages) >= 8, 60, "the first leader to send some mail")
        standby = ControllerProcess(database_url, "busybox:latest", tmp_path / "standby.log", **env)
        processes.append(standby)
        first.kill()  # a crash, mid-backlog
        # The standby takes over, sends the rest and sets aside at most the one mail in flight.
        wait_for(lambda: all(r.sent_at or r.next_attempt_at is None for r in rows()), 90,
                 "the backlog to be worked off")
        received = Counter(m["Subject"] for m in sink.messages)
        assert max(received.values()) == 1, received.most_common(3)  # nothing arrived twice
        sent = {r.subject for r in rows() if r.sent_at}
        interrupted = [r for r in rows() if not r.sent_at]
        assert len(interrupted) <= 1 and all("Interrupted" in r.last_error for r in interrupted)
        assert sent <= set(received) <= sent | {r.subject for r in interrupted}
        assert len(sent) >= MAILS - 1
    finally:
        for process in processes:
            process.stop()
        server.stop()
