"""The repacking solver: re-place movable bookings so that a request fits.

Pure computation on plain data, no database: `placement` gathers what is
where, decides which bookings may move (approved, not started, outside the
lead time, not pinned) and which nodes each may use, calls `solve`, and
applies the answer under its locks. Nothing else calls this module.

The model: every item (the request and each movable booking) has a fixed
window, a size and the nodes it may use; `fixed` bookings stay where they
are. An assignment is valid when, on every node, at every instant, fixed
plus assigned usage is within the node's size. Usage only rises at a start,
so checking each node at the starts of the bookings that may be on it checks
every instant.

- First a pooled check: if all nodes together lack room at some instant of
  the window, no plan exists (most refusals at peak hours end here).
- A bounded greedy: for each node the request may use, evict the movable
  bookings that overlap it (largest first) until it fits, and re-place each
  evicted one elsewhere (or back where it was when it still fits).
- When that finds nothing and the set is small (`exact_max` items or
  fewer): OR-Tools CP-SAT, exact (fewest moves), with the time left.

Either way the answer says whether the time limit cut the search short
(`gave_up`), so the caller can tell "no room" from "did not finish".
"""

from __future__ import annotations

import functools
import importlib
import time
from dataclasses import dataclass, field
from datetime import datetime

Size = tuple[int, int, int]  # cores, MiB, GPUs
REQUEST = 0  # the key of the request among the items (booking ids are > 0)


@dataclass(frozen=True)
class Item:
    """Something to place: the request (key REQUEST) or a movable booking."""

    key: int
    start: datetime
    end: datetime
    need: Size
    nodes: tuple[int, ...]  # the nodes it may use
    current: int | None = None  # where it is now (None: the request)


@dataclass(frozen=True)
class Fixed:
    """A booking that stays on its node."""

    node: int
    start: datetime
    end: datetime
    need: Size


@dataclass
class Outcome:
    """`node_of` maps every item's key to its node when a plan was found."""

    node_of: dict[int, int] | None
    gave_up: bool = False
    method: str = ""
    moves: list[tuple[int, int, int]] = field(default_factory=list)  # (key, from, to)


def _fits(size: Size, capacity: Size) -> bool:
    return size[0] <= capacity[0] and size[1] <= capacity[1] and size[2] <= capacity[2]


def _add(a: Size, b: Size, sign: int = 1) -> Size:
    return (a[0] + sign * b[0], a[1] + sign * b[1], a[2] + sign * b[2])


def peak_fits(occupants: list[tuple[datetime, datetime, Size]], need: Size, capacity: Size,
              start: datetime, end: datetime) -> bool:
    """Whether `need` over `[start, end)` fits next to `occupants` on a node of `capacity`."""
    events = []
    for lo, hi, size in occupants:
        lo, hi = max(lo, start), min(hi, end)
        if lo < hi:
            events.append((lo, 1, size))
            events.append((hi, 0, size))
    events.sort(key=lambda e: (e[0], e[1]))
    usage = need
    if not _fits(usage, capacity):
        return False
    for _, is_start, size in events:
        usage = _add(usage, size, 1 if is_start else -1)
        if is_start and not _fits(usage, capacity):
            return False
    return True


@functools.cache
def solver_module():
    """OR-Tools' CP-SAT module, imported the first time an exact search runs.
    It pulls in pandas, about 64 MB per gunicorn worker, which most workers
    never need (the pooled check and the greedy settle most requests). The
    one import inside a function in controller/, named as the exception in
    tests/controller/test_layers.py."""
    return importlib.import_module("ortools.sat.python.cp_model")


def _finish(items: list[Item], node_of: dict[int, int], method: str) -> Outcome:
    moves = [(i.key, i.current, node_of[i.key]) for i in items
             if i.current is not None and node_of[i.key] != i.current]
    return Outcome(node_of, False, method, moves)


