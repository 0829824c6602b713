"""Marshmallow schemas: one per payload, shaped per role.

Loading rejects unknown fields (marshmallow's default), secrets are
`load_only` and server-set fields `dump_only`. Times must carry an offset
and come out in UTC.
"""

import ipaddress
import re
from datetime import UTC, datetime

from flask import current_app
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from controller.models import AgentStatus, ExtensionStatus, enum_values, utcnow
from controller.services import notifications, placement, workflow
from controller.services.agent_client import MAX_GPU_COUNT, MIN_MEMORY_GB
from controller.services.workflow import STATUSES, Actor

USERNAME_RE = r"^[A-Za-z0-9_.-]+$"
MAC_RE = r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"
NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
TAG_RE = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


class StrictInteger(fields.Integer):
    """An integer given as a JSON number: no strings, floats or booleans."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool | str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictFloat(fields.Float):
    """A finite number given as a JSON number: no strings or booleans."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool | str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class UTCDateTime(fields.AwareDateTime):
    """An ISO 8601 time with an offset, loaded as UTC, between 1970 and 9999
    (so converting it, or adding a booking's length or horizon, cannot
    overflow). Every time the API reads is one of these."""

    EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
    LATEST = datetime(9999, 1, 1, tzinfo=UTC)
    default_error_messages = {"range": "Must be between 1970-01-01 and 9999-01-01 (UTC)."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        try:
            moment = super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)
        except OverflowError:
            raise self.make_error("range") from None
        if not self.EARLIEST <= moment < self.LATEST:
            raise self.make_error("range")
        return moment


class TrimmedString(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def non_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


# --- auth ----------------------------------------------------------------

class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    email = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    is_active = fields.Boolean(dump_only=True)
    policy_id = fields.Integer(dump_only=True, allow_none=True,
                               metadata={"description": "The user's named policy; null: the default."})
    created_at = fields.DateTime(dump_only=True)


class RegisterSchema(Schema):
    username = TrimmedString(
        required=True,
        validate=[validate.Length(3, 64), validate.Regexp(USERNAME_RE, error="Use letters, digits, _ . -")],
    )
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))

    @validates("password")
    def password_long_enough(self, value: str, **_):
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(value) < minimum:
            raise ValidationError(f"Use at least {minimum} characters.")


class LoginSchema(Schema):
    username = TrimmedString(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(1, 256))


class LogoutSchema(Schema):
    refresh_token = fields.String(load_default=None, validate=validate.Length(max=4096))


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    user = fields.Nested(UserSchema)


class AccessTokenSchema(Schema):
    access_token = fields.String()


class MessageSchema(Schema):
    message = fields.String()


class ProfileSchema(Schema):
    user = fields.Nested(UserSchema)
    booking_counts = fields.Dict(keys=fields.String(), values=fields.Integer())


# --- bookings ------------------------------------------------------------

class ResourceRequestSchema(Schema):
    start_time = UTCDateTime(required=True)
    end_time = UTCDateTime(required=True)
    cpu_cores = StrictInteger(required=True, validate=validate.Range(1, 1024))
    memory_gb = StrictFloat(required=True, validate=validate.Range(
        min=MIN_MEMORY_GB, max=65536,
        error="Must be at least {min:g} GB (16 MiB, the least a node runs) and at most {max:g}."))
    gpu_count = StrictInteger(load_default=0, validate=validate.Range(0, MAX_GPU_COUNT))
    tags = fields.List(
        fields.String(validate=[validate.Length(1, 32), validate.Regexp(TAG_RE)]),
        load_default=list, validate=validate.Length(max=10),
    )


class BookingCreateSchema(ResourceRequestSchema):
    image = fields.String(load_default=None, validate=validate.Length(1, 255))
    purpose = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=500))


class AvailabilitySchema(ResourceRequestSchema):
    pass


class AvailabilityResultSchema(Schema):
    available = fields.Boolean()
    nodes_fitting = fields.Integer()


