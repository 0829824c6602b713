"""The admin's side: bookings, nodes, users, stats."""

from flask import current_app
from flask_jwt_extended import current_user

from controller.jobs import runner as scheduler
from controller.routes import Blueprint
from controller.schemas import (
    AdminBookingDetailSchema,
    AdminBookingPageSchema,
    AdminBookingQuerySchema,
    AdminBookingSchema,
    AdminCalendarFeedSchema,
    AdminCancelSchema,
    AdminSetPasswordSchema,
    AgentListSchema,
    AgentSchema,
    AgentStatusSchema,
    AgentUpdateSchema,
    AgentWriteSchema,
    ApproveSchema,
    BulkResultsSchema,
    BulkSchema,
    CalendarFeedCreatedSchema,
    ExtendSchema,
    PinSchema,
    RejectSchema,
    SchedulerStatusSchema,
    SessionSchema,
    StatsSchema,
    UserPageSchema,
    UserQuerySchema,
    UserSchema,
    UserStatusSchema,
)
from controller.security import admin_required
from controller.services import accounts, agents, audit, bookings, calendar_feeds, sessions, stats

blp = Blueprint("admin", __name__, url_prefix="/api/admin", description="Administration")


@blp.route("/bookings", methods=["GET"])
@admin_required
@blp.arguments(AdminBookingQuerySchema, location="query")
@blp.response(200, AdminBookingPageSchema)
def list_bookings(args):
    """All bookings, filtered, sorted and paginated."""
    return bookings.admin_bookings(**args)


@blp.route("/bookings/<int:booking_id>", methods=["GET"])
@admin_required
@blp.response(200, AdminBookingDetailSchema)
def get_booking(booking_id):
    """One booking with its audit trail."""
    booking = bookings.get_booking(booking_id)
    booking.events = audit.events_for("booking", booking.id)
    return booking


@blp.route("/bookings/<int:booking_id>/session", methods=["GET"])
@admin_required
@blp.response(200, SessionSchema)
def get_session(booking_id):
    """How to reach a booking's session, to help its owner (audited)."""
    return sessions.admin_view(current_user, booking_id)


@blp.route("/approve/<int:booking_id>", methods=["POST"])
@admin_required
@blp.arguments(ApproveSchema)
@blp.response(200, AdminBookingSchema)
def approve(args, booking_id):
    """Approve onto a node by the placement policy (repacking if need be), or onto `agent_id` (pins it)."""
    return bookings.approve(booking_id, current_user, args["agent_id"], args["notes"])


@blp.route("/bookings/<int:booking_id>/pin", methods=["POST"])
@admin_required
@blp.arguments(PinSchema)
@blp.response(200, AdminBookingSchema)
def pin(args, booking_id):
    """Pin a booking to its node so repacking never moves it, or unpin it."""
    return bookings.pin(booking_id, current_user, args["pinned"])


@blp.route("/reject/<int:booking_id>", methods=["POST"])
@admin_required
@blp.arguments(RejectSchema)
@blp.response(200, AdminBookingSchema)
def reject(args, booking_id):
    """Reject a pending booking with a reason."""
    return bookings.reject(booking_id, current_user, args["reason"])


@blp.route("/extend/<int:booking_id>", methods=["POST"])
@admin_required
@blp.arguments(ExtendSchema)
@blp.response(200, AdminBookingSchema)
def extend(args, booking_id):
    """Extend an approved or active booking on its node."""
    return bookings.extend(booking_id, current_user, args["end_time"], args["minutes"])


@blp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@admin_required
@blp.arguments(AdminCancelSchema)
@blp.response(200, AdminBookingSchema)
def cancel(args, booking_id):
    """Cancel a pending, approved or active booking."""
    return bookings.cancel_by_admin(booking_id, current_user, args["reason"])


@blp.route("/bulk", methods=["POST"])
@admin_required
@blp.arguments(BulkSchema)
@blp.response(200, BulkResultsSchema)
def bulk(args):
    """Approve, reject or extend many bookings; each outcome is reported."""
    action, ids = args.pop("action"), args.pop("ids")
    return bookings.bulk(action, ids, current_user, **args)


@blp.route("/agents", methods=["GET"])
@admin_required
@blp.response(200, AgentListSchema)
def list_agents():
    """Every node with its status, health and current usage."""
    return {"items": agents.list_agents()}


@blp.route("/agents", methods=["POST"])
@admin_required
@blp.arguments(AgentWriteSchema)
@blp.response(201, AgentSchema)
def register_agent(args):
    """Register a node."""
    return agents.register_agent(current_user, **args)


@blp.route("/agents/<int:agent_id>", methods=["PATCH"])
@admin_required
@blp.arguments(AgentUpdateSchema(partial=True))
@blp.response(200, AgentSchema)
def update_agent(args, agent_id):
    """Edit a node."""
    return agents.update_agent(agent_id, current_user, **args)


@blp.route("/agents/<int:agent_id>/status", methods=["POST"])
@admin_required
@blp.arguments(AgentStatusSchema)
@blp.response(200, AgentSchema)
def set_agent_status(args, agent_id):
    """Set a node online, offline or in maintenance."""
    return agents.set_status(agent_id, current_user, args["status"])


@blp.route("/users", methods=["GET"])
@admin_required
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserPageSchema)
def list_users(args):
    """Users, searchable by username or email."""
    return accounts.list_users(args["q"], args["page"], args["per_page"])


@blp.route("/users/<int:user_id>/status", methods=["POST"])
@admin_required
@blp.arguments(UserStatusSchema)
@blp.response(200, UserSchema)
def set_user_status(args, user_id):
    """Enable or disable an account (disabling cancels its pending and approved bookings)."""
    return accounts.set_active(user_id, current_user, args["is_active"])


@blp.route("/users/<int:user_id>/password", methods=["POST"])
@admin_required
@blp.arguments(AdminSetPasswordSchema)
@blp.response(200, UserSchema)
def set_user_password(args, user_id):
    """Set a user's password (their sessions end; audited)."""
    return accounts.admin_reset_password(user_id, current_user, args["new_password"])


@blp.route("/calendar-feeds", methods=["POST"])
@blp.raises(404)
@admin_required
@blp.arguments(AdminCalendarFeedSchema)
@blp.response(201, CalendarFeedCreatedSchema)
def regenerate_calendar_feed(args):
    """A new secret calendar URL of the whole lab, a node or one's own bookings (revokes the previous)."""
    return calendar_feeds.regenerate(current_user, args["scope"], args["agent_id"])


@blp.route("/stats", methods=["GET"])
@admin_required
@blp.response(200, StatsSchema)
def get_stats():
    """Booking and node counts, utilisation now and over the next 7 days."""
    return stats.dashboard()


@blp.route("/scheduler", methods=["GET"])
@admin_required
@blp.response(200, SchedulerStatusSchema)
def scheduler_status():
    """The scheduler's leader, the last run of each job and the next actions."""
    return scheduler.describe(current_app)
