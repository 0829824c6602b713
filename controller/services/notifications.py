"""Email notices: queued in an outbox in the transaction of the change they
report, sent later by the scheduler's leader, never inside a request.

- `audited` is called by the audit trail for every audited change (so for
  every workflow move); the booking moves people hear about map to a
  category (`ACTION_CATEGORY`), and an admin refusing a request for more
  time is mailed too. A move added later is mailed once it is in that map.
- Each notice has a `dedupe_key` (unique in `mail_outbox`), so a notice
  queued twice (a job run again after a restart or a takeover) is one row.
- `send_due` claims one due row at a time (`FOR UPDATE SKIP LOCKED`, so
  two senders never take the same row) by committing `sending_at`, hands
  it to the SMTP server, and commits the outcome: sent, or (the server
  refused or could not be reached) due again later. A row still marked
  sending after a crash or a takeover may have reached the server, so it is
  never sent again: it is set aside as interrupted and shown in the backlog.
  Nothing is sent twice; at worst one mail per crash is not sent.
- A failed send is retried with exponential backoff up to
  `MAIL_MAX_ATTEMPTS`; the admin's scheduler panel shows the backlog.
- Mail is off when `SMTP_URL` is unset: nothing is queued then.
- Times in mail are in the lab's time zone (`LAB_TIMEZONE`).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite

from controller.errors import ValidationFailed
from controller.extensions import db
from controller.models import (
    Agent,
    Booking,
    ExtensionRequest,
    MailOutbox,
    NotificationPreference,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

# The email categories a user can turn off, in the order the UI shows them.
CATEGORIES = ("approved", "rejected", "starting", "ending_soon", "failed", "extended", "extension_refused")
CATEGORY_LABELS = {
    "approved": "A booking is approved",
    "rejected": "A booking is rejected",
    "starting": "A session has started",
    "ending_soon": "A session ends in 30 and in 10 minutes",
    "failed": "A booking failed",
    "extended": "A booking is extended",
    "extension_refused": "A request for more time is refused",
}
# Mail a user cannot turn off (e.g. a password reset they asked for).
ACCOUNT = "account"
# Audited booking moves (workflow audit actions) and the category each is mailed under.
ACTION_CATEGORY = {
    "approved": "approved",
    "auto_approved": "approved",
    "rejected": "rejected",
    "started": "starting",
    "start_failed": "failed",
    "expired": "failed",
    "died": "failed",
    "extended": "extended",
    "extension_granted": "extended",
    "extension_approved": "extended",
}
# "Ending soon" reminders: minutes before the end.
REMINDER_MINUTES = (30, 10)


# --- settings and formatting -------------------------------------------------

def mail_enabled() -> bool:
    return bool(current_app.config.get("SMTP_URL"))


def lab_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("LAB_TIMEZONE") or "UTC")


def local_time(moment: datetime) -> str:
    """`moment` in the lab's time zone, e.g. "Wed 02 Dec 2026, 14:30 IST"."""
    return moment.astimezone(lab_timezone()).strftime("%a %d %b %Y, %H:%M %Z")


def _site() -> str:
    return current_app.config.get("PUBLIC_URL") or ""


# --- preferences -------------------------------------------------------------

def preferences(user: User) -> dict:
    """The user's email categories, each on (True) or off."""
    rows = db.session.scalars(
        db.select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    chosen = {row.category: row.email for row in rows}
    return {
        "email_enabled": mail_enabled(),
        "categories": [{"category": name, "label": CATEGORY_LABELS[name], "email": chosen.get(name, True)}
                       for name in CATEGORIES],
    }


def set_preferences(user: User, choices: dict[str, bool]) -> dict:
    """Turn email categories on or off. Raises ValidationFailed (422) for an
    unknown category."""
    unknown = sorted(set(choices) - set(CATEGORIES))
    if unknown:
        raise ValidationFailed("Unknown email category.", {name: ["Unknown category."] for name in unknown})
    for category, on in choices.items():
        row = db.session.get(NotificationPreference, (user.id, category))
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, category=category, email=bool(on)))
        else:
            row.email = bool(on)
    db.session.commit()
    return preferences(user)


def wants(user_id: int, category: str) -> bool:
    if category == ACCOUNT:
        return True
    row = db.session.get(NotificationPreference, (user_id, category))
    return row is None or row.email


# --- queueing ----------------------------------------------------------------

def enqueue(user: User, category: str, subject: str, body: str, dedupe_key: str) -> bool:
    """Queue one mail to `user` in the current transaction (it commits with
    the caller's change). Nothing is queued when mail is off or the user
    turned the category off; a `dedupe_key` already queued is left as it is.
    Returns whether a new mail was queued."""
    if not mail_enabled() or not user.email or not wants(user.id, category):
        return False
    values = dict(user_id=user.id, recipient=user.email, category=category, subject=subject[:255],
                  body=body, dedupe_key=dedupe_key[:255], attempts=0, next_attempt_at=utcnow(),
                  created_at=utcnow())
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    # RETURNING says whether the row went in (a plain INSERT's rowcount is
    # not reported by every driver: psycopg 3 gives -1 here).
    inserted = db.session.execute(dialect.insert(MailOutbox).values(**values).on_conflict_do_nothing(
        index_elements=["dedupe_key"]).returning(MailOutbox.id)).first()
    return inserted is not None