class SlotQuerySchema(Schema):
    cpu_cores = StrictInteger(required=True, validate=validate.Range(1, 1024))
    memory_gb = StrictFloat(required=True, validate=validate.Range(min=0, min_inclusive=False, max=65536))
    gpu_count = StrictInteger(load_default=0, validate=validate.Range(0, MAX_GPU_COUNT))
    duration = StrictInteger(required=True, validate=validate.Range(1, 60 * 24 * 366),
                             metadata={"description": "Minutes"})
    not_before = UTCDateTime(load_default=None)
    not_after = UTCDateTime(load_default=None, metadata={"description": "The latest end"})
    image = fields.String(load_default=None, validate=validate.Length(1, 255))
    tags = fields.List(
        fields.String(validate=[validate.Length(1, 32), validate.Regexp(TAG_RE)]),
        load_default=list, validate=validate.Length(max=10),
    )

    @validates_schema
    def ordered(self, data, **_):
        if data.get("not_before") and data.get("not_after") and data["not_after"] < data["not_before"]:
            raise ValidationError("Must not be before not_before.", "not_after")


class SlotSchema(Schema):
    start_time = fields.DateTime()
    end_time = fields.DateTime()
    repack = fields.Boolean(metadata={
        "description": "Fits once approved bookings that have not started move"})


class SlotsSchema(Schema):
    windows = fields.List(fields.Nested(SlotSchema))
    complete = fields.Boolean(metadata={
        "description": "False when the search for earlier windows that need repacking hit its time limit"})


class FreeHourSchema(Schema):
    start_time = fields.DateTime()
    free_cpu_cores = fields.Integer()
    free_gpus = fields.Integer()


class LabCapacitySchema(Schema):
    total_cpu_cores = fields.Integer()
    total_gpus = fields.Integer()
    hours = fields.List(fields.Nested(FreeHourSchema))


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class StudentBookingQuerySchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class PendingExtensionSchema(Schema):
    """A request for more time that waits for an admin, as its booking shows it."""

    id = fields.Integer()
    minutes = fields.Function(lambda r: round((r.requested_end - r.previous_end).total_seconds() / 60))
    requested_end = fields.DateTime()
    requested_at = fields.DateTime(attribute="created_at")


PENDING_EXTENSION = PendingExtensionSchema()


