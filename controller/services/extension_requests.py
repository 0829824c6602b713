"""Students asking for more time on their approved or active bookings.

A request is granted at once (the booking's end moves; an active container
keeps running) when auto-approval is on for the lab, the owner's policy
allows the longer booking (`policies.check_extension`) and the booking's
node has room for the added time (`placement.fits`). Otherwise it waits,
with the reason, in the admins' queue as an extension request (not a new
booking) until an admin approves it (the admin's extend, which may repack)
or rejects it, or until it lapses because the booking stopped holding its
place first (cancelled, completed, failed: the workflow's move does that).
A booking has at most one pending request (`Booking.pending_extension`):
a second is a 409, and a unique index holds that against racing requests
too; meanwhile the booking's `actions` offer its owner no `extend`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import joinedload

from controller.errors import Conflict, NotFound, PolicyLimit
from controller.extensions import db
from controller.models import ExtensionRequest, ExtensionStatus, User, utcnow
from controller.services import audit, bookings, placement, policies, workflow
from controller.services.placement import Resources
from controller.services.queries import paginate
from controller.services.workflow import Actor

PENDING, GRANTED, APPROVED, REJECTED, LAPSED = (s.value for s in ExtensionStatus)
STATUSES = (PENDING, GRANTED, APPROVED, REJECTED, LAPSED)


def _why_not_at_once(booking, new_end: datetime, now: datetime) -> str | None:
    """Why an admin must decide on this extension, or None to grant it now."""
    if not policies.auto_approval_enabled():
        return "Auto-approval is switched off for the lab; an admin decides."
    try:
        policies.check_extension(booking, new_end, now)
    except PolicyLimit as refusal:
        return refusal.message
    (agent,) = placement.lock_agents([booking.agent_id])
    if not placement.fits(agent, Resources.of(booking), max(booking.start_time, now), new_end,
                          exclude_booking_id=booking.id):
        return f"Node {agent.name} has no room for the added time as things stand."
    return None


def request_extension(user: User, booking_id: int, *, end_time: datetime | None = None,
                      minutes: int | None = None, reason: str | None = None) -> ExtensionRequest:
    """The owner asks for `booking_id` to end later. Returns the request,
    `granted` (the booking already ends later) or `pending` (with why).

    Raises NotFound for another's booking, InvalidTransition when the
    booking is not approved or active (or its window is over), Conflict when
    a request is already pending or the new end runs into the owner's next
    booking, ValidationFailed for an end that is not later or beyond the
    horizon."""
    now = utcnow()
    with placement.capacity_transaction():
        bookings.lock_user(user.id)
        booking = bookings.locked_booking(booking_id)
        if booking.user_id != user.id:
            raise NotFound("No such booking.")
        waiting = booking.pending_extension  # read under the booking's lock
        if waiting is not None:
            raise Conflict("An extension request for this booking is already waiting for an admin.",
                           {"extension_request_id": waiting.id}, code="extension_pending")
        workflow.check(booking, "extend", Actor.STUDENT, now)
        new_end = end_time if end_time is not None else booking.end_time + timedelta(minutes=minutes)
        bookings.check_new_end(booking, new_end, now)
        request = ExtensionRequest(booking_id=booking.id, user_id=user.id, previous_end=booking.end_time,
                                   requested_end=new_end, reason=reason)
        request.review_reason = _why_not_at_once(booking, new_end, now)
        if request.review_reason is None:
            workflow.apply(booking, "extend", Actor.STUDENT, user.id, end_time=new_end)
            request.status, request.decided_at = GRANTED, now
        else:
            request.status = PENDING
        db.session.add(request)
        db.session.flush()
        audit.record("extension_request", request.id, "granted" if request.status == GRANTED else "requested",
                     user.id, None, audit.extension_request_snapshot(request))
        db.session.commit()
    return request


def _locked_request(request_id: int) -> ExtensionRequest:
    stmt = db.select(ExtensionRequest).where(ExtensionRequest.id == request_id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    request = db.session.scalar(stmt.execution_options(populate_existing=True))
    if request is None:
        raise NotFound("No such extension request.")
    return request


def _still_pending(request: ExtensionRequest) -> None:
    if request.status != PENDING:
        raise Conflict(f"This extension request is already {request.status}.",
                       {"status": request.status}, code="invalid_transition")


def approve_request(request_id: int, admin: User, note: str | None = None) -> ExtensionRequest:
    """Grant a pending request: the admin's extend of the booking to the
    requested end (which re-checks the node, and may repack), then the
    request is marked approved. Raises NotFound, Conflict for a request
    already decided, and whatever the extend raises (the request then stays
    pending)."""
    request = db.session.get(ExtensionRequest, request_id)
    if request is None:
        raise NotFound("No such extension request.")
    _still_pending(request)
    bookings.extend(request.booking_id, admin, end_time=request.requested_end)
    with placement.capacity_transaction():
        request = _locked_request(request_id)
        _still_pending(request)
        before = audit.extension_request_snapshot(request)
        request.status, request.decided_by_id, request.decided_at = APPROVED, admin.id, utcnow()
        request.decision_reason = note
        audit.record("extension_request", request.id, "approved", admin.id, before,
                     audit.extension_request_snapshot(request))
        db.session.commit()
    return request


def reject_request(request_id: int, admin: User, reason: str) -> ExtensionRequest:
    """Refuse a pending request with a reason the student sees; the booking keeps its end."""
    with placement.capacity_transaction():
        request = _locked_request(request_id)
        _still_pending(request)
        before = audit.extension_request_snapshot(request)
        request.status, request.decided_by_id, request.decided_at = REJECTED, admin.id, utcnow()
        request.decision_reason = reason
        audit.record("extension_request", request.id, "rejected", admin.id, before,
                     audit.extension_request_snapshot(request))
        db.session.commit()
    return request


def _page_with_related(stmt, page: int, per_page: int) -> dict:
    """A page of requests, each with its booking (and the booking's waiting
    request, which its view shows), user and decider: no query per request."""
    result = paginate(stmt.options(joinedload(ExtensionRequest.booking), joinedload(ExtensionRequest.user),
                                   joinedload(ExtensionRequest.decided_by)), page, per_page)
    bookings.load_pending_extensions(r.booking for r in result["items"])
    return result


def admin_requests(status: str | None, page: int, per_page: int) -> dict:
    """The admins' queue: requests (pending by default), oldest first."""
    stmt = db.select(ExtensionRequest)
    if status:
        stmt = stmt.where(ExtensionRequest.status == status)
    return _page_with_related(stmt.order_by(ExtensionRequest.created_at, ExtensionRequest.id), page, per_page)


def student_requests(user: User, page: int, per_page: int) -> dict:
    """The student's own requests, newest first, with their outcome."""
    stmt = db.select(ExtensionRequest).where(ExtensionRequest.user_id == user.id)
    return _page_with_related(stmt.order_by(ExtensionRequest.created_at.desc(), ExtensionRequest.id.desc()),
                              page, per_page)