def _booking_facts(booking: Booking) -> str:
    agent = db.session.get(Agent, booking.agent_id) if booking.agent_id else None
    lines = [
        f"From:  {local_time(booking.start_time)}",
        f"To:    {local_time(booking.end_time)}",
        f"Asked: {booking.cpu_cores} cores, {booking.memory_gb:g} GB memory, {booking.gpu_count} GPUs",
        f"Image: {booking.image}",
    ]
    if agent is not None:
        lines.insert(0, f"Node:  {agent.name}")
    return "\n".join(lines)


def _booking_mail(booking: Booking, category: str) -> tuple[str, str]:
    """Subject and body for a notice about `booking`."""
    ref = f"Booking #{booking.id}"
    if category == "approved":
        subject, lead = f"{ref} is approved", "Your booking is approved."
    elif category == "rejected":
        reason = booking.rejection_reason or "no reason given"
        subject, lead = f"{ref} was rejected", f"Your booking was rejected: {reason}."
    elif category == "starting":
        subject = f"{ref}: your session has started"
        lead = "Your session has started; open it from the dashboard."
    elif category == "failed":
        subject, lead = f"{ref} failed", f"Your booking failed: {booking.failure_reason or 'unknown reason'}."
    elif category == "extended":
        subject, lead = f"{ref} is extended", f"Your booking now ends at {local_time(booking.end_time)}."
    else:  # ending_soon
        left = max(0, round((booking.end_time - utcnow()).total_seconds() / 60))
        subject = f"{ref}: your session ends in {left} minutes"
        lead = (f"Your session ends in {left} minutes, at {local_time(booking.end_time)}. "
                "Save your work, or ask for more time from the dashboard.")
    body = f"{lead}\n\n{_booking_facts(booking)}\n"
    if _site():
        body += f"\nYour bookings: {_site()}/\n"
    body += "\nYou can turn these emails off in your profile.\n"
    return subject, body


def booking_moved(booking: Booking, action: str) -> None:
    """Queue the notice for an audited workflow move, if its owner hears
    about that kind of move (`ACTION_CATEGORY`), in the move's own
    transaction (through `audited`)."""
    category = ACTION_CATEGORY.get(action)
    if category is None or not mail_enabled():
        return
    user = db.session.get(User, booking.user_id)
    if user is None:
        return
    subject, body = _booking_mail(booking, category)
    # An extension changes the end: each extension is its own notice.
    suffix = f":{booking.end_time.isoformat()}" if category == "extended" else ""
    enqueue(user, category, subject, body, f"booking:{booking.id}:{category}{suffix}")


def audited(entity_type: str, entity_id: int, action: str) -> None:
    """Queue the notice an audited change calls for, if any, in the change's
    own transaction: a booking's workflow move (`booking_moved`), or an
    admin refusing a request for more time. Called by `audit.record`."""
    if not mail_enabled():
        return
    if entity_type == "booking":
        booking = db.session.get(Booking, entity_id)
        if booking is not None:
            booking_moved(booking, action)
    elif entity_type == "extension_request" and action == "rejected":
        request = db.session.get(ExtensionRequest, entity_id)
        user = db.session.get(User, request.user_id) if request else None
        if user is None:
            return
        booking = db.session.get(Booking, request.booking_id)
        body = (f"Your request to extend booking #{request.booking_id} until "
                f"{local_time(request.requested_end)} was refused: "
                f"{request.decision_reason or 'no reason given'}.\n\n"
                f"It still ends at {local_time(booking.end_time)}.\n"
                "\nYou can turn these emails off in your profile.\n")
        enqueue(user, "extension_refused", f"Booking #{request.booking_id}: more time refused", body,
                f"extension-request:{request.id}:rejected")


def queue_reminders(now: datetime | None = None) -> dict:
    """Scheduler job: queue the "ending soon" mail for each active booking
    whose end is within 30 (then 10) minutes. Each reminder is queued once
    per booking and end time (a later extension gets its own)."""
    if not mail_enabled():
        return {}
    now = now or utcnow()
    widest = max(REMINDER_MINUTES)
    due = db.session.scalars(
        db.select(Booking).where(Booking.status == "active", Booking.end_time > now,
                                 Booking.end_time <= now + timedelta(minutes=widest))
    ).all()
    queued = 0
    for booking in due:
        left = (booking.end_time - now).total_seconds() / 60
        minutes = min(m for m in REMINDER_MINUTES if left <= m)
        user = db.session.get(User, booking.user_id)
        subject, body = _booking_mail(booking, "ending_soon")
        key = f"booking:{booking.id}:ending_soon:{minutes}:{booking.end_time.isoformat()}"
        queued += enqueue(user, "ending_soon", subject, body, key)
    db.session.commit()
    return {"reminders": queued} if queued else {}


