"""The booking lifecycle: what the scheduler's jobs do.

- `prepare_sessions`: make the container of each approved booking starting
  within `SESSION_PREPARE_SECONDS` on its node, paused, so that its start is
  only an unpause; a failed prepare costs nothing (the start makes it).
- `start_prepared`: send the start of each prepared session due before the
  next run ahead, for its agent to unpause it at its start time exactly.
- `tick`: start the containers of approved bookings whose start has come,
  stop those whose end has come (or that were cancelled or failed while
  running, or before their start with a prepared container), retrying
  failed calls with backoff until a deadline.
- `check_health`: ask every node's agent for `/health`; mark nodes online
  or offline.
- `wake_nodes`: send Wake-on-LAN to offline nodes with a booking starting soon.
- `reconcile`: compare each node's managed containers with the database.

All state lives in the database and every step re-reads and locks the
booking before changing it, so a job that runs twice (after a restart or a
leader takeover) repeats nothing: the agent's start is idempotent per
booking and a stop of a gone container is success. Calls to the agents run
in a thread pool, outside any transaction; database updates are applied
afterwards, one booking at a time, in the job's own thread.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from controller.extensions import db
from controller.models import Agent, AgentStatus, Booking, Setting, utcnow
from controller.services import agent_client, audit, placement, sessions, workflow
from controller.services.agent_client import AgentCallFailed, AgentEndpoint
from controller.services.bookings import image_port, locked_booking
from controller.services.workflow import TERMINAL_STATUSES, Actor, BookingStatus
from controller.utils import wol

log = logging.getLogger(__name__)


def config(name: str):
    return current_app.config[name]


@dataclass
class Call:
    """One agent call to make, and later its outcome."""

    booking_id: int
    endpoint: AgentEndpoint
    kind: str  # "start", "prepare" or "stop"
    payload: dict = field(default_factory=dict)
    at: datetime | None = None  # a start sent ahead: when it must run
    result: dict | None = None
    error: AgentCallFailed | None = None


def run_calls(calls: list, worker: Callable[[object], None], workers: int | None = None,
              on_done: Callable[[object], None] | None = None) -> None:
    """Run `worker` over `calls` in a bounded pool of `workers` (default
    LIFECYCLE_WORKERS) threads, each in an app context (for the config;
    workers make HTTP calls only, never touch the database), and store each
    outcome on its call. `on_done(call)` runs in the caller's thread as each
    call finishes, in the order they finish."""
    if not calls:
        return
    app = current_app._get_current_object()

    def in_app_context(call) -> None:
        with app.app_context():
            worker(call)

    with ThreadPoolExecutor(max_workers=min(len(calls), workers or config("LIFECYCLE_WORKERS"))) as pool:
        futures = {pool.submit(in_app_context, call): call for call in calls}
        for future in as_completed(futures):
            future.result()
            if on_done is not None:
                on_done(futures[future])


def _backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed start or stop."""
    seconds = min(config("START_RETRY_BASE_SECONDS") * 2 ** max(attempts - 1, 0),
                  config("START_RETRY_MAX_SECONDS"))
    return timedelta(seconds=seconds)


def _retry_due(column):
    return (column.is_(None)) | (column <= utcnow())


# --- which containers are this controller's ------------------------------

INSTANCE_ID_KEY = "controller_instance_id"


def instance_id() -> str:
    """This controller installation's id: CONTROLLER_INSTANCE_ID, else a
    random one made once and kept in the settings table (every worker reads
    the same). Sent with each start, the agent puts it in the container's
    name and labels and lists back only this controller's containers (and
    older ones that name none), so controllers whose agents share a Docker
    engine never meet each other's bookings of the same number."""
    known = current_app.extensions.get(INSTANCE_ID_KEY)
    if known is None:
        known = config("CONTROLLER_INSTANCE_ID") or _stored_instance_id()
        current_app.extensions[INSTANCE_ID_KEY] = known
    return known


def _stored_instance_id() -> str:
    # Its own connections: the caller's transaction is left as it is.
    read = db.select(Setting.value).where(Setting.key == INSTANCE_ID_KEY)
    with db.engine.connect() as conn:
        stored = conn.execute(read).scalar()
    if stored is None:
        try:
            with db.engine.begin() as conn:
                conn.execute(db.insert(Setting).values(
                    key=INSTANCE_ID_KEY, value={"id": secrets.token_hex(4)}, updated_at=utcnow()))
        except IntegrityError:
            pass  # another process stored one first: that one holds
        with db.engine.connect() as conn:
            stored = conn.execute(read).scalar_one()
    return stored["id"]


