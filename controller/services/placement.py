"""The placement gate: the one place that decides what fits where.

Everything that asks "does this fit" asks here: availability, create
validation, approval, extension, node resize (API, CLI and the local agent)
and the dashboard's figures. It owns

- what holds capacity: `holding(start, end)`, the one SQL condition for
  "approved or active bookings overlapping `[start, end)`";
- whether a node may take bookings: `node_state` / `eligible` (maintenance,
  online, offline but wakeable);
- whether a request fits on a node for a whole window: `fits` / `place`,
  a sweep over the instants where the node's usage changes;
- whether the lab could ever hold a request: `could_ever_fit`.

A booking holds its CPU, memory and GPUs on its node over `[start, end)`, so
back-to-back bookings share capacity and a one-minute overlap does not.
Memory is compared in whole MiB to keep float sums exact.

Checks that lead to a write run inside `capacity_transaction` with the node
rows locked by `lock_agents`: on Postgres `FOR UPDATE` in id order (with a
`lock_timeout`), so two approvals onto the same node serialise and the
second sees the first's booking. SQLite has no row locks; there a
process-wide lock serialises capacity changes, which is enough for the
single-process embedded default.
"""

from __future__ import annotations

import enum
import functools
import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import NamedTuple

from flask import current_app
from sqlalchemy import DateTime, func, literal, text, type_coerce
from sqlalchemy.exc import DBAPIError

from controller.errors import Busy
from controller.extensions import db
from controller.models import Agent, AgentStatus, Booking, UTCDateTime, utcnow, window_overlaps
from controller.services import repack
from controller.services.workflow import HOLDING_STATUSES, BookingStatus

_sqlite_lock = threading.RLock()
# lock_not_available, serialization_failure, deadlock_detected
RETRYABLE_PGCODES = {"55P03", "40001", "40P01"}
# The smallest step of a stored time (Postgres keeps microseconds): the
# window `[t, t + INSTANT)` holds exactly what is running at `t`.
INSTANT = timedelta(microseconds=1)


def gb_to_mib(memory_gb: float) -> int:
    return round(memory_gb * 1024)


@dataclass(frozen=True)
class Resources:
    cpu_cores: int = 0
    memory_mib: int = 0
    gpu_count: int = 0

    @classmethod
    def of(cls, item) -> Resources:
        """The resources a booking asks for, or a node has."""
        return cls(item.cpu_cores, gb_to_mib(item.memory_gb), item.gpu_count or 0)

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_cores + other.cpu_cores,
            self.memory_mib + other.memory_mib,
            self.gpu_count + other.gpu_count,
        )

    def __sub__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_cores - other.cpu_cores,
            self.memory_mib - other.memory_mib,
            self.gpu_count - other.gpu_count,
        )

    def within(self, total: Resources) -> bool:
        return (
            self.cpu_cores <= total.cpu_cores
            and self.memory_mib <= total.memory_mib
            and self.gpu_count <= total.gpu_count
        )

    def utilisation(self, total: Resources) -> float:
        """The most used resource's share of the node (GPUs count only on GPU nodes)."""
        shares = [self.cpu_cores / total.cpu_cores, self.memory_mib / total.memory_mib]
        if total.gpu_count:
            shares.append(self.gpu_count / total.gpu_count)
        return max(shares)


# --- what holds capacity -------------------------------------------------

def holding(start: datetime, end: datetime | None = None):
    """The SQL condition for bookings that hold capacity somewhere in
    `[start, end)` (`end=None`: from `start` on). The only definition of it.

    On Postgres the window test is a range overlap that the partial GiST
    index ix_bookings_holding_window answers bounded on both ends, so its
    cost follows the bookings in the window, not the table's history."""
    bounds = [literal(start, UTCDateTime)] + ([] if end is None else [literal(end, UTCDateTime)])
    return Booking.status.in_(HOLDING_STATUSES) & window_overlaps(Booking.start_time, Booking.end_time,
                                                                  *bounds)


def holdings(agent_ids: list[int], start: datetime, end: datetime | None,
             exclude_booking_id: int | None = None) -> dict[int, list[Booking]]:
    """The bookings holding capacity on each of these nodes in `[start, end)`."""
    stmt = db.select(Booking).where(Booking.agent_id.in_(agent_ids), holding(start, end))
    if exclude_booking_id is not None:
        stmt = stmt.where(Booking.id != exclude_booking_id)
    by_agent: dict[int, list[Booking]] = {agent_id: [] for agent_id in agent_ids}
    for booking in db.session.scalars(stmt):
        by_agent[booking.agent_id].append(booking)
    return by_agent


