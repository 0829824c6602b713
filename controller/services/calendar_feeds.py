"""Calendar feeds: a secret ICS URL per user (their own bookings) and, for
admins, one for the whole lab or for one node.

The URL carries a random token; only its SHA-256 is stored, so the URL is
shown once, when it is made. Making it again replaces the row, which
revokes the old URL at once. The feed endpoint authenticates by the token
alone (calendar apps send no JWT); a feed whose owner is disabled, or an
admin feed whose owner is no longer an admin, answers like an unknown one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy.orm import selectinload

from controller.errors import Forbidden, NotFound, ValidationFailed
from controller.extensions import db
from controller.models import Agent, Booking, CalendarFeed, Role, User, utcnow
from controller.services import audit
from controller.services.workflow import BookingStatus

FEED_PATH = "/api/calendar/{token}.ics"
SCOPES = ("user", "lab", "node")
# Past bookings stay in the feed this long; cancelled and rejected ones are
# listed as cancelled so subscribed calendars drop them.
PAST_DAYS = 30
ICS_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.APPROVED: "CONFIRMED",
    BookingStatus.ACTIVE: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _scope_key(scope: str, agent_id: int | None) -> str:
    return f"node:{agent_id}" if scope == "node" else scope


def feed_url(token: str) -> str:
    return f"{current_app.config.get('PUBLIC_URL') or ''}{FEED_PATH.format(token=token)}"


def list_feeds(user: User) -> list[CalendarFeed]:
    """The user's feeds (not their URLs, which are shown once)."""
    return list(db.session.scalars(
        db.select(CalendarFeed).where(CalendarFeed.user_id == user.id).order_by(CalendarFeed.id)))


def regenerate(user: User, scope: str = "user", agent_id: int | None = None) -> dict:
    """Make (or make again) the user's feed of `scope`: `user` (their own
    bookings), `lab` or `node` (admins only; `node` needs `agent_id`).
    The previous URL of that feed stops working. Returns the feed and its
    URL, shown this once. Raises Forbidden for a student asking for a lab or
    node feed, ValidationFailed for a bad scope, NotFound for an unknown node."""
    if scope not in SCOPES:
        raise ValidationFailed("Unknown feed scope.", {"scope": [f"One of {', '.join(SCOPES)}."]})
    if scope != "user" and user.role != Role.ADMIN:
        raise Forbidden("Only admins have lab and node feeds.")
    if scope == "node":
        if agent_id is None or db.session.get(Agent, agent_id) is None:
            raise NotFound("No such node.", {"agent_id": ["No such node."]})
    else:
        agent_id = None
    key = _scope_key(scope, agent_id)
    db.session.execute(db.delete(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                                     CalendarFeed.scope_key == key))
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user.id, scope=scope, agent_id=agent_id, scope_key=key,
                        token_hash=_hash(token), created_at=utcnow())
    db.session.add(feed)
    db.session.flush()
    audit.record("user", user.id, "calendar_feed_made", user.id, None, {"scope": key})
    db.session.commit()
    return {"feed": feed, "url": feed_url(token)}


def revoke(user: User, feed_id: int) -> None:
    """Delete one of the user's feeds; its URL stops working. Raises NotFound."""
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or feed.user_id != user.id:
        raise NotFound("No such calendar feed.")
    db.session.delete(feed)
    audit.record("user", user.id, "calendar_feed_revoked", user.id, {"scope": feed.scope_key}, None)
    db.session.commit()


def _feed_for(token: str) -> CalendarFeed:
    feed = db.session.scalar(db.select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    if feed is None or not feed.user.is_active or (feed.scope != "user" and feed.user.role != Role.ADMIN):
        raise NotFound("No such calendar feed.")
    return feed


def render(token: str) -> bytes:
    """The ICS (RFC 5545) text of the feed this token opens: one VEVENT per
    booking (UID stable per booking, times in UTC), from `PAST_DAYS` ago on.
    Raises NotFound for an unknown, revoked or no longer valid token."""
    feed = _feed_for(token)
    since = utcnow() - timedelta(days=PAST_DAYS)
    stmt = (db.select(Booking).options(selectinload(Booking.agent), selectinload(Booking.user))
            .where(Booking.end_time >= since).order_by(Booking.start_time, Booking.id))
    if feed.scope == "user":
        stmt = stmt.where(Booking.user_id == feed.user_id)
        name = f"My compute bookings ({feed.user.username})"
    elif feed.scope == "node":
        stmt = stmt.where(Booking.agent_id == feed.agent_id)
        name = f"Compute bookings on {feed.agent.name}"
    else:
        name = "Compute bookings (whole lab)"
    if feed.scope != "user":  # the lab's calendars show what holds or asks for capacity
        stmt = stmt.where(Booking.status.in_([s.value for s in ICS_STATUS]))
    calendar = Calendar()
    calendar.add("prodid", "-//Compute booking//Lab calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", timedelta(minutes=15))
    domain = (current_app.config.get("PUBLIC_URL") or "booking.lab").split("//")[-1].split("/")[0]
    for booking in db.session.scalars(stmt):
        calendar.add_component(_event(booking, feed.scope != "user", domain))
    return calendar.to_ical()


def _event(booking: Booking, with_owner: bool, domain: str) -> Event:
    event = Event()
    event.add("uid", f"booking-{booking.id}@{domain}")
    event.add("dtstamp", booking.updated_at or utcnow())
    event.add("dtstart", booking.start_time)
    event.add("dtend", booking.end_time)
    size = f"{booking.cpu_cores} cores, {booking.memory_gb:g} GB" + (
        f", {booking.gpu_count} GPUs" if booking.gpu_count else "")
    owner = f"{booking.user.username}: " if with_owner else ""
    event.add("summary", f"{owner}{size} ({booking.status})")
    if booking.agent is not None:
        event.add("location", booking.agent.name)
    event.add("description", f"Booking #{booking.id}, image {booking.image}, status {booking.status}.")
    event.add("status", ICS_STATUS.get(booking.status, "CANCELLED"))
    event.add("transp", "OPAQUE")
    return event