class StudentBookingSchema(Schema):
    """A booking as its owner sees it, with the moves the owner may make now."""

    actor = Actor.STUDENT

    id = fields.Integer()
    status = fields.String()
    start_time = fields.DateTime()
    end_time = fields.DateTime()
    cpu_cores = fields.Integer()
    memory_gb = fields.Float()
    gpu_count = fields.Integer()
    image = fields.String()
    purpose = fields.String(allow_none=True)
    required_tags = fields.List(fields.String())
    agent_id = fields.Integer(allow_none=True)
    agent_name = fields.Function(lambda b: b.agent.name if b.agent else None)
    rejection_reason = fields.String(allow_none=True)
    failure_reason = fields.String(allow_none=True)
    container_name = fields.String(allow_none=True)
    access_host = fields.String(allow_none=True)
    access_port = fields.Integer(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    approved_by_policy = fields.Function(
        lambda b: b.approved_by_policy.name if b.approved_by_policy else None,
        metadata={"type": "string", "nullable": True,
                  "description": "The policy whose auto-approval approved it, if no admin did."})
    decided_by = fields.Method("get_decided_by", metadata={
        "type": "string", "format": "date-time", "nullable": True,
        "description": "While pending and held for an approval round (APPROVAL_MODE=rounds): when that"
                       " round decides it; null otherwise."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    actions = fields.Method("get_actions", metadata={
        "type": "array", "items": {"type": "string", "enum": list(workflow.USER_ACTIONS)},
        "description": "What the caller may do with this booking now (e.g. approve, reject,"
                       " extend, cancel); the web UI draws its buttons from this."})

    pending_extension = fields.Method("get_pending_extension", metadata={
        "type": "object", "nullable": True,
        "properties": {"id": {"type": "integer"}, "minutes": {"type": "integer"},
                       "requested_end": {"type": "string", "format": "date-time"},
                       "requested_at": {"type": "string", "format": "date-time"}},
        "description": "The owner's request for more time waiting for an admin (minutes asked, when),"
                       " or null; while there is one, `actions` has no `extend` for the owner."})

    def get_actions(self, booking) -> list[str]:
        return workflow.actions_for(booking, self.actor)

    def get_decided_by(self, booking) -> str | None:
        if booking.status != workflow.BookingStatus.PENDING or booking.decide_at is None:
            return None
        return booking.decide_at.isoformat()

    def get_pending_extension(self, booking) -> dict | None:
        # Only a booking holding its place can have one (it lapses when the
        # booking leaves): a new pending booking is dumped without a query.
        if booking.status not in workflow.HOLDING_STATUSES or booking.pending_extension is None:
            return None
        return PENDING_EXTENSION.dump(booking.pending_extension)


class AdminBookingSchema(StudentBookingSchema):
    """A booking as an admin sees it."""

    actor = Actor.ADMIN

    user_id = fields.Integer()
    username = fields.Function(lambda b: b.user.username)
    admin_notes = fields.String(allow_none=True)
    approved_by = fields.Function(lambda b: b.approved_by.username if b.approved_by else None)
    container_id = fields.String(allow_none=True)
    pinned = fields.Boolean(metadata={
        "description": "Pinned to its node by an admin (or approved onto a named node): never repacked."})
    at_risk = fields.Method("get_at_risk", metadata={
        "type": "boolean",
        "description": "An approved booking whose node will not run it unless an admin acts."})

    def get_at_risk(self, booking) -> bool:
        return placement.at_risk(booking, utcnow())


# The audit actions a policy makes (services/workflow.py, Actor.POLICY).
POLICY_ACTIONS = ("auto_approved", "held_for_round", "left_for_admin")


class AuditEventSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    # No person: a policy's auto-approval (and its approval rounds), or the scheduler's jobs.
    actor = fields.Function(lambda e: e.actor.username if e.actor
                            else "policy" if e.action in POLICY_ACTIONS else "system")
    from_status = fields.Function(lambda e: (e.before or {}).get("status"))
    to_status = fields.Function(lambda e: (e.after or {}).get("status"))
    details = fields.Function(lambda e: {"before": e.before, "after": e.after})
    created_at = fields.DateTime()


class AdminBookingDetailSchema(AdminBookingSchema):
    events = fields.List(fields.Nested(AuditEventSchema))


def page_schema(item_schema):
    return type(
        f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        },
    )


StudentBookingPageSchema = page_schema(StudentBookingSchema)
AdminBookingPageSchema = page_schema(AdminBookingSchema)
UserPageSchema = page_schema(UserSchema)


class AdminBookingQuerySchema(PageArgsSchema):
    status = fields.String(load_default=None, metadata={"description": "comma-separated statuses"})
    user_id = fields.Integer(load_default=None)
    agent_id = fields.Integer(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=64))
    start_from = UTCDateTime(load_default=None)
    start_to = UTCDateTime(load_default=None)
    overlaps_from = UTCDateTime(load_default=None)
    overlaps_to = UTCDateTime(load_default=None)
    sort = fields.String(
        load_default="start_time",
        validate=validate.OneOf(["start_time", "end_time", "created_at", "status", "username"]),
    )
    order = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))

    @post_load
    def split_status(self, data, **_):
        if data["status"]:
            statuses = [s.strip() for s in data["status"].split(",") if s.strip()]
            bad = [s for s in statuses if s not in STATUSES]
            if bad:
                raise ValidationError({"status": [f"Unknown status: {', '.join(bad)}."]})
            data["status"] = statuses
        return data