def _add_capacity(model, capacity: dict[int, Size], fixed: list[Fixed], items: list[Item],
                  x: dict[tuple[int, int], object]) -> None:
    """The constraints that keep every node within its capacity at every
    instant: the items assigned to it (`x[key, node]`) next to its `fixed`
    bookings, checked at each start (usage only rises at a start)."""
    fixed_by_node: dict[int, list[Fixed]] = {}
    for booking in fixed:
        fixed_by_node.setdefault(booking.node, []).append(booking)
    for node, cap in capacity.items():
        here = [item for item in items if node in item.nodes]
        if not here:
            continue
        held = fixed_by_node.get(node, [])
        for t in {item.start for item in here} | {b.start for b in held}:
            active = [item for item in here if item.start <= t < item.end]
            if not active:
                continue
            used = (0, 0, 0)
            for b in held:
                if b.start <= t < b.end:
                    used = _add(used, b.need)
            for r in range(3):
                if any(item.need[r] for item in active):
                    model.add(sum(item.need[r] * x[item.key, node] for item in active) <= cap[r] - used[r])


def _exact(capacity: dict[int, Size], fixed: list[Fixed], items: list[Item],
           seconds: float) -> tuple[dict[int, int] | None, bool]:
    """CP-SAT over the items; (plan or None, whether the time limit stopped it)."""
    cp_model = solver_module()
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for item in items:
        for node in item.nodes:
            x[item.key, node] = model.new_bool_var(f"x{item.key}_{node}")
        model.add_exactly_one(x[item.key, node] for node in item.nodes)
    _add_capacity(model, capacity, fixed, items, x)
    model.minimize(sum(x[item.key, node] for item in items if item.current is not None
                       for node in item.nodes if node != item.current))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.001)
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {item.key: next(n for n in item.nodes if solver.value(x[item.key, n]))
                for item in items}, False
    return None, status == cp_model.UNKNOWN


def _greedy(capacity: dict[int, Size], fixed: list[Fixed], items: list[Item],
            deadline: float) -> tuple[dict[int, int] | None, bool]:
    """The bounded heuristic; (plan or None, whether the deadline stopped it)."""
    request = next(item for item in items if item.key == REQUEST)
    movable = [item for item in items if item.key != REQUEST]
    base: dict[int, list[tuple[datetime, datetime, Size]]] = {node: [] for node in capacity}
    for booking in fixed:
        base.setdefault(booking.node, []).append((booking.start, booking.end, booking.need))

    def conflicts(node: int) -> list[Item]:
        return [m for m in movable if m.current == node and m.start < request.end and m.end > request.start]

    targets = sorted(request.nodes, key=lambda n: (sum(m.need[0] for m in conflicts(n)), n))
    for target in targets:
        if time.perf_counter() > deadline:
            return None, True
        placed = {node: list(occ) for node, occ in base.items()}
        node_of = {m.key: m.current for m in movable}
        for m in movable:
            placed[m.current].append((m.start, m.end, m.need))
        evicted: list[Item] = []
        for m in sorted(conflicts(target), key=lambda m: (-m.need[0], -m.need[1], m.key)):
            if peak_fits(placed[target], request.need, capacity[target], request.start, request.end):
                break
            placed[target].remove((m.start, m.end, m.need))
            evicted.append(m)
        if not peak_fits(placed[target], request.need, capacity[target], request.start, request.end):
            continue
        placed[target].append((request.start, request.end, request.need))
        node_of[REQUEST] = target
        ok = True
        for m in evicted:
            # Back where it was if it still fits there, else the tightest other node.
            options = [n for n in m.nodes if peak_fits(placed[n], m.need, capacity[n], m.start, m.end)]
            if not options:
                ok = False
                break
            home = m.current if m.current in options else min(options, key=lambda n: (capacity[n], n))
            placed[home].append((m.start, m.end, m.need))
            node_of[m.key] = home
        if ok:
            return node_of, False
    return None, False


def pooled_room(capacity: dict[int, Size], fixed: list[Fixed], items: list[Item]) -> bool:
    """A quick necessary condition: at every instant of the request's window
    all the nodes together have room for everything plus the request."""
    request = next(item for item in items if item.key == REQUEST)
    total = (0, 0, 0)
    for cap in capacity.values():
        total = _add(total, cap)
    others = [(f.start, f.end, f.need) for f in fixed] + [(i.start, i.end, i.need) for i in items
                                                          if i.key != REQUEST]
    return peak_fits(others, request.need, total, request.start, request.end)


