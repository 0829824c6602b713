"""Tables, relationships and small invariants. Workflows live in services."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.functions import FunctionElement

from controller.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    Postgres stores `timestamptz`; SQLite has no time zones, so values are
    stored as naive UTC there and made aware again on the way out. Naive
    datetimes are refused on the way in: they are always a bug here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class window_overlaps(FunctionElement):  # noqa: N801 (an SQL function's name)
    """`window_overlaps(start_col, end_col, start[, end])`: the row's
    `[start_col, end_col)` overlaps `[start, end)` (no `end`: from `start` on).

    Postgres gets `tstzrange(...) && tstzrange(...)`, which a GiST index on
    the range answers bounded on both ends (ix_bookings_holding_window);
    other databases get `start_col < end AND end_col > start`."""

    type = Boolean()
    inherit_cache = True
    name = "window_overlaps"


@compiles(window_overlaps)
def _window_overlaps(element, compiler, **kw):
    start_col, end_col, start, *end = element.clauses
    condition = end_col > start
    if end:
        condition = condition & (start_col < end[0])
    return f"({compiler.process(condition, **kw)})"


@compiles(window_overlaps, "postgresql")
def _window_overlaps_pg(element, compiler, **kw):
    start_col, end_col, start, *end = (compiler.process(c, **kw) for c in element.clauses)
    upper = end[0] if end else "NULL"
    return f"tstzrange({start_col}, {end_col}, '[)') && tstzrange({start}, {upper}, '[)')"


class epoch_seconds(FunctionElement):  # noqa: N801 (an SQL function's name)
    """`epoch_seconds(t)`: a UTC datetime column as seconds since 1970, so
    durations can be summed in the database on Postgres and SQLite alike."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds)
def _epoch_seconds(element, compiler, **kw):
    # SQLite keeps naive UTC text; julianday() reads it.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_pg(element, compiler, **kw):
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


class Role(enum.StrEnum):
    ADMIN = "admin"
    STUDENT = "student"


class AgentStatus(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    MAINTENANCE = "maintenance"


class ExtensionStatus(enum.StrEnum):
    """What became of a request for more time (services/extension_requests.py)."""

    PENDING = "pending"  # waiting for an admin
    GRANTED = "granted"  # at once, within the owner's policy
    APPROVED = "approved"
    REJECTED = "rejected"
    LAPSED = "lapsed"  # its booking ended (or was cancelled) before an admin decided


def enum_values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class User(TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default=Role.STUDENT.value)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # The user's named policy; None: the default policy (services/policies.py).
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id", ondelete="SET NULL"))
    # Tokens carry this number; raising it (a password change or reset)
    # revokes every access and refresh token issued before.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    bookings: Mapped[list[Booking]] = relationship(
        back_populates="user", foreign_keys="Booking.user_id"
    )

    __table_args__ = (CheckConstraint(f"role IN {tuple(enum_values(Role))}", name="ck_users_role"),)