def container_name(booking_id: int) -> str:
    """The name the agent gives this booking's container (agent.runtime.container_name)."""
    return f"booking-{instance_id()}-{booking_id}"


# --- start and stop ------------------------------------------------------

def start_payload(booking: Booking) -> dict:
    """The body of the agent's `POST /start_container` for this booking."""
    return {"booking_id": booking.id, "controller_id": instance_id(), "image": booking.image,
            "cpu_cores": booking.cpu_cores, "memory_gb": booking.memory_gb, "gpu_count": booking.gpu_count,
            "port": image_port(booking.image), "env": sessions.start_env(booking),
            # A session that is not HTTP (SSH) is reached on the node, not through the proxy.
            "publish": not sessions.image_spec(booking.image)["http"]}


def _due_starts(now: datetime) -> list[Call]:
    rows = list(db.session.scalars(
        db.select(Booking).join(Agent, Booking.agent_id == Agent.id).where(
            Booking.status == BookingStatus.APPROVED, Booking.start_time <= now,
            _retry_due(Booking.next_start_at),
        ).order_by(Booking.start_time, Booking.id)
    ))
    sessions.prepare([b.id for b in rows if not b.session_secret])
    rows = [b for b in rows if b.status == BookingStatus.APPROVED]
    return [Call(b.id, AgentEndpoint.of(b.agent), "start", start_payload(b)) for b in rows]


def _due_stops(now: datetime) -> list[Call]:
    ending = (Booking.status == BookingStatus.ACTIVE) & (Booking.end_time <= now)
    abandoned = Booking.status.in_(TERMINAL_STATUSES) & Booking.container_name.is_not(None)
    rows = db.session.scalars(
        db.select(Booking).join(Agent, Booking.agent_id == Agent.id).where(
            ending | abandoned, Booking.stopped_at.is_(None), _retry_due(Booking.next_stop_at),
        ).order_by(Booking.end_time, Booking.id)
    )
    return [Call(b.id, AgentEndpoint.of(b.agent), "stop", {"name": b.container_name or container_name(b.id)})
            for b in rows]


def _make_call(call: Call) -> None:
    timeout = config("AGENT_TIMEOUT_SECONDS")
    try:
        if call.kind == "start":
            start_in = None if call.at is None else max(0.0, (call.at - utcnow()).total_seconds())
            call.result = agent_client.start_container(call.endpoint, call.payload, timeout, start_in)
        elif call.kind == "prepare":
            call.result = agent_client.prepare_container(call.endpoint, call.payload, timeout)
        else:
            call.result = agent_client.stop_container(call.endpoint, call.payload["name"],
                                                      config("AGENT_STOP_TIMEOUT_SECONDS"), timeout)
    except AgentCallFailed as error:
        call.error = error


def _apply_start(call: Call, now: datetime) -> str:
    booking = locked_booking(call.booking_id)
    if call.error is None:
        details = _container_details(call.result or {})
        if booking.status != BookingStatus.APPROVED:
            # Cancelled while the call was in flight: the container must go.
            workflow.apply(booking, "started_late", Actor.SCHEDULER, None, **details)
            db.session.commit()
            return "started_after_cancel"
        workflow.apply(booking, "started", Actor.SCHEDULER, None, started_at=utcnow(),
                       start_attempts=booking.start_attempts + 1, next_start_at=None, last_error=None,
                       **details)
        db.session.commit()
        late_ms = round((booking.started_at - booking.start_time).total_seconds() * 1000)
        log.info("container started",
                 extra={"booking_id": booking.id, "container": details["container_name"], "late_ms": late_ms})
        return "started"
    if booking.status != BookingStatus.APPROVED:
        db.session.commit()
        return "skipped"
    attempts = booking.start_attempts + 1
    deadline = min(booking.start_time + timedelta(seconds=config("START_DEADLINE_SECONDS")), booking.end_time)
    if agent_client.is_permanent(call.error) or now + _backoff(attempts) >= deadline:
        reason = (f"The session could not be started on node {call.endpoint.name} "
                  f"after {attempts} attempt{'s' if attempts > 1 else ''}: {call.error.message}")
        workflow.apply(booking, "start_failed", Actor.SCHEDULER, None, failure_reason=reason,
                       start_attempts=attempts, last_error=call.error.message, next_start_at=None)
        db.session.commit()
        log.warning("booking failed to start", extra={"booking_id": booking.id, "error": call.error.message})
        return "failed"
    workflow.apply(booking, "start_retry", Actor.SCHEDULER, None, start_attempts=attempts,
                   last_error=call.error.message, next_start_at=now + _backoff(attempts))
    db.session.commit()
    return "retrying"