def solve(capacity: dict[int, Size], fixed: list[Fixed], items: list[Item], *,
          seconds: float, exact_max: int) -> Outcome:
    """Find node assignments for `items` (the request among them, key
    REQUEST) that keep every node within `capacity` next to `fixed`.
    Cheapest first: the pooled check (no plan can exist), the bounded greedy,
    then, for at most `exact_max` items, CP-SAT with the time left (fewest
    moves). Never raises for "no room": the outcome's `node_of` is None then,
    with `gave_up` when the time limit (`seconds`) cut the search short."""
    deadline = time.perf_counter() + seconds
    if any(not item.nodes for item in items) or not pooled_room(capacity, fixed, items):
        return Outcome(None, False, "pooled")
    node_of, gave_up = _greedy(capacity, fixed, items, deadline)
    if node_of is not None:
        return _finish(items, node_of, "greedy")
    if len(items) <= exact_max and not gave_up:
        node_of, gave_up = _exact(capacity, fixed, items, deadline - time.perf_counter())
        if node_of is not None:
            return _finish(items, node_of, "exact")
    return Outcome(None, gave_up, "exact" if len(items) <= exact_max else "greedy")


@dataclass
class Choice:
    """A batch decision: which optional items are taken, and the node of every
    placed item and taken one (`node_of`); `gave_up` when the time limit
    stopped the search before it proved its answer best (or found any, when
    nothing is taken)."""

    taken: set[int]
    node_of: dict[int, int]
    gave_up: bool = False
    moves: list[tuple[int, int, int]] = field(default_factory=list)  # (key, from, to)


def _first_fit(capacity: dict[int, Size], fixed: list[Fixed], placed: list[Item],
               optional: list[Item]) -> dict[int, int]:
    """A quick feasible start for `choose`: everything placed where it is,
    then each optional item, earliest first, on the first of its nodes
    where it fits (what approving on arrival would do)."""
    occupants: dict[int, list[tuple[datetime, datetime, Size]]] = {node: [] for node in capacity}
    for booking in fixed:
        occupants.setdefault(booking.node, []).append((booking.start, booking.end, booking.need))
    for item in placed:
        occupants[item.current].append((item.start, item.end, item.need))
    node_of = {}
    for item in sorted(optional, key=lambda i: (i.start, i.key)):
        for node in item.nodes:
            if peak_fits(occupants[node], item.need, capacity[node], item.start, item.end):
                occupants[node].append((item.start, item.end, item.need))
                node_of[item.key] = node
                break
    return node_of


def choose(capacity: dict[int, Size], fixed: list[Fixed], placed: list[Item], optional: list[Item],
           weight: dict[int, int], *, seconds: float) -> Choice:
    """Decide a batch of requests together: take the `optional` items of the
    largest total `weight` that fit next to `fixed` and every `placed` item
    (approved bookings that may be re-placed, never dropped; each with its
    `current` node), each only on its own `nodes`. CP-SAT, exact within
    `seconds`, started from things as they are plus what first fit takes
    (`_first_fit`). Never raises for "no room": `taken` is empty then."""
    cp_model = solver_module()
    model = cp_model.CpModel()
    items = placed + optional
    start = _first_fit(capacity, fixed, placed, optional)
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    take: dict[int, cp_model.IntVar] = {}
    for item in items:
        for node in item.nodes:
            x[item.key, node] = model.new_bool_var(f"x{item.key}_{node}")
            model.add_hint(x[item.key, node], node == (item.current if item.current is not None
                                                       else start.get(item.key)))
    for item in placed:
        model.add_exactly_one(x[item.key, node] for node in item.nodes)
    for item in optional:
        take[item.key] = model.new_bool_var(f"take{item.key}")
        model.add(sum(x[item.key, node] for node in item.nodes) == take[item.key])
        model.add_hint(take[item.key], item.key in start)
    _add_capacity(model, capacity, fixed, items, x)
    # The weights first; among equal plans, the fewest moves.
    scale = 1 + len(placed)
    model.maximize(scale * sum(weight[key] * var for key, var in take.items())
                   - sum(x[item.key, node] for item in placed for node in item.nodes if node != item.current))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.001)
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Choice(set(), {item.key: item.current for item in placed}, True)
    node_of = {key: node for (key, node), var in x.items() if solver.value(var)}
    taken = {key for key, var in take.items() if solver.value(var)}
    moves = [(item.key, item.current, node_of[item.key]) for item in placed
             if node_of[item.key] != item.current]
    return Choice(taken, node_of, status != cp_model.OPTIMAL, moves)