def usage_at(instant: datetime) -> dict[int, Resources]:
    """What each node's bookings hold at `instant` (summed in the database)."""
    rows = db.session.execute(
        db.select(Booking.agent_id, func.sum(Booking.cpu_cores), func.sum(Booking.memory_gb),
                  func.sum(Booking.gpu_count))
        .where(holding(instant, instant + INSTANT))
        .group_by(Booking.agent_id)
    )
    return {
        agent_id: Resources(int(cpu or 0), gb_to_mib(float(mem or 0)), int(gpu or 0))
        for agent_id, cpu, mem, gpu in rows
    }


def usage_profile(
    bookings: Iterable[Booking], start: datetime, end: datetime
) -> Iterator[tuple[datetime, Resources]]:
    """Yield `(instant, usage)` at every instant in `[start, end)` where the
    summed usage of `bookings` changes (and at `start`). Between two yielded
    instants the usage is constant, so checking these points checks them all."""
    events: list[tuple[datetime, int, Resources]] = []
    for booking in bookings:
        lo, hi = max(booking.start_time, start), min(booking.end_time, end)
        if lo >= hi:
            continue
        need = Resources.of(booking)
        events.append((lo, 1, need))
        events.append((hi, 0, need))  # 0 sorts ends before starts at the same instant
    events.sort(key=lambda event: (event[0], event[1]))
    usage = Resources()
    index = 0
    instant = start
    while True:
        while index < len(events) and events[index][0] <= instant:
            _, is_start, need = events[index]
            usage = usage + need if is_start else usage - need
            index += 1
        if instant < end:
            yield instant, usage
        if index >= len(events):
            return
        instant = events[index][0]
        if instant >= end:
            return


# --- which nodes may take bookings ---------------------------------------

class NodeState(enum.StrEnum):
    READY = "ready"  # online
    ASLEEP = "asleep"  # offline, and Wake-on-LAN can wake it before a start
    UNAVAILABLE = "unavailable"  # in maintenance, or offline with no way to wake it


def node_state(agent: Agent) -> NodeState:
    """Whether a node can run sessions: the only place that weighs its
    maintenance flag, its health and whether it can be woken."""
    if agent.status == AgentStatus.MAINTENANCE:
        return NodeState.UNAVAILABLE
    if agent.status == AgentStatus.ONLINE:
        return NodeState.READY
    return NodeState.ASLEEP if agent.wakeable else NodeState.UNAVAILABLE


def _image_key(image: str) -> str:
    """`name` and `name:latest` are one image to Docker."""
    return image if ":" in image.rsplit("/", 1)[-1] or "@" in image else f"{image}:latest"


def reported_images(agent: Agent) -> set[str] | None:
    """The session images the node's agent last reported present, or None
    when it has not said (an agent of before this report, a node not yet
    seen, or its engine unreachable at the last health check)."""
    images = (agent.last_health or {}).get("images")
    return None if images is None else {_image_key(i) for i in images}


def has_image(agent: Agent, image: str | None) -> bool:
    """Whether a session of `image` can start on the node: the node reported
    it present. A node that has not reported its images is given the benefit
    of the doubt; the start itself checks again."""
    images = reported_images(agent)
    return image is None or images is None or _image_key(image) in images


def eligible(agent: Agent, required_tags: Iterable[str] = (), image: str | None = None) -> bool:
    """A node can take new bookings unless it is unavailable; it must carry
    every required tag and have the booking's image."""
    return (node_state(agent) != NodeState.UNAVAILABLE and set(required_tags) <= set(agent.tags or [])
            and has_image(agent, image))


def at_risk(booking: Booking, now: datetime) -> bool:
    """An approved booking that will not start unless an admin acts: its node
    is unavailable, no longer has its image, or is still asleep once the start
    has come (a node that can be woken is expected to sleep until the
    scheduler wakes it)."""
    if booking.status != BookingStatus.APPROVED or booking.agent is None:
        return False
    if not has_image(booking.agent, booking.image):
        return True
    state = node_state(booking.agent)
    return state == NodeState.UNAVAILABLE or (state == NodeState.ASLEEP and booking.start_time <= now)


# --- does it fit ---------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    agent: Agent
    fits: bool
    peak_utilisation: float  # after placing the request