def _apply_stop(call: Call, now: datetime) -> str:
    booking = locked_booking(call.booking_id)
    if booking.stopped_at is not None:
        db.session.commit()
        return "skipped"
    if call.error is None:
        if booking.status == BookingStatus.ACTIVE and booking.end_time > now:
            # Extended while the stop was in flight: too late, the container is gone.
            workflow.apply(booking, "died", Actor.SCHEDULER, None, stopped_at=now,
                           failure_reason="The session was stopped at its old end as it was extended.")
        else:
            name = "completed" if booking.status == BookingStatus.ACTIVE else "container_stopped"
            workflow.apply(booking, name, Actor.SCHEDULER, None, stopped_at=now, next_stop_at=None,
                           last_error=None)
        db.session.commit()
        return "stopped"
    attempts = booking.stop_attempts + 1
    overdue = now >= booking.end_time + timedelta(seconds=config("STOP_DEADLINE_SECONDS"))
    if booking.status == BookingStatus.ACTIVE and overdue:
        # The session is over whatever the node says; stops go on being retried.
        workflow.apply(booking, "completed", Actor.SCHEDULER, None, stop_attempts=attempts,
                       next_stop_at=now + _backoff(attempts),
                       last_error=f"The container could not be confirmed stopped: {call.error.message}")
    else:
        workflow.apply(booking, "stop_retry", Actor.SCHEDULER, None, stop_attempts=attempts,
                       next_stop_at=now + _backoff(attempts), last_error=call.error.message)
    db.session.commit()
    return "stop_retrying"


def _fail_unstarted(now: datetime) -> int:
    """Approved bookings whose whole window passed without a start (e.g. their
    start was never attempted because the scheduler was down)."""
    ids = list(db.session.scalars(db.select(Booking.id).where(
        Booking.status == BookingStatus.APPROVED, Booking.end_time <= now)))
    for booking_id in ids:
        booking = locked_booking(booking_id)
        if booking.status == BookingStatus.APPROVED:
            workflow.apply(booking, "expired", Actor.SCHEDULER, None,
                           failure_reason="The booking's window passed before its session could start.")
        db.session.commit()
    return len(ids)


def tick(now: datetime | None = None) -> dict:
    """Start what is due, stop what has ended. Returns counts per outcome."""
    now = now or utcnow()
    expired = _fail_unstarted(now)
    calls = _due_starts(now) + _due_stops(now)
    db.session.commit()  # end the read transaction before the slow calls
    run_calls(calls, _make_call)
    outcomes: dict[str, int] = {"expired": expired} if expired else {}
    for call in calls:
        apply = _apply_start if call.kind == "start" else _apply_stop
        try:
            outcome = apply(call, utcnow())
        except Exception:
            db.session.rollback()
            log.exception("applying an agent call failed", extra={"booking_id": call.booking_id})
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


# --- prepare ahead of the start -------------------------------------------

# Bookings whose prepare failed, and when to try again (monotonic seconds).
# Only this process's memory: losing it (a new leader) costs one more attempt.
_prepare_failed: dict[int, float] = {}
_prepare_failed_lock = threading.Lock()


def _due_prepares(now: datetime) -> list[Call]:
    """Approved bookings on online nodes starting within the prepare lead
    whose container is not made yet; each gets its secret first."""
    lead = timedelta(seconds=config("SESSION_PREPARE_SECONDS"))
    if lead <= timedelta(0):
        return []
    rows = list(db.session.scalars(
        db.select(Booking).join(Agent, Booking.agent_id == Agent.id).where(
            Booking.status == BookingStatus.APPROVED, Booking.container_name.is_(None),
            Booking.start_time > now, Booking.start_time <= now + lead,
            Agent.status == AgentStatus.ONLINE,
        ).order_by(Booking.start_time, Booking.id)
    ))
    clock = time.monotonic()
    with _prepare_failed_lock:
        rows = [b for b in rows if _prepare_failed.get(b.id, 0) <= clock]
    sessions.prepare([b.id for b in rows if not b.session_secret])
    rows = [b for b in rows if b.status == BookingStatus.APPROVED]
    return [Call(b.id, AgentEndpoint.of(b.agent), "prepare", start_payload(b)) for b in rows]