class Agent(TimestampMixin, db.Model):
    """A worker node and the agent that runs containers on it."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    url: Mapped[str] = mapped_column(String(255), nullable=False)
    token: Mapped[str | None] = mapped_column(String(255))
    mac_address: Mapped[str | None] = mapped_column(String(17))
    broadcast_address: Mapped[str | None] = mapped_column(String(64))
    wol_port: Mapped[int] = mapped_column(Integer, nullable=False, default=9)
    cpu_cores: Mapped[int] = mapped_column(Integer, nullable=False)
    memory_gb: Mapped[float] = mapped_column(Float, nullable=False)
    gpu_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tags: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=AgentStatus.OFFLINE.value
    )
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_health: Mapped[dict | None] = mapped_column(JSON)
    last_wol_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bookings: Mapped[list[Booking]] = relationship(back_populates="agent")

    __table_args__ = (
        CheckConstraint(f"status IN {tuple(enum_values(AgentStatus))}", name="ck_agents_status"),
        CheckConstraint("cpu_cores > 0 AND memory_gb > 0 AND gpu_count >= 0", name="ck_agents_size"),
    )

    @property
    def wakeable(self) -> bool:
        """Wake-on-LAN needs both the MAC and the LAN's broadcast address:
        nothing is ever sent to a default broadcast address."""
        return bool(self.mac_address and self.broadcast_address)


class Booking(TimestampMixin, db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    end_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    cpu_cores: Mapped[int] = mapped_column(Integer, nullable=False)
    memory_gb: Mapped[float] = mapped_column(Float, nullable=False)
    gpu_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    image: Mapped[str] = mapped_column(String(255), nullable=False)
    purpose: Mapped[str | None] = mapped_column(Text)
    required_tags: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # One of workflow.BookingStatus; only the workflow changes it. The
    # database checks the values (ck_bookings_status, kept by the migrations).
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    admin_notes: Mapped[str | None] = mapped_column(Text)
    container_name: Mapped[str | None] = mapped_column(String(128))
    container_id: Mapped[str | None] = mapped_column(String(128))
    access_host: Mapped[str | None] = mapped_column(String(255))
    access_port: Mapped[int | None] = mapped_column(Integer)
    # The session's secret, made afresh when the booking starts; shown to its
    # owner (and to admins, audited), never logged or put in an audit row.
    session_secret: Mapped[str | None] = mapped_column(String(64))
    # Pinned by an admin to its node: repacking never moves it (see placement).
    pinned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a policy's auto-approval approved it instead of an admin.
    approved_by_policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id", ondelete="SET NULL"))
    # With approval rounds (services/approval_rounds.py): the round that
    # decides this pending booking; None once decided or when decided at once.
    decide_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Lifecycle bookkeeping: start and stop retries, each with its own count
    # and due time, and when the container ran and stopped.
    start_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_stop_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="bookings", foreign_keys=[user_id])
    agent: Mapped[Agent | None] = relationship(back_populates="bookings")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    approved_by_policy: Mapped[Policy | None] = relationship(foreign_keys=[approved_by_policy_id])
    # The owner's request for more time waiting for an admin, if any (at most
    # one: uq_extension_requests_one_pending). Lists load it for their page in
    # one query (selectinload); the workflow reads it for the student's extend.
    pending_extension: Mapped[ExtensionRequest | None] = relationship(
        primaryjoin="and_(ExtensionRequest.booking_id == Booking.id, ExtensionRequest.status == 'pending')",
        viewonly=True, uselist=False)

    __table_args__ = (
        CheckConstraint("end_time > start_time", name="ck_bookings_window"),
        CheckConstraint(
            "cpu_cores > 0 AND memory_gb > 0 AND gpu_count >= 0", name="ck_bookings_size"
        ),
        Index("ix_bookings_agent_window", "agent_id", "start_time", "end_time"),
        Index("ix_bookings_user_status", "user_id", "status"),
        Index("ix_bookings_status_start", "status", "start_time"),
        Index("ix_bookings_start_id", "start_time", "id"),
        # The approval rounds' "what is due now" (services/approval_rounds.py).
        Index("ix_bookings_pending_decide_at", "decide_at",
              postgresql_where=text("status = 'pending' AND decide_at IS NOT NULL"),
              sqlite_where=text("status = 'pending' AND decide_at IS NOT NULL")),
        # What `placement.holding` asks for on Postgres (window_overlaps): the
        # holding bookings' [start, end) ranges; SQLite has no range types.
        Index("ix_bookings_holding_window", text("tstzrange(start_time, end_time, '[)')"),
              postgresql_using="gist", postgresql_where=text("status IN ('approved', 'active')"),
              ).ddl_if(dialect="postgresql"),
    )


class BookingTotal(db.Model):
    """How many bookings are in a status, kept by triggers on Postgres
    (migration 0005) for the final statuses, which only grow. A status
    without a row here is counted from the bookings (`stats.booking_counts`)."""

    __tablename__ = "booking_totals"

    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False)


class Policy(TimestampMixin, db.Model):
    """What a student may book: per-booking maxima, weekly quotas, open
    bookings, and the bounds inside which a booking is approved at once.
    A None limit means no limit. One policy is the default; the rules are
    evaluated in services/policies.py only."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    max_hours_per_week: Mapped[float | None] = mapped_column(Float)
    max_gpu_hours_per_week: Mapped[float | None] = mapped_column(Float)
    max_open_bookings: Mapped[int | None] = mapped_column(Integer)
    max_cpu_cores: Mapped[int | None] = mapped_column(Integer)
    max_memory_gb: Mapped[float | None] = mapped_column(Float)
    max_gpu_count: Mapped[int | None] = mapped_column(Integer)
    max_duration_hours: Mapped[float | None] = mapped_column(Float)
    auto_approve: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    auto_max_cpu_cores: Mapped[int | None] = mapped_column(Integer)
    auto_max_memory_gb: Mapped[float | None] = mapped_column(Float)
    auto_max_gpu_count: Mapped[int | None] = mapped_column(Integer)
    auto_max_duration_hours: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        Index("uq_policies_one_default", "is_default", unique=True,
              postgresql_where=text("is_default"), sqlite_where=text("is_default")),
    )