def evaluate(agent: Agent, held: Iterable[Booking], need: Resources,
             start: datetime, end: datetime) -> Placement:
    """Whether `need` fits on `agent` at every instant of `[start, end)` next to
    `held`, and the node's peak utilisation over the window if placed."""
    total = Resources.of(agent)
    fits, peak = True, 0.0
    for _, usage in usage_profile(held, start, end):
        after = usage + need
        fits = fits and after.within(total)
        peak = max(peak, after.utilisation(total))
    return Placement(agent, fits, peak)


def place(candidates: list[Agent], need: Resources, start: datetime, end: datetime,
          exclude_booking_id: int | None = None) -> list[Placement]:
    """Evaluate every candidate node; the fitting placements come first, in
    the order of the placement policy (`policy_key`)."""
    if not candidates:
        return []
    held = holdings([agent.id for agent in candidates], start, end, exclude_booking_id)
    placements = [evaluate(agent, held[agent.id], need, start, end) for agent in candidates]
    policy = current_app.config["PLACEMENT_POLICY"]
    return sorted(placements, key=lambda p: (not p.fits, *policy_key(p, need, policy)))


POLICIES = ("best_fit", "spread", "first_fit")


def policy_key(placement: Placement, need: Resources, policy: str) -> tuple:
    """The placement policy (`PLACEMENT_POLICY`), the one rule for choosing
    among the nodes a request fits on; the lowest key wins.

    - `best_fit` (default): keep GPU nodes for GPU requests, then the node
      left fullest at the window's peak, then the smaller node: large
      requests keep finding whole nodes free (best on bench/replay.py).
    - `spread`: the least loaded node at the window's peak (spreads load).
    - `first_fit`: the lowest node id."""
    agent = placement.agent
    if policy == "spread":
        return (placement.peak_utilisation, agent.id)
    if policy == "first_fit":
        return (agent.id,)
    spare_gpus = need.gpu_count == 0 and (agent.gpu_count or 0) > 0
    return (spare_gpus, -placement.peak_utilisation, agent.cpu_cores, agent.id)


def fits(agent: Agent, need: Resources, start: datetime, end: datetime,
         exclude_booking_id: int | None = None) -> bool:
    """Whether `need` fits on `agent` for the whole of `[start, end)`."""
    (placement,) = place([agent], need, start, end, exclude_booking_id)
    return placement.fits


def first_overbooked_instant(agent: Agent, since: datetime) -> datetime | None:
    """The first instant from `since` on at which the node's bookings need
    more than the node has (after a resize), or None when they all fit."""
    held = holdings([agent.id], since, None)[agent.id]
    if not held:
        return None
    total = Resources.of(agent)
    until = max(b.end_time for b in held)
    return next((instant for instant, usage in usage_profile(held, since, until)
                 if not usage.within(total)), None)


def node_sizes(read=None) -> list:
    """Every registered node as a row with its id, name, size, tags and last
    health (what `Resources.of` and `has_image` read), in one query and
    without building Agent objects: booking creation reads them on every
    request, for `node_maxima` and `nodes_big_enough` both. On Postgres the
    rows come as one JSON text (`NODE_SIZES_COLUMN`), parsed once per
    distinct text (`NodeSizes`); `read` is that column's value when the
    caller read it in a statement of its own."""
    if _is_postgres():
        return _parsed_node_sizes(read if read is not None else db.session.scalar(NODE_SIZES_TEXT))
    return list(db.session.execute(_NODE_SIZES))


class NodeSize(NamedTuple):
    id: int
    name: str
    cpu_cores: int
    memory_gb: float
    gpu_count: int
    tags: list
    last_health: dict | None


class NodeSizes(tuple):
    """`node_sizes` rows parsed from one JSON text, with what booking
    requests ask of them kept: the nodes change far less often than they
    are asked (a new text, e.g. a health report, makes a new object), so a
    rush of requests parses the text and walks the nodes once, not per
    request."""

    def __new__(cls, rows):
        nodes = super().__new__(cls, rows)
        nodes.maxima = _maxima(nodes)
        nodes.big_enough = {}  # (need, tags) -> nodes_big_enough's answer
        return nodes


@functools.lru_cache(maxsize=4)
def _parsed_node_sizes(text: str | None) -> NodeSizes:
    return NodeSizes(NodeSize(*node) for node in json.loads(text or "[]"))