def _container_details(container: dict) -> dict:
    return {"container_name": container.get("name"), "container_id": container.get("id"),
            "access_host": container.get("host"), "access_port": container.get("port")}


def _apply_prepare(call: Call) -> str:
    booking = locked_booking(call.booking_id)
    if call.error is not None:
        clock = time.monotonic()
        with _prepare_failed_lock:
            for stale in [b for b, until in _prepare_failed.items() if until < clock]:
                del _prepare_failed[stale]
            _prepare_failed[call.booking_id] = clock + config("START_RETRY_BASE_SECONDS")
        db.session.commit()
        log.info("session not prepared; its start will make it",
                 extra={"booking_id": booking.id, "error": call.error.message})
        return "prepare_failed"
    with _prepare_failed_lock:
        _prepare_failed.pop(call.booking_id, None)
    details = _container_details(call.result or {})
    outcome = "skipped"  # started meanwhile (the start recorded it), or moved to another node
    if booking.container_name is None and booking.agent_id == call.endpoint.agent_id:
        if booking.status == BookingStatus.APPROVED:
            workflow.apply(booking, "container_prepared", Actor.SCHEDULER, None, **details)
            outcome = "prepared"
        elif booking.status in (BookingStatus.CANCELLED, BookingStatus.FAILED):
            # Cancelled while the call was in flight: the tick's stop removes it.
            workflow.apply(booking, "started_late", Actor.SCHEDULER, None, **details)
            outcome = "prepared_after_cancel"
    db.session.commit()
    return outcome


def prepare_sessions(now: datetime | None = None) -> dict:
    """Make the containers of the approved bookings starting within
    `SESSION_PREPARE_SECONDS` on their (online) nodes: created with their
    limits, port, GPUs and secret, then paused, so that its start
    (`start_prepared`, else the tick) is an unpause. Records the container on the booking (the
    `container_prepared` move); a cancel before the start has the tick remove
    it. A failed prepare is tried again after `START_RETRY_BASE_SECONDS`, and
    changes nothing else: the start makes the container as it would without.
    Runs apart from the tick, so a slow prepare never delays a start.
    Returns counts per outcome."""
    now = now or utcnow()
    calls = _due_prepares(now)
    db.session.commit()
    outcomes: dict[str, int] = {}

    def apply(call: Call) -> None:
        # Each as soon as it answers, so that start_prepared sees it early.
        try:
            outcome = _apply_prepare(call)
        except Exception:
            db.session.rollback()
            log.exception("applying a prepare failed", extra={"booking_id": call.booking_id})
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    run_calls(calls, _make_call, on_done=apply)
    return outcomes


# Starts sent ahead in one run: each holds a thread here and one on its agent.
MAX_STARTS_AHEAD = 64


def start_prepared(now: datetime | None = None) -> dict:
    """Start the prepared sessions (approved, container made) whose start
    comes before this job's next run, at their start time: each start is
    sent now with the seconds left (`start_in`), the agent checks it at once
    and holds it until then, so at the instant only the unpause remains.
    The outcomes are applied as the tick's (`started`, or a retry the tick
    takes over). Runs under the container guard, so never beside the tick or
    reconcile. Returns counts per outcome."""
    now = now or utcnow()
    ahead = timedelta(seconds=1.5 * config("SCHEDULER_TICK_SECONDS"))
    rows = db.session.scalars(
        db.select(Booking).join(Agent, Booking.agent_id == Agent.id).where(
            Booking.status == BookingStatus.APPROVED, Booking.container_name.is_not(None),
            Booking.session_secret.is_not(None), Booking.start_time > now, Booking.start_time <= now + ahead,
            _retry_due(Booking.next_start_at), Agent.status == AgentStatus.ONLINE,
        ).order_by(Booking.start_time, Booking.id).limit(MAX_STARTS_AHEAD)
    )
    calls = [Call(b.id, AgentEndpoint.of(b.agent), "start", start_payload(b), at=b.start_time) for b in rows]
    db.session.commit()
    if calls:
        log.info("starts sent ahead", extra={"count": len(calls), "ahead_ms": round(
            (min(c.at for c in calls) - utcnow()).total_seconds() * 1000)})
    run_calls(calls, _make_call, workers=len(calls))
    outcomes: dict[str, int] = {}
    for call in calls:
        try:
            outcome = _apply_start(call, utcnow())
        except Exception:
            db.session.rollback()
            log.exception("applying an agent call failed", extra={"booking_id": call.booking_id})
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