class StrictBoolean(fields.Boolean):
    """A JSON true or false: no "yes", 1 or "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class UserStatusSchema(Schema):
    is_active = StrictBoolean(required=True)


class UserQuerySchema(PageArgsSchema):
    q = fields.String(load_default=None, validate=validate.Length(max=64))


class ApproveSchema(Schema):
    agent_id = StrictInteger(load_default=None, allow_none=True)
    notes = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class PinSchema(Schema):
    pinned = StrictBoolean(required=True)


class RejectSchema(Schema):
    reason = TrimmedString(required=True, validate=[validate.Length(1, 1000), non_blank])


class AdminCancelSchema(Schema):
    reason = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ExtendSchema(Schema):
    end_time = UTCDateTime(load_default=None)
    minutes = StrictInteger(load_default=None, validate=validate.Range(1, 60 * 24 * 30))

    @validates_schema
    def exactly_one(self, data, **_):
        if (data.get("end_time") is None) == (data.get("minutes") is None):
            raise ValidationError("Give either end_time or minutes.", "_schema")


class BulkSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(workflow.USER_ACTIONS))
    ids = fields.List(StrictInteger(), required=True, validate=validate.Length(1, 100))
    agent_id = StrictInteger(load_default=None, allow_none=True)
    reason = TrimmedString(load_default=None, validate=validate.Length(1, 1000))
    end_time = UTCDateTime(load_default=None)
    minutes = StrictInteger(load_default=None, validate=validate.Range(1, 60 * 24 * 30))

    @validates_schema
    def action_arguments(self, data, **_):
        if data.get("action") == "reject" and not data.get("reason"):
            raise ValidationError({"reason": ["A reason is required to reject."]})
        if data.get("action") == "extend" and (data.get("end_time") is None) == (
            data.get("minutes") is None
        ):
            raise ValidationError({"minutes": ["Give either end_time or minutes to extend."]})


class BulkErrorSchema(Schema):
    error = fields.String()
    message = fields.String()


class BulkResultSchema(Schema):
    id = fields.Integer()
    ok = fields.Boolean()
    booking = fields.Nested(AdminBookingSchema)
    error = fields.Nested(BulkErrorSchema)


class BulkResultsSchema(Schema):
    results = fields.List(fields.Nested(BulkResultSchema))


# --- policies, auto-approval and extension requests ------------------------

def _limit(field_cls, low, high, low_inclusive=True, **kwargs):
    """An optional policy limit (null: no limit) within sane bounds."""
    return field_cls(allow_none=True, validate=validate.Range(low, high, min_inclusive=low_inclusive),
                     **kwargs)


class PolicyWriteSchema(Schema):
    """A policy as an admin writes it; a null limit means no limit. Negative
    or absurd bounds are refused (422)."""

    name = TrimmedString(required=True, validate=[validate.Length(1, 64), non_blank])
    description = TrimmedString(allow_none=True, validate=validate.Length(max=500))
    max_hours_per_week = _limit(StrictFloat, 0, 168, metadata={"description": "Booked hours per week"})
    max_gpu_hours_per_week = _limit(StrictFloat, 0, 168 * MAX_GPU_COUNT,
                                    metadata={"description": "GPUs times hours per week"})
    max_open_bookings = _limit(StrictInteger, 0, 1000,
                               metadata={"description": "Pending, approved or active bookings at once"})
    max_cpu_cores = _limit(StrictInteger, 1, 1024)
    max_memory_gb = _limit(StrictFloat, 0, 65536, low_inclusive=False)
    max_gpu_count = _limit(StrictInteger, 0, MAX_GPU_COUNT)
    max_duration_hours = _limit(StrictFloat, 0, 24 * 366, low_inclusive=False)
    auto_approve = StrictBoolean(metadata={"description": "Approve bookings inside the auto bounds at once"})
    auto_max_cpu_cores = _limit(StrictInteger, 1, 1024)
    auto_max_memory_gb = _limit(StrictFloat, 0, 65536, low_inclusive=False)
    auto_max_gpu_count = _limit(StrictInteger, 0, MAX_GPU_COUNT)
    auto_max_duration_hours = _limit(StrictFloat, 0, 24 * 366, low_inclusive=False)


class PolicyUpdateSchema(PolicyWriteSchema):
    """The same fields as creation, each optional (used with partial=True)."""


class OwnPolicySchema(PolicyWriteSchema):
    """A policy as the user it applies to sees it."""

    id = fields.Integer(dump_only=True)
    is_default = fields.Boolean(dump_only=True)


class PolicySchema(OwnPolicySchema):
    user_count = fields.Integer(dump_only=True, metadata={"description": "Users it applies to"})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class PolicyListSchema(Schema):
    items = fields.List(fields.Nested(PolicySchema))


class AssignPolicySchema(Schema):
    policy_id = StrictInteger(required=True, allow_none=True,
                              metadata={"description": "A policy's id; null: the default policy"})


class AutoApprovalSchema(Schema):
    enabled = StrictBoolean(required=True)


class PolicyUsageSchema(Schema):
    """A user's policy and what they use of it."""

    policy = fields.Nested(OwnPolicySchema)
    week_start = fields.DateTime()
    week_end = fields.DateTime()
    hours_used = fields.Float()
    gpu_hours_used = fields.Float()
    open_bookings = fields.Integer()
    auto_approval = fields.Boolean(metadata={"description": "Bookings inside the policy's auto bounds are"
                                                           " approved at once"})