# Built once, so their cache keys are computed once (`node_sizes` runs per booking request).
_NODE_COLUMNS = [getattr(Agent, name) for name in NodeSize._fields]
_NODE_SIZES = db.select(*_NODE_COLUMNS)
NODE_SIZES_TEXT = db.select(db.cast(func.json_agg(func.json_build_array(*_NODE_COLUMNS)), db.Text))
# `node_sizes`' JSON text as a column another statement may read in passing (Postgres).
NODE_SIZES_COLUMN = NODE_SIZES_TEXT.scalar_subquery()


def nodes_big_enough(need: Resources, required_tags: Iterable[str] = (), nodes: list | None = None) -> list:
    """The registered nodes carrying these tags that are big enough for
    `need` on their own, whatever they hold now or their status, as
    `node_sizes` rows (of `nodes` when given, else read now)."""
    nodes = node_sizes() if nodes is None else nodes
    key = (need, frozenset(required_tags))
    known = nodes.big_enough.get(key) if isinstance(nodes, NodeSizes) else None
    if known is None:
        known = [node for node in nodes
                 if need.within(Resources.of(node)) and key[1] <= set(node.tags or [])]
        if isinstance(nodes, NodeSizes) and len(nodes.big_enough) < 64:
            nodes.big_enough[key] = known
    return list(known)


def could_ever_fit(need: Resources, required_tags: Iterable[str] = (), image: str | None = None) -> bool:
    """Whether some node of `nodes_big_enough` has the image (when one is named)."""
    return any(has_image(node, image) for node in nodes_big_enough(need, required_tags))


def image_availability(images: Iterable[str]) -> dict[str, str | None]:
    """For each image, None when a node that can take bookings has it, else
    why it cannot be booked now."""
    nodes = [node for node in db.session.scalars(db.select(Agent)) if eligible(node)]
    return {image: None if any(has_image(node, image) for node in nodes)
            else "No node that takes bookings has this image." for image in images}


def node_maxima(nodes: list | None = None) -> Resources:
    """The largest CPU, memory and GPU figures over the nodes (`node_sizes`
    rows when given), each on its own (bounds for a form's inputs; whether
    one node holds a whole request is `could_ever_fit`)."""
    if isinstance(nodes, NodeSizes):
        return nodes.maxima
    if nodes is not None:
        return _maxima(nodes)
    row = db.session.execute(
        db.select(func.max(Agent.cpu_cores), func.max(Agent.memory_gb), func.max(Agent.gpu_count))
    ).one()
    return Resources(row[0] or 0, gb_to_mib(row[1] or 0), row[2] or 0)


def _maxima(nodes) -> Resources:
    return Resources(max((n.cpu_cores for n in nodes), default=0),
                     max((gb_to_mib(n.memory_gb) for n in nodes), default=0),
                     max((n.gpu_count or 0 for n in nodes), default=0))


# --- locking -------------------------------------------------------------

def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def lock_agents(agent_ids: Iterable[int]) -> list[Agent]:
    """Lock these node rows for the rest of the transaction (in id order, so
    two transactions never wait on each other in a cycle) and return them."""
    ids = sorted(set(agent_ids))
    if not ids:
        return []
    stmt = db.select(Agent).where(Agent.id.in_(ids)).order_by(Agent.id)
    if _is_postgres():
        timeout = int(current_app.config["DB_LOCK_TIMEOUT_MS"])
        db.session.execute(text(f"SET LOCAL lock_timeout = '{timeout}ms'"))
        stmt = stmt.with_for_update()
    return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


def lock_eligible_agents(required_tags: Iterable[str] = (), image: str | None = None) -> list[Agent]:
    """Lock every node that may take a booking with these tags and image, and
    return those still eligible once locked."""
    tags = list(required_tags)
    ids = [a.id for a in db.session.scalars(db.select(Agent)) if eligible(a, tags, image)]
    return [a for a in lock_agents(ids) if eligible(a, tags, image)]


@contextmanager
def capacity_transaction() -> Iterator[None]:
    """Run a capacity-changing unit of work: serialised on SQLite; rolled back
    whole when anything raises, with Postgres lock timeouts, serialisation
    failures and deadlocks turned into a retryable `Busy` (409)."""
    guard = _sqlite_lock if not _is_postgres() else None
    if guard is not None:
        guard.acquire()
    try:
        yield
    except DBAPIError as exc:
        db.session.rollback()
        if getattr(exc.orig, "sqlstate", None) in RETRYABLE_PGCODES:
            raise Busy("The node is busy with another change; try again.") from exc
        raise
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if guard is not None:
            guard.release()


# --- repacking -----------------------------------------------------------