# --- health --------------------------------------------------------------

def check_health() -> dict:
    """Ask every node for its health; an answer marks it online, silence
    offline (a node in maintenance keeps that status). Status changes are
    audited."""
    agents = list(db.session.scalars(db.select(Agent).order_by(Agent.id)))
    probes = [Call(0, AgentEndpoint.of(a), "health") for a in agents]
    db.session.commit()
    timeout = min(config("AGENT_TIMEOUT_SECONDS"), 5)

    def probe(call: Call) -> None:
        try:
            call.result = agent_client.health(call.endpoint, timeout)
        except AgentCallFailed as error:
            call.error = error

    run_calls(probes, probe)
    now = utcnow()
    counts = {"online": 0, "offline": 0}
    for probe_call in probes:
        agent = db.session.get(Agent, probe_call.endpoint.agent_id)
        if agent is None:
            continue
        before = agent.status
        if probe_call.error is None:
            agent.last_seen = now
            agent.last_health = probe_call.result
            if agent.status == AgentStatus.OFFLINE:
                agent.status = AgentStatus.ONLINE.value
            counts["online"] += 1
        else:
            if agent.status == AgentStatus.ONLINE:
                agent.status = AgentStatus.OFFLINE.value
            counts["offline"] += 1
        if agent.status != before:
            reason = probe_call.error.message if probe_call.error else "health check answered"
            audit.record("agent", agent.id, "status_changed", None, {"status": before},
                         {"status": agent.status, "reason": reason})
        db.session.commit()
    return counts


# --- wake-on-LAN ---------------------------------------------------------

def wake_nodes(now: datetime | None = None) -> dict:
    """Wake offline nodes that have an approved booking starting within the
    lead time, at most one packet per node per resend interval."""
    now = now or utcnow()
    lead = timedelta(minutes=config("WOL_LEAD_MINUTES"))
    resend = timedelta(seconds=config("WOL_RESEND_SECONDS"))
    agent_ids = set(db.session.scalars(
        db.select(Booking.agent_id).where(
            Booking.status == BookingStatus.APPROVED, Booking.start_time <= now + lead,
            Booking.end_time > now)
    ))
    sent = 0
    for agent in db.session.scalars(db.select(Agent).where(Agent.id.in_(agent_ids)).order_by(Agent.id)):
        if placement.node_state(agent) != placement.NodeState.ASLEEP:
            continue
        if agent.last_wol_at is not None and now - agent.last_wol_at < resend:
            continue
        try:
            wol.wake(agent.mac_address, agent.broadcast_address, agent.wol_port)
        except (OSError, ValueError) as exc:
            log.warning("wake-on-lan failed", extra={"agent": agent.name, "error": str(exc)})
            continue
        agent.last_wol_at = now
        audit.record("agent", agent.id, "wol_sent", None, None,
                     {"mac_address": agent.mac_address, "to": f"{agent.broadcast_address}:{agent.wol_port}"})
        db.session.commit()
        sent += 1
    return {"sent": sent}


# --- reconcile -----------------------------------------------------------

def _stop_orphan(endpoint: AgentEndpoint, name: str) -> bool:
    try:
        agent_client.stop_container(endpoint, name, config("AGENT_STOP_TIMEOUT_SECONDS"),
                                    config("AGENT_TIMEOUT_SECONDS"))
        return True
    except AgentCallFailed as error:
        log.warning("could not stop orphan", extra={"agent": endpoint.name, "container": name,
                                                     "error": error.message})
        return False


def _booking_id(container: dict) -> int | None:
    try:
        return int(container.get("booking_id"))
    except (TypeError, ValueError):
        return None