class ExtensionRequestCreateSchema(ExtendSchema):
    reason = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ExtensionQuerySchema(PageArgsSchema):
    status = fields.String(load_default="pending", allow_none=True,
                           validate=validate.OneOf(enum_values(ExtensionStatus)))


class ExtensionApproveSchema(Schema):
    note = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ExtensionRequestSchema(Schema):
    """A request for more time, as its student sees it."""

    id = fields.Integer()
    booking_id = fields.Integer()
    status = fields.String(metadata={"enum": enum_values(ExtensionStatus)})
    previous_end = fields.DateTime()
    requested_end = fields.DateTime()
    reason = fields.String(allow_none=True)
    review_reason = fields.String(allow_none=True, metadata={"description": "Why an admin must decide"})
    decision_reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    booking = fields.Nested(StudentBookingSchema)


class AdminExtensionRequestSchema(ExtensionRequestSchema):
    username = fields.Function(lambda r: r.user.username)
    decided_by = fields.Function(lambda r: r.decided_by.username if r.decided_by else None)
    booking = fields.Nested(AdminBookingSchema)


ExtensionRequestPageSchema = page_schema(ExtensionRequestSchema)
AdminExtensionRequestPageSchema = page_schema(AdminExtensionRequestSchema)


# --- nodes ---------------------------------------------------------------

def ipv4_broadcast(value: str) -> None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError as exc:
        raise ValidationError("Must be an IPv4 address.") from exc


class AgentWriteSchema(Schema):
    name = TrimmedString(required=True, validate=[validate.Length(1, 64), validate.Regexp(NAME_RE)])
    url = fields.Url(required=True, require_tld=False, schemes={"http", "https"},
                     validate=validate.Length(max=255))
    token = fields.String(load_only=True, allow_none=True, validate=validate.Length(8, 255))
    cpu_cores = StrictInteger(required=True, validate=validate.Range(1, 1024))
    memory_gb = StrictFloat(required=True, validate=validate.Range(min=0, min_inclusive=False,
                                                                   max=65536))
    gpu_count = StrictInteger(validate=validate.Range(0, 64))
    mac_address = fields.String(allow_none=True, validate=validate.Regexp(MAC_RE, error="Not a MAC address."))
    broadcast_address = fields.String(allow_none=True, validate=ipv4_broadcast)
    wol_port = StrictInteger(validate=validate.Range(1, 65535))
    tags = fields.List(
        fields.String(validate=[validate.Length(1, 32), validate.Regexp(TAG_RE)]),
        validate=validate.Length(max=20),
    )
    status = fields.String(validate=validate.OneOf(enum_values(AgentStatus)))

    @pre_load
    def blank_to_none(self, data, **_):
        if isinstance(data, dict):
            for key in ("mac_address", "broadcast_address", "token"):
                if data.get(key) == "":
                    data = {**data, key: None}
        return data

    @validates_schema
    def wol_needs_both_addresses(self, data, partial=False, **_):
        if data.get("mac_address") and not data.get("broadcast_address") and not partial:
            raise ValidationError(
                {"broadcast_address": ["Needed with a MAC address: Wake-on-LAN is sent there."]}
            )

    @post_load
    def normalise_mac(self, data, **_):
        if data.get("mac_address"):
            data["mac_address"] = re.sub("-", ":", data["mac_address"]).lower()
        return data