def movable(booking, now: datetime) -> bool:
    """Whether repacking may move `booking` (a Booking, or a row of
    `_held_rows`) to another node: approved, not
    pinned, nothing prepared for its start yet (no secret, no container, no
    start attempt)
    and starting after the lead time, within which its node may be being
    woken. Starting, active and pinned bookings never move."""
    lead = timedelta(minutes=float(current_app.config["WOL_LEAD_MINUTES"]))
    return (booking.status == BookingStatus.APPROVED and not booking.pinned
            and booking.session_secret is None and booking.container_name is None
            and not booking.start_attempts and booking.start_time > now + lead)


def _size(item) -> repack.Size:
    need = Resources.of(item)
    return (need.cpu_cores, need.memory_mib, need.gpu_count)


def _held_rows(agent_ids: list[int], start: datetime, end: datetime, exclude_booking_id: int | None) -> list:
    """The bookings holding capacity on these nodes in `[start, end)`, as
    rows of what repacking reads (place, window, size, and what `movable`
    asks), not ORM objects: a repack reads hundreds of bookings and moves a
    few (loaded by id when a plan moves them), and building an object per
    row was most of a slot search's time."""
    begins, ends = _window_columns()
    return _holding_rows((Booking.id, Booking.agent_id, begins.label("start_time"), ends.label("end_time"),
                          Booking.cpu_cores, Booking.memory_gb, Booking.gpu_count, Booking.required_tags,
                          Booking.image, Booking.status, Booking.pinned, Booking.session_secret,
                          Booking.container_name, Booking.start_attempts),
                         agent_ids, start, end, exclude_booking_id)


@dataclass
class Repacked:
    """A repacking plan: the request's node (None: no plan), the bookings to
    move as (booking, from, to), and whether the time limit cut it short."""

    agent: Agent | None
    moves: list[tuple[Booking, Agent, Agent]]
    gave_up: bool
    method: str


def repack_for(candidates: list[Agent], usable: list[Agent], need: Resources, start: datetime,
               end: datetime, *, exclude_booking_id: int | None = None,
               now: datetime | None = None, deadline: float | None = None) -> Repacked:
    """Find room for `need` over `[start, end)` on one of `candidates` by
    moving movable bookings (`movable`) among the `usable` nodes, each only to
    a node eligible for it. The caller holds the locks on every node of
    `usable` (in id order) and applies the moves; a move never changes a
    booking's window, size, image or tags. Time-capped by
    REPACK_TIME_LIMIT_MS from the call, or by `deadline` (a `time.perf_counter()`
    instant) when given, reading included; off when REPACK_ENABLED is false;
    never raises for "no room"."""
    began = time.perf_counter()
    now = now or utcnow()
    config = current_app.config
    if not config["REPACK_ENABLED"]:
        return Repacked(None, [], False, "off")
    by_id = {agent.id: agent for agent in usable}
    moving = [b for b in _held_rows(list(by_id), start, end, exclude_booking_id) if movable(b, now)]
    lo = min([start, *(b.start_time for b in moving)])
    hi = max([end, *(b.end_time for b in moving)])
    moving_ids = {b.id for b in moving}
    context = _usage_rows(list(by_id), lo, hi, exclude_booking_id)
    fixed = [repack.Fixed(node, begins, ends, (cpu, gb_to_mib(memory), gpu or 0))
             for node, begins, ends, cpu, memory, gpu, key in context if key not in moving_ids]
    capacity = {agent.id: _size(agent) for agent in usable}
    items = [repack.Item(repack.REQUEST, start, end, (need.cpu_cores, need.memory_mib, need.gpu_count),
                         tuple(a.id for a in candidates if a.id in by_id and need.within(Resources.of(a))))]
    allowed: dict[tuple, tuple[int, ...]] = {}  # many bookings share tags, image and size
    for b in moving:
        key = (tuple(b.required_tags or ()), b.image, _size(b))
        if key not in allowed:
            allowed[key] = tuple(a.id for a in usable if eligible(a, key[0], b.image)
                                 and Resources.of(b).within(Resources.of(a)))
        nodes = allowed[key]
        items.append(repack.Item(b.id, b.start_time, b.end_time, _size(b),
                                 tuple(dict.fromkeys((b.agent_id, *nodes))), b.agent_id))
    limit = (config["REPACK_TIME_LIMIT_MS"] / 1000 - (time.perf_counter() - began) if deadline is None
             else deadline - time.perf_counter())
    if limit <= 0:
        return Repacked(None, [], True, "timeout")
    outcome = repack.solve(capacity, fixed, items, seconds=limit,
                           exact_max=config["REPACK_EXACT_MAX"])
    if outcome.node_of is None:
        return Repacked(None, [], outcome.gave_up, outcome.method)
    moves = [(db.session.get(Booking, key), by_id[src], by_id[dst]) for key, src, dst in outcome.moves]
    return Repacked(by_id[outcome.node_of[repack.REQUEST]], moves, False, outcome.method)


