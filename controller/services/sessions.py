"""Sessions: what a started booking gives its owner, and how the container
gets its secret.

Every booking gets a fresh random secret when its session is prepared,
some seconds before its start, or else just before its first start attempt
(kept through retries, so the agent's prepare and start stay idempotent). The
container receives it through the generic contract that every image may
follow (`SESSION_TOKEN`, `SESSION_BASE_URL`), plus what its kind of image
needs (Jupyter's `JUPYTER_TOKEN` and base URL, or `SESSION_PASSWORD` for an
image that is not HTTP). Only the owner reads it, through `owner_view`;
an admin may too, through `admin_view`, which leaves an audit row. It is
never logged and never in an audit row.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from controller.config import session_image
from controller.extensions import db
from controller.models import Booking, User, utcnow
from controller.services import audit, bookings, workflow
from controller.services.workflow import Actor, BookingStatus

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def image_spec(name: str) -> dict:
    """The `SESSION_IMAGES` entry of an image; an image no longer listed is
    treated as a plain HTTP app on no port."""
    listed = next((i for i in bookings.session_images() if i["name"] == name), None)
    return listed or session_image({"name": name})


def base_url(booking: Booking, image: dict) -> str:
    """The path the session's app serves under: the proxy's path for the
    booking, or `/` for an app that cannot take a base URL."""
    return "/" if image["strip_prefix"] else f"/sessions/{booking.id}/"


def prepare(booking_ids: list[int]) -> int:
    """Give each of these approved bookings a fresh secret if it has none yet
    (each committed before its start is attempted). Returns how many."""
    made = 0
    for booking_id in booking_ids:
        booking = bookings.locked_booking(booking_id)
        if booking.status == BookingStatus.APPROVED and not booking.session_secret:
            workflow.apply(booking, "session_prepared", Actor.SCHEDULER, None, session_secret=new_secret())
            made += 1
        db.session.commit()
    return made


def start_env(booking: Booking) -> dict[str, str]:
    """The environment the booking's container starts with."""
    image = image_spec(booking.image)
    secret = booking.session_secret or ""
    env = {"SESSION_TOKEN": secret, "SESSION_BASE_URL": base_url(booking, image)}
    if image["secret"] == "jupyter":
        env["JUPYTER_TOKEN"] = secret
        env["NOTEBOOK_ARGS"] = f"--ServerApp.base_url={env['SESSION_BASE_URL']}"
    elif image["secret"] == "password":
        env["SESSION_PASSWORD"] = secret
    return env


def state(booking: Booking, now: datetime) -> str:
    """`waiting` before the start, `starting` once it is due, `running`
    while active, `ended` after (or once refused or cancelled)."""
    if booking.status == BookingStatus.ACTIVE:
        return "running"
    if booking.status in (BookingStatus.PENDING, BookingStatus.APPROVED):
        return "starting" if booking.status == BookingStatus.APPROVED and booking.start_time <= now \
            else "waiting"
    return "ended"


def _connect_url(booking: Booking, image: dict, secret: str) -> str:
    """Through the proxy the URL carries no secret (the owner check adds it
    to each request), so it never lands in an access log or a history."""
    if current_app.config["SESSION_PROXY"] == "traefik":
        return f"{current_app.config['PUBLIC_URL']}/sessions/{booking.id}/"
    return f"http://{booking.access_host}:{booking.access_port}{base_url(booking, image)}?token={secret}"


def view(booking: Booking) -> dict:
    """The session as its owner sees it: its state and times and, while it
    runs, how to reach it (a Connect URL for a web app; host, port and
    password otherwise)."""
    image = image_spec(booking.image)
    now = utcnow()
    current = state(booking, now)
    session = {"booking_id": booking.id, "state": current, "image": image["label"], "http": image["http"],
               "starts_at": booking.start_time, "ends_at": booking.end_time,
               "connect_url": None, "host": None, "port": None, "password": None}
    if current == "running" and booking.session_secret and booking.access_port:
        if image["http"]:
            session["connect_url"] = _connect_url(booking, image, booking.session_secret)
        else:
            session.update(host=booking.access_host, port=booking.access_port,
                           password=booking.session_secret)
    return session