class AgentUpdateSchema(AgentWriteSchema):
    """The same fields as registration, each optional (used with partial=True)."""


class AgentStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(enum_values(AgentStatus)))


class UsageSchema(Schema):
    cpu_cores = fields.Integer()
    memory_gb = fields.Function(lambda u: u.memory_mib / 1024)
    gpu_count = fields.Integer()


class AgentSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    url = fields.String()
    cpu_cores = fields.Integer()
    memory_gb = fields.Float()
    gpu_count = fields.Integer()
    mac_address = fields.String(allow_none=True)
    broadcast_address = fields.String(allow_none=True)
    wol_port = fields.Integer()
    tags = fields.List(fields.String())
    status = fields.String()
    last_seen = fields.DateTime(allow_none=True)
    last_health = fields.Dict(allow_none=True)
    images = fields.Method("get_images", metadata={
        "type": "array", "items": {"type": "string"}, "nullable": True,
        "description": "Session images the node reported present; null until it reports."})
    last_wol_at = fields.DateTime(allow_none=True)
    usage_now = fields.Nested(UsageSchema)
    has_token = fields.Function(lambda a: bool(a.token))
    created_at = fields.DateTime()

    def get_images(self, agent) -> list[str] | None:
        images = placement.reported_images(agent)
        return None if images is None else sorted(images)


class AgentListSchema(Schema):
    items = fields.List(fields.Nested(AgentSchema))


# --- options and stats ---------------------------------------------------

class ImageSchema(Schema):
    name = fields.String()
    label = fields.String()
    port = fields.Integer(allow_none=True)
    http = fields.Boolean(metadata={"description": "A web app, opened with Connect."})
    available = fields.Boolean(metadata={"description": "Some node that takes bookings has it."})
    unavailable_reason = fields.String(allow_none=True)


class LimitsSchema(Schema):
    """The limits the API enforces on a booking request (the horizon applies
    to its end); the per-resource maxima are over all nodes."""

    min_cpu_cores = fields.Integer()
    max_cpu_cores = fields.Integer()
    min_memory_gb = fields.Float()
    max_memory_gb = fields.Float()
    max_gpu_count = fields.Integer()
    min_duration_minutes = fields.Integer()
    max_duration_hours = fields.Float()
    horizon_days = fields.Integer()


class PresetSchema(Schema):
    name = fields.String()
    cpu_cores = fields.Integer()
    memory_gb = fields.Float()
    gpu_count = fields.Integer()


class OptionsSchema(Schema):
    images = fields.List(fields.Nested(ImageSchema))
    default_image = fields.String()
    limits = fields.Nested(LimitsSchema)
    presets = fields.List(fields.Nested(PresetSchema))


class SessionSchema(Schema):
    """How to reach a booking's session; the secret parts only while it runs,
    and only for its owner (or an admin, audited)."""

    booking_id = fields.Integer()
    state = fields.String(metadata={"enum": ["waiting", "starting", "running", "ended"]})
    image = fields.String()
    http = fields.Boolean()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    connect_url = fields.String(allow_none=True)
    host = fields.String(allow_none=True)
    port = fields.Integer(allow_none=True)
    password = fields.String(allow_none=True)


class ShareSchema(Schema):
    cpu = fields.Float()
    memory = fields.Float()
    gpu = fields.Float()