class ExtensionRequest(TimestampMixin, db.Model):
    """A student's request for a later end of their booking: granted at once
    when it fits, else pending until an admin approves or rejects it."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    previous_end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    requested_end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")  # ExtensionStatus
    reason: Mapped[str | None] = mapped_column(Text)  # the student's
    review_reason: Mapped[str | None] = mapped_column(Text)  # why it waits for an admin
    decision_reason: Mapped[str | None] = mapped_column(Text)  # the admin's
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booking: Mapped[Booking] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'granted', 'approved', 'rejected', 'lapsed')",
                        name="ck_extension_requests_status"),
        # At most one pending request per booking, whoever races.
        Index("uq_extension_requests_one_pending", "booking_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
        Index("ix_extension_requests_status", "status", "created_at"),
    )


class Setting(db.Model):
    """Lab-wide switches an admin sets at run time (e.g. auto-approval)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class AuditEvent(db.Model):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)


class RevokedToken(db.Model):
    """The token blocklist when no Redis is configured."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class SchedulerJob(db.Model):
    """The last run of each scheduler job, for the admin's view."""

    __tablename__ = "scheduler_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_result: Mapped[dict | None] = mapped_column(JSON)
    runs: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class SchedulerLeader(db.Model):
    """Who runs the scheduler now (one row); the lock itself is elsewhere."""

    __tablename__ = "scheduler_leader"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str] = mapped_column(String(255), nullable=False)
    since: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class MailOutbox(db.Model):
    """A mail to send, written in the transaction of the change it reports
    and sent later by the scheduler's leader (`notifications.send_due`).
    `dedupe_key` makes each notice unique, so nothing is queued twice."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # When to try next; None once sent or given up.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set (and committed) just before the mail is handed to the SMTP server,
    # cleared when the attempt's outcome is known: a row still "sending" after
    # a crash may have been delivered, so it is never sent again.
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),)


class NotificationPreference(db.Model):
    """A user's choice for one email category; no row means on."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class CalendarFeed(db.Model):
    """A secret calendar URL: a user's own bookings, or (admins) the whole
    lab or one node. Only the token's SHA-256 is kept; regenerating replaces
    the row, which revokes the old URL."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    scope: Mapped[str] = mapped_column(String(8), nullable=False)  # user, lab or node
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    # "user", "lab" or "node:<id>": one feed per user and scope.
    scope_key: Mapped[str] = mapped_column(String(32), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()
    agent: Mapped[Agent | None] = relationship()

    __table_args__ = (
        CheckConstraint("scope IN ('user', 'lab', 'node')", name="ck_calendar_feeds_scope"),
        Index("uq_calendar_feeds_user_scope", "user_id", "scope_key", unique=True),
    )


class PasswordResetToken(db.Model):
    """A forgotten-password link: single use, expiring, kept as a SHA-256."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
