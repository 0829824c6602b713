"""The student's side: options, availability, own bookings, profile."""

from flask_jwt_extended import current_user

from controller.routes import Blueprint
from controller.schemas import (
    AvailabilityResultSchema,
    AvailabilitySchema,
    BookingCreateSchema,
    CalendarFeedCreatedSchema,
    CalendarFeedListSchema,
    LabCapacitySchema,
    NotificationPreferencesSchema,
    NotificationUpdateSchema,
    OptionsSchema,
    ProfileSchema,
    SessionSchema,
    SlotQuerySchema,
    SlotsSchema,
    StudentBookingPageSchema,
    StudentBookingQuerySchema,
    StudentBookingSchema,
)
from controller.security import login_required
from controller.services import accounts, bookings, calendar_feeds, notifications, sessions

blp = Blueprint("student", __name__, url_prefix="/api/student", description="Students' bookings")

@blp.route("/options", methods=["GET"])
@login_required
@blp.response(200, OptionsSchema)
def options():
    """Images, the limits the API enforces (narrowed by one's policy), and presets that fit a node."""
    return bookings.options(current_user)


@blp.route("/availability", methods=["POST"])
@login_required
@blp.arguments(AvailabilitySchema)
@blp.response(200, AvailabilityResultSchema)
def availability(args):
    """Whether any node could take this request in this window now."""
    return bookings.availability(**args)


@blp.route("/capacity", methods=["GET"])
@login_required
@blp.response(200, LabCapacitySchema)
def capacity():
    """The lab's free CPU cores and GPUs for each hour of the next 7 days (totals only)."""
    return bookings.lab_capacity()


@blp.route("/slots", methods=["POST"])
@login_required
@blp.arguments(SlotQuerySchema)
@blp.response(200, SlotsSchema)
def slots(args):
    """The earliest windows in which the lab could take this request (counting repacking)."""
    return bookings.slots(**args)


@blp.route("/book", methods=["POST"])
@login_required
@blp.arguments(BookingCreateSchema())  # an instance: webargs builds a schema per request from a class
@blp.response(201, StudentBookingSchema)
def book(args):
    """Ask for resources for a time window; an admin approves it onto a node."""
    return bookings.create_booking(current_user, **args)


@blp.route("/bookings", methods=["GET"])
@login_required
@blp.arguments(StudentBookingQuerySchema, location="query")
@blp.response(200, StudentBookingPageSchema)
def my_bookings(args):
    """The student's own bookings, newest start first."""
    return bookings.student_bookings(current_user, args["status"], args["page"], args["per_page"])


@blp.route("/bookings/<int:booking_id>", methods=["GET"])
@login_required
@blp.response(200, StudentBookingSchema)
def my_booking(booking_id):
    """One of the student's own bookings."""
    return bookings.student_booking(current_user, booking_id)


@blp.route("/bookings/<int:booking_id>/session", methods=["GET"])
@login_required
@blp.response(200, SessionSchema)
def my_session(booking_id):
    """How to reach one's own session: its state and, while it runs, the Connect link."""
    return sessions.owner_view(current_user, booking_id)


@blp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required
@blp.response(200, StudentBookingSchema)
def cancel(booking_id):
    """Cancel one's own pending or approved booking."""
    return bookings.cancel_by_student(current_user, booking_id)


@blp.route("/profile", methods=["GET"])
@login_required
@blp.response(200, ProfileSchema)
def profile():
    """The user and counts of their bookings by status."""
    return accounts.profile(current_user)


@blp.route("/notifications", methods=["GET"])
@login_required
@blp.response(200, NotificationPreferencesSchema)
def notification_preferences():
    """Which email categories one receives (and whether the lab sends email at all)."""
    return notifications.preferences(current_user)


@blp.route("/notifications", methods=["PUT"])
@login_required
@blp.arguments(NotificationUpdateSchema)
@blp.response(200, NotificationPreferencesSchema)
def set_notification_preferences(args):
    """Turn email categories on or off, e.g. `{"categories": {"ending_soon": false}}`."""
    return notifications.set_preferences(current_user, args["categories"])


@blp.route("/calendar-feeds", methods=["GET"])
@login_required
@blp.response(200, CalendarFeedListSchema)
def calendar_feeds_list():
    """One's calendar feeds (their URLs are shown only when made)."""
    return {"items": calendar_feeds.list_feeds(current_user)}


@blp.route("/calendar-feed", methods=["POST"])
@login_required
@blp.response(201, CalendarFeedCreatedSchema)
def regenerate_calendar_feed():
    """Make a new secret calendar URL of one's bookings; the previous one stops working."""
    return calendar_feeds.regenerate(current_user, "user")