@dataclass
class BatchProblem:
    """What a batch decision (`choose_batch`) is made from, read by
    `batch_problem`: the nodes, the bookings that stay (`fixed`), the
    approved ones that may move (`placed`) and the requests (`optional`).
    Two reads of the same state compare equal (`inputs`), so a decision made
    without locks can be checked under them before it is applied."""

    agents: dict[int, Agent]
    moving: dict[int, Booking]
    capacity: dict[int, repack.Size]
    fixed: list[repack.Fixed]
    placed: list[repack.Item]
    optional: list[repack.Item]

    @property
    def inputs(self) -> tuple:
        return (sorted(self.capacity.items()), sorted(self.fixed, key=repr), sorted(self.placed, key=repr),
                sorted(self.optional, key=repr))


@dataclass
class BatchChoice:
    """A batch decision (`choose_batch`): each taken request with its node,
    the approved bookings to move as (booking, from, to), and whether the
    time limit stopped the search before it proved its answer best."""

    taken: dict[int, Agent]  # request booking id -> node
    moves: list[tuple[Booking, Agent, Agent]]
    gave_up: bool


def batch_problem(usable: list[Agent], requests: list[Booking], now: datetime) -> BatchProblem:
    """The batch decision over pending `requests` on the `usable` nodes: each
    request may use the nodes eligible for it; every booking holding
    capacity in the requests' span stays, except the movable ones
    (`movable`) lying wholly inside it, which may be re-placed among the
    usable nodes eligible for them (never dropped). Bookings reaching
    outside the span stay where they are, so nothing outside it changes."""
    by_id = {agent.id: agent for agent in usable}
    capacity = {a.id: _size(a) for a in usable}
    if not requests or not by_id:
        return BatchProblem(by_id, {}, capacity, [], [], [])
    lo = min(r.start_time for r in requests)
    hi = max(r.end_time for r in requests)
    held = [b for bs in holdings(list(by_id), lo, hi).values() for b in bs]
    moving = {b.id: b for b in held if movable(b, now) and b.start_time >= lo and b.end_time <= hi}
    fixed = [repack.Fixed(b.agent_id, b.start_time, b.end_time, _size(b)) for b in held if b.id not in moving]
    allowed: dict[tuple, tuple[int, ...]] = {}  # many bookings share tags, image and size

    def nodes_for(b: Booking) -> tuple[int, ...]:
        key = (tuple(b.required_tags or ()), b.image, _size(b))
        if key not in allowed:
            allowed[key] = tuple(a.id for a in usable if eligible(a, key[0], b.image)
                                 and Resources.of(b).within(Resources.of(a)))
        return allowed[key]

    placed = [repack.Item(b.id, b.start_time, b.end_time, _size(b),
                          tuple(dict.fromkeys((b.agent_id, *nodes_for(b)))), b.agent_id)
              for b in moving.values()]
    optional = [repack.Item(r.id, r.start_time, r.end_time, _size(r), nodes_for(r)) for r in requests]
    return BatchProblem(by_id, moving, capacity, fixed, placed, optional)


def choose_batch(problem: BatchProblem, weight: dict[int, int], *, seconds: float) -> BatchChoice:
    """Decide the requests of `problem` together: the ones of the largest
    total `weight` (by booking id) that fit next to every booking that
    stays and every approved one (re-placed if that makes room). Pure
    computation (`repack.choose`, within `seconds`); whoever applies the
    answer holds the locks on every node in id order and checks the problem
    is unchanged. A move never changes a booking's window, size, image or
    tags. Never raises for "no room": nothing is taken then."""
    if not problem.optional:
        return BatchChoice({}, [], False)
    choice = repack.choose(problem.capacity, problem.fixed, problem.placed, problem.optional, weight,
                           seconds=seconds)
    agents = problem.agents
    return BatchChoice({key: agents[choice.node_of[key]] for key in choice.taken},
                       [(problem.moving[key], agents[src], agents[dst]) for key, src, dst in choice.moves],
                       choice.gave_up)