def reconcile() -> dict:
    """Make each online node's managed containers agree with the database:
    stop containers whose booking is over (or unknown, or on another node,
    or ended before its start), leave prepared containers of approved
    bookings alone, and end active bookings whose container died or
    vanished, giving the reason."""
    agents = [AgentEndpoint.of(a) for a in db.session.scalars(
        db.select(Agent).where(Agent.status == AgentStatus.ONLINE).order_by(Agent.id))]
    controller_id = instance_id()
    db.session.commit()
    listings: dict[int, list[dict] | None] = {}

    def fetch(endpoint: AgentEndpoint) -> None:
        try:
            listings[endpoint.agent_id] = agent_client.containers(endpoint, config("AGENT_TIMEOUT_SECONDS"),
                                                                  controller_id)
        except AgentCallFailed:
            listings[endpoint.agent_id] = None

    run_calls(agents, fetch)
    counts = {"orphans_stopped": 0, "died": 0}
    now = utcnow()
    for endpoint in agents:
        listing = listings.get(endpoint.agent_id)
        if listing is None:
            continue
        seen: set[int] = set()
        for container in listing:
            if container.get("controller_id") not in (None, controller_id):
                continue  # another controller's (an agent that ignored the filter)
            booking_id = _booking_id(container)
            booking = db.session.get(Booking, booking_id) if booking_id is not None else None
            if booking_id is not None:
                seen.add(booking_id)
            # Over: its stop is done, or it ended before it started (a prepared
            # container of a cancelled booking). A prepared container of an
            # approved booking is left for its start.
            if booking is None or booking.agent_id != endpoint.agent_id or (
                    booking.status in TERMINAL_STATUSES
                    and (booking.stopped_at is not None or booking.started_at is None)):
                counts["orphans_stopped"] += _stop_orphan(endpoint, container["name"])
            elif booking.status == BookingStatus.ACTIVE and booking.end_time > now and \
                    container.get("status") in ("exited", "dead"):
                exit_code = container.get("exit_code")
                _end_died(booking.id, f"The session's container exited early (exit code {exit_code}).")
                counts["died"] += 1
                _stop_orphan(endpoint, container["name"])
        vanished = db.session.scalars(db.select(Booking.id).where(
            Booking.agent_id == endpoint.agent_id, Booking.status == BookingStatus.ACTIVE,
            Booking.end_time > now, Booking.id.not_in(seen or {-1})))
        for booking_id in list(vanished):
            _end_died(booking_id, "The session's container disappeared from its node.")
            counts["died"] += 1
    return counts


def _end_died(booking_id: int, reason: str) -> None:
    booking = locked_booking(booking_id)
    if booking.status == BookingStatus.ACTIVE:
        workflow.apply(booking, "died", Actor.SCHEDULER, None, failure_reason=reason, stopped_at=utcnow())
    db.session.commit()


# --- the admin's view ----------------------------------------------------

def next_actions(limit: int = 10) -> dict:
    """The next starts, stops and wakes the scheduler will perform."""
    now = utcnow()
    starts = db.session.scalars(db.select(Booking).where(Booking.status == BookingStatus.APPROVED)
                                .order_by(Booking.start_time).limit(limit))
    stops = db.session.scalars(db.select(Booking).where(Booking.status == BookingStatus.ACTIVE)
                               .order_by(Booking.end_time).limit(limit))
    lead = timedelta(minutes=config("WOL_LEAD_MINUTES"))
    wakes = [b for b in db.session.scalars(
        db.select(Booking).join(Agent, Booking.agent_id == Agent.id).where(
            Booking.status == BookingStatus.APPROVED, Agent.status == AgentStatus.OFFLINE)
        .order_by(Booking.start_time).limit(limit))
        if placement.node_state(b.agent) == placement.NodeState.ASLEEP]
    return {
        "starts": [{"booking_id": b.id, "at": b.start_time, "agent": b.agent.name if b.agent else None,
                    "attempts": b.start_attempts, "last_error": b.last_error} for b in starts],
        "stops": [{"booking_id": b.id, "at": b.end_time, "agent": b.agent.name if b.agent else None}
                  for b in stops],
        "wakes": [{"booking_id": b.id, "agent": b.agent.name, "at": max(b.start_time - lead, now)}
                  for b in wakes],
    }