def owner_view(user: User, booking_id: int) -> dict:
    """The student's own session (another's answers NotFound)."""
    return view(bookings.student_booking(user, booking_id))


def admin_view(admin: User, booking_id: int) -> dict:
    """Any session, for an admin helping its owner; the look is audited."""
    booking = bookings.get_booking(booking_id)
    session = view(booking)
    if session["connect_url"] or session["password"]:
        audit.record("booking", booking.id, "session_viewed", admin.id, None, {"state": session["state"]})
        db.session.commit()
    return session


# --- the proxy in front of the sessions ----------------------------------

SESSION_PATH = re.compile(r"^/sessions/(\d{1,12})(?:/|$)")


@dataclass(frozen=True)
class ProxyDecision:
    """What the proxy does with a request for a session's path:
    `pass` it on (with the secret for the app), send the browser to `login`,
    refuse it (`forbidden`, also for a booking that does not exist, so ids
    cannot be probed), show the session's `state` page, or `unknown` (not a
    session path)."""

    outcome: str
    booking_id: int | None = None
    session: dict | None = None
    secret: str | None = None


def proxy_decision(user: User | None, path: str) -> ProxyDecision:
    """Whether `user` (None: anonymous) may reach the session at `path`,
    a `/sessions/<booking id>/...` path: only its owner, only while it runs."""
    match = SESSION_PATH.match(path or "")
    if match is None:
        return ProxyDecision("unknown")
    booking_id = int(match.group(1))
    if user is None:
        return ProxyDecision("login", booking_id)
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.user_id != user.id:
        return ProxyDecision("forbidden", booking_id)
    session = view(booking)
    if session["state"] == "running" and booking.session_secret and booking.access_port:
        return ProxyDecision("pass", booking_id, session, booking.session_secret)
    return ProxyDecision("state", booking_id, session)


def proxy_routes() -> dict:
    """Traefik's dynamic configuration for the running sessions (its HTTP
    provider polls this): a router per session and entry point, the node's
    port as the service, the owner check (forwardAuth) in front, then the
    page that says the app is still starting (the `errors` middleware: the
    container runs at the start time, its app answers a few seconds later)."""
    config = current_app.config
    plain = [e for e in config["PROXY_ENTRYPOINTS"] if e not in config["PROXY_TLS_ENTRYPOINTS"]]
    routers, services, middlewares = {}, {}, {}
    running = db.session.scalars(db.select(Booking).where(
        Booking.status == BookingStatus.ACTIVE, Booking.access_port.is_not(None)).order_by(Booking.id))
    for booking in running:
        name = f"session-{booking.id}"
        chain = [config["PROXY_AUTH_MIDDLEWARE"]]
        if config["PROXY_STARTING_MIDDLEWARE"]:
            chain.append(config["PROXY_STARTING_MIDDLEWARE"])
        if image_spec(booking.image)["strip_prefix"]:
            middlewares[f"{name}-strip"] = {"stripPrefix": {"prefixes": [f"/sessions/{booking.id}"]}}
            chain.append(f"{name}-strip")
        services[name] = {"loadBalancer": {"servers": [
            {"url": f"http://{booking.access_host}:{booking.access_port}"}]}}
        for entry_point in config["PROXY_ENTRYPOINTS"]:
            router = {"entryPoints": [entry_point], "rule": f"PathPrefix(`/sessions/{booking.id}/`)",
                      "service": name, "middlewares": chain, "priority": 1000}
            if entry_point not in plain:
                router["tls"] = {}
            routers[f"{name}-{entry_point}"] = router
    http: dict = {"routers": routers, "services": services}
    if middlewares:
        http["middlewares"] = middlewares
    return {"http": http} if routers else {}