def usable_agents() -> list[Agent]:
    """Every node that is not unavailable (unlocked: for reading; see
    `lock_usable_agents`)."""
    return [a for a in db.session.scalars(db.select(Agent).order_by(Agent.id))
            if node_state(a) != NodeState.UNAVAILABLE]


def lock_usable_agents(also: int | None = None) -> list[Agent]:
    """Lock every node that is not unavailable, and node `also` whatever its
    state, in one pass in id order; return those usable once locked (and
    `also`): the nodes repacking may move bookings among."""
    ids = [a.id for a in db.session.scalars(db.select(Agent))
           if node_state(a) != NodeState.UNAVAILABLE or a.id == also]
    return [a for a in lock_agents(ids) if node_state(a) != NodeState.UNAVAILABLE or a.id == also]


# --- the earliest windows ------------------------------------------------

@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    repack: bool  # fits only if approved bookings that have not started move


def _blocked(rows, need: Resources, total: Resources, lo: datetime, hi: datetime) -> list[list[datetime]]:
    """The merged stretches of `[lo, hi)` in which `need` does not fit next to
    `rows` (agent, start, end, cores, memory GB, GPUs) on a node of `total`."""
    events = []
    for _, start, end, cpu, memory, gpu, _ in rows:
        start, end = max(start, lo), min(end, hi)
        if start < end:
            size = (cpu, gb_to_mib(memory), gpu or 0)
            events.append((start, size))
            events.append((end, (-size[0], -size[1], -size[2])))
    events.sort(key=lambda event: event[0])
    room = total - need
    room = (room.cpu_cores, room.memory_mib, room.gpu_count)
    used, blocked, index = [0, 0, 0], [], 0
    if min(room) < 0:
        return [[lo, hi]]
    while index < len(events):
        instant = events[index][0]
        while index < len(events) and events[index][0] == instant:
            size = events[index][1]
            used[0] += size[0]
            used[1] += size[1]
            used[2] += size[2]
            index += 1
        full = used[0] > room[0] or used[1] > room[1] or used[2] > room[2]
        if full and not (blocked and blocked[-1][1] is None):
            blocked.append([instant, None])
        elif not full and blocked and blocked[-1][1] is None:
            blocked[-1][1] = instant
    if blocked and blocked[-1][1] is None:
        blocked[-1][1] = hi
    return blocked


