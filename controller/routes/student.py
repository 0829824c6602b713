"""The student's side: options, availability, own bookings, profile."""

from flask import current_app
from flask_jwt_extended import current_user

from controller.routes import Blueprint
from controller.schemas import (
    AvailabilityResultSchema,
    AvailabilitySchema,
    BookingCreateSchema,
    OptionsSchema,
    ProfileSchema,
    StudentBookingPageSchema,
    StudentBookingQuerySchema,
    StudentBookingSchema,
)
from controller.security import login_required
from controller.services import accounts, bookings

blp = Blueprint("student", __name__, url_prefix="/api/student", description="Students' bookings")

PRESETS = [
    {"name": "Small", "cpu_cores": 2, "memory_gb": 4, "gpu_count": 0},
    {"name": "Medium", "cpu_cores": 4, "memory_gb": 16, "gpu_count": 0},
    {"name": "Large", "cpu_cores": 8, "memory_gb": 32, "gpu_count": 0},
    {"name": "GPU", "cpu_cores": 4, "memory_gb": 16, "gpu_count": 1},
]


@blp.route("/options", methods=["GET"])
@login_required
@blp.response(200, OptionsSchema)
def options():
    """Images, limits and presets for the booking form."""
    images = current_app.config["SESSION_IMAGES"]
    limits = bookings.limits()
    fitting = [
        p for p in PRESETS
        if p["cpu_cores"] <= limits["max_cpu_cores"] and p["memory_gb"] <= limits["max_memory_gb"]
        and p["gpu_count"] <= limits["max_gpu_count"]
    ]
    return {"images": images, "default_image": images[0]["name"], "limits": limits,
            "presets": fitting}


@blp.route("/availability", methods=["POST"])
@login_required
@blp.arguments(AvailabilitySchema)
@blp.response(200, AvailabilityResultSchema)
def availability(args):
    """Whether any node could take this request in this window now."""
    return bookings.availability(**args)


@blp.route("/book", methods=["POST"])
@login_required
@blp.arguments(BookingCreateSchema)
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