# --- sending -----------------------------------------------------------------

def _smtp_settings(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    query = parse_qs(parts.query)
    return {
        "tls": parts.scheme == "smtps",
        "starttls": query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or (465 if parts.scheme == "smtps" else 25),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }


def _message(row: MailOutbox) -> EmailMessage:
    sender = current_app.config["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<{hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:32]}@{domain}>"
    message.set_content(row.body)
    return message


def deliver(message: EmailMessage) -> None:
    """Hand one message to the SMTP server of `SMTP_URL`. Raises OSError or
    smtplib.SMTPException when it cannot."""
    settings = _smtp_settings(current_app.config["SMTP_URL"])
    timeout = float(current_app.config["SMTP_TIMEOUT_SECONDS"])
    if settings["tls"]:
        server = smtplib.SMTP_SSL(settings["host"], settings["port"], timeout=timeout,
                                  context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(settings["host"], settings["port"], timeout=timeout)
    with server:
        if settings["starttls"]:
            server.starttls(context=ssl.create_default_context())
        if settings["username"]:
            server.login(settings["username"], settings["password"] or "")
        server.send_message(message)


def _retry_delay(attempts: int) -> timedelta:
    base = float(current_app.config["MAIL_RETRY_BASE_SECONDS"])
    cap = float(current_app.config["MAIL_RETRY_MAX_SECONDS"])
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _set_aside_interrupted(now: datetime) -> int:
    """Rows claimed for sending longer ago than any attempt can last: their
    sender stopped mid-send and they may have been delivered. They are not
    sent again (no duplicates); they stay in the backlog, given up."""
    # A live sender's attempt ends within a few socket timeouts (connect, greet, send, quit).
    grace = timedelta(seconds=4 * float(current_app.config["SMTP_TIMEOUT_SECONDS"]))
    result = db.session.execute(
        db.update(MailOutbox)
        .where(MailOutbox.sent_at.is_(None), MailOutbox.sending_at.is_not(None),
               MailOutbox.sending_at < now - grace)
        .values(sending_at=None, next_attempt_at=None,
                last_error="Interrupted while sending (the sender stopped); not sent again, "
                           "so that it cannot arrive twice.")
    )
    db.session.commit()
    return result.rowcount


def send_due(limit: int = 50) -> dict:
    """Scheduler job (leader only): send up to `limit` due mails, one at a
    time. Each is claimed (`sending_at`, committed; rows locked by another
    sender are skipped), handed to the SMTP server, then marked sent or, when
    the server refused it or could not be reached, retried with backoff;
    after `MAIL_MAX_ATTEMPTS` it is given up (it stays in the backlog). A row
    a crashed sender left claimed is never sent again. Never raises for a
    mail error."""
    if not mail_enabled():
        return {}
    sent = failed = 0
    interrupted = _set_aside_interrupted(utcnow())
    for _ in range(limit):
        now = utcnow()
        row = db.session.scalars(
            db.select(MailOutbox)
            .where(MailOutbox.sent_at.is_(None), MailOutbox.sending_at.is_(None),
                   MailOutbox.next_attempt_at <= now)
            .order_by(MailOutbox.next_attempt_at, MailOutbox.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            db.session.commit()
            break
        row.attempts += 1
        row.sending_at = now
        message = _message(row)
        db.session.commit()  # claimed: from here on it is never sent twice
        try:
            deliver(message)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            failed += 1
            row.sending_at = None
            row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            row.next_attempt_at = (None if row.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"])
                                   else utcnow() + _retry_delay(row.attempts))
            log.warning("mail not sent", extra={"mail_id": row.id, "attempts": row.attempts,
                                                "error": row.last_error})
            db.session.commit()
            if isinstance(exc, OSError):
                break  # the server is unreachable: the others wait for the next run
            continue
        row.sent_at, row.sending_at, row.next_attempt_at, row.last_error = utcnow(), None, None, None
        db.session.commit()
        sent += 1
    return {k: v for k, v in {"sent": sent, "failed": failed, "interrupted": interrupted}.items() if v}


def backlog() -> dict:
    """The mail not sent yet, for the admin's scheduler panel: how many wait,
    how many of those have failed at least once, how many were given up,
    the oldest one's age and the last error."""
    unsent = MailOutbox.sent_at.is_(None)
    counts = db.session.execute(
        db.select(
            func.count(),
            func.count().filter(MailOutbox.last_error.is_not(None)),
            func.count().filter(MailOutbox.next_attempt_at.is_(None), MailOutbox.sending_at.is_(None)),
            func.min(MailOutbox.created_at),
        ).where(unsent)
    ).one()
    last_error = db.session.scalar(
        db.select(MailOutbox.last_error).where(unsent, MailOutbox.last_error.is_not(None))
        .order_by(MailOutbox.id.desc()).limit(1))
    return {"enabled": mail_enabled(), "queued": counts[0], "retrying": counts[1] - counts[2],
            "given_up": counts[2], "oldest_queued_at": counts[3], "last_error": last_error}
