"""What a browser sees at a session's URL, and the proxy's owner check.

Browsers, not API clients, come here, so answers are small HTML pages (and
redirects), not JSON; none of this is in the OpenAPI spec.

- `GET /sessions/<id>/...`: the session's page when the proxy has no route
  to it (not started, ended, or the embedded default without a proxy, where
  the owner is sent straight to the node with the session's secret).
- `GET /_auth/session`: Traefik's forwardAuth. 200 lets the request through
  with `Authorization: token <secret>` for the app; anything else is shown
  to the browser as it is.
- `GET /_session/starting`: what Traefik shows the owner (behind the owner
  check) while the session's app does not answer yet.
- `GET /api/internal/proxy-routes`: Traefik's HTTP provider (bearer
  `PROXY_TOKEN`).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from urllib.parse import quote, urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template_string, request

from controller.errors import NotFound, Unauthorized
from controller.models import utcnow
from controller.security import proxy_cookie_user
from controller.services import sessions

bp = Blueprint("session_pages", __name__)

PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{% if refresh %}<meta http-equiv="refresh" content="{{ refresh }}">{% endif %}
<title>{{ title }} · Lab sessions</title>
<style>
body{font-family:system-ui,sans-serif;background:#f8fafc;color:#0f172a;margin:0;display:flex;
min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #e2e8f0;border-radius:12px;padding:2rem;max-width:28rem;margin:1rem;
box-shadow:0 1px 3px rgba(0,0,0,.06)}
h1{font-size:1.25rem;margin:0 0 .5rem}p{color:#475569;line-height:1.5}a{color:#4f46e5}
</style></head>
<body><main><h1>{{ title }}</h1><p>{{ message }}</p>
<p><a href="/">Back to your bookings</a></p></main></body></html>
"""


def _page(status: int, title: str, message: str, refresh: int | None = None):
    body = render_template_string(PAGE, title=title, message=message, refresh=refresh)
    return body, status, {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": PAGE_POLICY,
                          "Cache-Control": "no-store"}


def _when(moment: datetime) -> str:
    seconds = max(0, int((moment - utcnow()).total_seconds()))
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes} min" if hours else f"{max(minutes, 1)} min"


def _state_page(session: dict):
    if session["state"] == "waiting":
        return _page(409, "Not started yet", f"This session starts in {_when(session['starts_at'])}, at "
                     f"{session['starts_at']:%Y-%m-%d %H:%M} UTC. This page reloads by itself.", refresh=30)
    if session["state"] == "starting":
        return _page(409, "Starting", "The session is starting; this page reloads in a few seconds.",
                     refresh=3)
    if session["state"] == "running":
        return _page(409, "Opening", "The session is running; opening it in a moment.", refresh=2)
    return _page(410, "Ended", f"This session ended at {session['ends_at']:%Y-%m-%d %H:%M} UTC.")


def _answer(decision: sessions.ProxyDecision, path: str, origin: str = ""):
    if decision.outcome == "login":
        return redirect(f"{origin}/login?next={quote(path, safe='/')}", code=302)
    if decision.outcome == "forbidden":
        return _page(403, "Not your session", "This session belongs to someone else. Only its owner can "
                     "open it.")
    if decision.outcome == "unknown":
        return _page(404, "No such session", "There is no session at this address.")
    return _state_page(decision.session)


@bp.route("/sessions/<int:booking_id>/", defaults={"rest": ""})
@bp.route("/sessions/<int:booking_id>/<path:rest>")
def session_page(booking_id: int, rest: str):
    """The session's page when no proxy route serves it."""
    decision = sessions.proxy_decision(proxy_cookie_user(), request.path)
    if decision.outcome == "pass" and not decision.session["http"]:
        return _page(200, "Not a web session", "This session is reached with its address and password, "
                     "shown on your bookings page.")
    if decision.outcome == "pass" and current_app.config["SESSION_PROXY"] != "traefik":
        return redirect(decision.session["connect_url"], code=302)
    return _answer(decision, request.path)


@bp.route("/_auth/session")
def forward_auth():
    """Traefik's forwardAuth: only the owner of a running session passes."""
    path = urlsplit(request.headers.get("X-Forwarded-Uri", "")).path
    decision = sessions.proxy_decision(proxy_cookie_user(), path)
    if decision.outcome == "pass":
        return "", 200, {"Authorization": f"token {decision.secret}", "Cache-Control": "no-store"}
    return _answer(decision, path, _public_origin())


@bp.route("/_session/starting")
def session_starting():
    """The page Traefik's `errors` middleware serves, with the app's own
    502 or 504 (no answer from it), to an owner who came before the session's app answers: it
    reloads the session's URL until the app does. It names no session, so it
    needs no check of its own (only the owner check in front reaches it)."""
    return _page(200, "Starting", "Your session is starting up; this page reloads by itself in a few "
                 "seconds.", refresh=2)


def _public_origin() -> str:
    """Where the browser is (Traefik makes a relative redirect from its
    auth server absolute against the auth server's own address)."""
    if current_app.config["PUBLIC_URL"]:
        return current_app.config["PUBLIC_URL"]
    proto = request.headers.get("X-Forwarded-Proto", "http")
    host = request.headers.get("X-Forwarded-Host", "")
    return f"{'https' if proto == 'https' else 'http'}://{host}" if host else ""


@bp.route("/api/internal/proxy-routes")
def proxy_routes():
    """The running sessions' routes, for Traefik's HTTP provider."""
    expected = current_app.config["PROXY_TOKEN"]
    if not expected:
        raise NotFound("The session proxy is not configured here.")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("A valid proxy token is required.")
    return jsonify(sessions.proxy_routes())
