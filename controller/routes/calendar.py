"""The calendar feed: ICS by a secret URL, for calendar apps (no login)."""

from flask import Response

from controller.routes import Blueprint
from controller.services import calendar_feeds

blp = Blueprint("calendar", __name__, url_prefix="/api/calendar",
                description="Calendar feeds (authenticated by the secret in the URL)")


@blp.route("/<string:token>.ics", methods=["GET"])
@blp.response(200, content_type="text/calendar")
def feed(token):
    """The bookings of a feed as iCalendar (RFC 5545); its token is the only credential."""
    body = calendar_feeds.render(token)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="bookings.ics"', "Cache-Control": "private, no-store"})