class DayShareSchema(ShareSchema):
    date = fields.String()


class StatsSchema(Schema):
    bookings = fields.Dict(keys=fields.String(), values=fields.Integer())
    agents = fields.Dict(keys=fields.String(), values=fields.Integer())
    utilisation_now = fields.Nested(ShareSchema)
    utilisation_next_7_days = fields.List(fields.Nested(DayShareSchema))


class HealthSchema(Schema):
    status = fields.String()
    database = fields.String()




# --- scheduler -----------------------------------------------------------

class LeaderSchema(Schema):
    holder = fields.String()
    since = fields.DateTime()
    heartbeat_at = fields.DateTime()


class JobStatusSchema(Schema):
    name = fields.String()
    interval_seconds = fields.Float()
    last_started_at = fields.DateTime(allow_none=True)
    last_finished_at = fields.DateTime(allow_none=True)
    last_ok = fields.Boolean(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_result = fields.Dict(allow_none=True)
    runs = fields.Integer()


class PlannedActionSchema(Schema):
    booking_id = fields.Integer()
    at = fields.DateTime()
    agent = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)


class NextActionsSchema(Schema):
    starts = fields.List(fields.Nested(PlannedActionSchema))
    stops = fields.List(fields.Nested(PlannedActionSchema))
    wakes = fields.List(fields.Nested(PlannedActionSchema))


class ProcessSchema(Schema):
    holder = fields.String(allow_none=True)
    is_leader = fields.Boolean()


# --- passwords, notifications, calendar feeds ------------------------------

def _password_long_enough(value: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(value) < minimum:
        raise ValidationError(f"Use at least {minimum} characters.")


def new_password_field(**kwargs):
    return fields.String(required=True, load_only=True,
                         validate=[validate.Length(max=256), _password_long_enough], **kwargs)


class ChangePasswordSchema(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(1, 256))
    new_password = new_password_field()


class AdminSetPasswordSchema(Schema):
    new_password = new_password_field()


class ForgotPasswordSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class ResetPasswordSchema(Schema):
    token = fields.String(required=True, load_only=True, validate=validate.Length(1, 256))
    new_password = new_password_field()


class NotificationCategorySchema(Schema):
    category = fields.String()
    label = fields.String()
    email = fields.Boolean()


class NotificationPreferencesSchema(Schema):
    email_enabled = fields.Boolean(metadata={"description": "Whether the lab sends email at all (SMTP_URL)."})
    categories = fields.List(fields.Nested(NotificationCategorySchema))


class NotificationUpdateSchema(Schema):
    categories = fields.Dict(
        required=True, keys=fields.String(validate=validate.OneOf(notifications.CATEGORIES)),
        values=StrictBoolean(), validate=validate.Length(min=1))


class CalendarFeedSchema(Schema):
    id = fields.Integer(dump_only=True)
    scope = fields.String(dump_only=True)
    agent_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class CalendarFeedListSchema(Schema):
    items = fields.List(fields.Nested(CalendarFeedSchema))


class CalendarFeedCreatedSchema(Schema):
    feed = fields.Nested(CalendarFeedSchema)
    url = fields.String(metadata={"description": "The secret URL, shown this once."})


class AdminCalendarFeedSchema(Schema):
    scope = fields.String(required=True, validate=validate.OneOf(("user", "lab", "node")))
    agent_id = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=1))


class MailBacklogSchema(Schema):
    enabled = fields.Boolean()
    queued = fields.Integer()
    retrying = fields.Integer()
    given_up = fields.Integer()
    oldest_queued_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class SchedulerStatusSchema(Schema):
    enabled = fields.Boolean()
    leader = fields.Nested(LeaderSchema, allow_none=True)
    this_process = fields.Nested(ProcessSchema)
    jobs = fields.List(fields.Nested(JobStatusSchema))
    next_actions = fields.Nested(NextActionsSchema)
    mail = fields.Nested(MailBacklogSchema)