def _gap_starts(blocked: list[list[datetime]], duration: timedelta, lo: datetime,
                hi: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Each free stretch of `[lo, hi)` (around `blocked`) long enough for
    `duration`, as (first start, end of the stretch)."""
    free_from = lo
    for start, end in [*blocked, [hi, hi]]:
        if start - free_from >= duration:
            yield free_from, start
        free_from = max(free_from, end)


def earliest_windows(need: Resources, duration: timedelta, not_before: datetime, not_after: datetime,
                     required_tags: Iterable[str] = (), image: str | None = None, count: int = 3,
                     now: datetime | None = None) -> tuple[list[Window], bool]:
    """The earliest `count` windows of `duration` within `[not_before,
    not_after]` in which some eligible node could take `need`, each the first
    start of a free stretch, and whether the search for earlier windows that
    need repacking finished within SLOT_SEARCH_MS (False: one might exist
    that it did not reach).

    A window stops or starts fitting only where a booking ends or starts, so
    the earliest start that fits is `not_before` or some booking's end: each
    node's free stretches give the earliest start without moving anything;
    before it, every booking end at which the lab's pooled free capacity
    could hold the request is tried with `repack_for`, earliest first, for
    SLOT_SEARCH_MS (each try's own reading included)."""
    now = now or utcnow()
    tags = list(required_tags)
    agents = [a for a in db.session.scalars(db.select(Agent).order_by(Agent.id))
              if node_state(a) != NodeState.UNAVAILABLE]
    candidates = [a for a in agents if eligible(a, tags, image) and need.within(Resources.of(a))]
    if not candidates or not_after - not_before < duration:
        return [], True
    # Look a few days ahead first, further only when that holds too few windows:
    # a stretch found within [not_before, until) is free whatever lies beyond.
    for span in (timedelta(days=2), timedelta(days=8), None):
        until = not_after if span is None else min(not_after, not_before + max(span, 2 * duration))
        rows = _usage_rows([a.id for a in agents], not_before, until)
        by_agent: dict[int, list] = {a.id: [] for a in agents}
        for row in rows:
            by_agent[row[0]].append(row)
        plain: set[datetime] = set()
        for agent in candidates:
            blocked = _blocked(by_agent[agent.id], need, Resources.of(agent), not_before, until)
            stretches = _gap_starts(blocked, duration, not_before, until)
            plain.update(start for start, _ in islice(stretches, count))
        if len(plain) >= count or until == not_after:
            break
    windows = [Window(start, start + duration, False) for start in sorted(plain)[:count]]
    first_plain = windows[0].start if windows else until
    # Before it: try repacking at the booking ends where the lab's pooled room could hold it.
    pooled_total = sum((Resources.of(a) for a in agents), Resources())
    pooled = _blocked(rows, need, pooled_total, not_before, min(first_plain + duration, until))
    ends = sorted({start for start in (not_before, *(row[2] for row in rows))
                   if not_before <= start < first_plain})
    complete = True
    stretches = list(_gap_starts(pooled, duration, not_before, first_plain + duration))
    deadline = time.perf_counter() + current_app.config["SLOT_SEARCH_MS"] / 1000
    for start in ends:
        if not any(lo <= start and start + duration <= hi for lo, hi in stretches):
            continue
        if time.perf_counter() > deadline:
            complete = False
            break
        plan = repack_for(candidates, agents, need, start, start + duration, now=now,
                          deadline=deadline)
        if plan.agent is not None:
            windows = [Window(start, start + duration, True), *windows][:count]
            break
        if plan.gave_up:
            complete = False
            break
    return [Window(w.start.astimezone(UTC), w.end.astimezone(UTC), w.repack) for w in windows], complete


def _window_columns() -> tuple:
    """Booking.start_time and end_time for reading many rows: on Postgres the
    driver's aware datetimes are taken as they come (no per-row conversion)."""
    if not _is_postgres():
        return Booking.start_time, Booking.end_time
    aware = DateTime(timezone=True)
    return type_coerce(Booking.start_time, aware), type_coerce(Booking.end_time, aware)


def _holding_rows(columns, agent_ids: list[int], start: datetime, end: datetime,
                  exclude_booking_id: int | None = None) -> list:
    """`columns` of the bookings holding capacity on these nodes in
    `[start, end)`, but `exclude_booking_id`."""
    stmt = db.select(*columns).where(Booking.agent_id.in_(agent_ids), holding(start, end))
    if exclude_booking_id is not None:
        stmt = stmt.where(Booking.id != exclude_booking_id)
    return db.session.execute(stmt).all()


def _usage_rows(agent_ids: list[int], start: datetime, end: datetime,
                exclude_booking_id: int | None = None) -> list:
    """(agent, start, end, cores, memory GB, GPUs, booking id) of the bookings
    holding capacity on these nodes in `[start, end)`."""
    begins, ends = _window_columns()
    return _holding_rows((Booking.agent_id, begins, ends, Booking.cpu_cores, Booking.memory_gb,
                          Booking.gpu_count, Booking.id), agent_ids, start, end, exclude_booking_id)


def free_profile(start: datetime, hours: int) -> tuple[Resources, list[tuple[datetime, Resources]]]:
    """The lab's totals over the nodes that take bookings, and for each of
    `hours` hours from `start` the least free capacity within that hour
    (totals minus what approved and active bookings hold). Lab totals only:
    it names no node or booking."""
    agents = [a for a in db.session.scalars(db.select(Agent)) if node_state(a) != NodeState.UNAVAILABLE]
    total = sum((Resources.of(a) for a in agents), Resources())
    end = start + timedelta(hours=hours)
    events = []
    for _, lo, hi, cpu, memory, gpu, _ in _usage_rows([a.id for a in agents], start, end):
        size = Resources(cpu, gb_to_mib(memory), gpu or 0)
        events.append((max(lo, start), 1, size))
        events.append((hi, 0, size))
    events.sort(key=lambda event: (event[0], event[1]))
    used, index, profile = Resources(), 0, []
    for hour in range(hours):
        bucket_start, bucket_end = start + timedelta(hours=hour), start + timedelta(hours=hour + 1)
        while index < len(events) and events[index][0] <= bucket_start:  # what holds at its start
            _, is_start, size = events[index]
            used = used + size if is_start else used - size
            index += 1
        peak = used
        while index < len(events) and events[index][0] < bucket_end:
            _, is_start, size = events[index]
            used = used + size if is_start else used - size
            peak = Resources(max(peak.cpu_cores, used.cpu_cores), max(peak.memory_mib, used.memory_mib),
                             max(peak.gpu_count, used.gpu_count))
            index += 1
        profile.append((bucket_start, total - peak))
    return total, profile
