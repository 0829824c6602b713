"""Replay seeded synthetic weeks of lab requests through the real API on
Postgres and compare what approval accepts with the offline optimum.

A week: 5 nodes (2 x 16 cores/64 GB, 2 x 32 cores/128 GB with 2 GPUs, 1 x 8
cores/32 GB), N requests (default 480) with class-hour peaks on weekdays,
1-8 h long, 1-16 cores, 15 % asking for GPUs, each booked by its own student
and approved by the admin on arrival (arrival = some hours before the start)
with automatic placement. Each configuration (placement policy, repacking
on or off) replays the same week on an emptied database through the Flask
app's test client (the real routes, services and Postgres). After each
replay an independent SQL sweep checks that no node holds more than it has
at any booking's start.

One more configuration replays approval rounds (APPROVAL_MODE=rounds with
ROUND_SETTINGS, services/approval_rounds.py): the students' policy approves
by itself; a request starting more than 4 h after it arrives is held and
decided, together with the others pending, by the round 4 h before its
start. The replay keeps its own clock: it books each request at its
arrival and runs the round service at every round boundary in between, as
the scheduler's job would. It prints each booking request's latency (those
decided at once include their approval) and each round's, per decision.

The optimum: an exact ILP (OR-Tools CP-SAT) over the same nodes and windows,
maximising first the count of accepted requests, then the core-hours, each
under a time limit; when it stops at the limit the gap to its bound is
printed (the ratio against the bound is then a lower bound on the real one).

    .venv/bin/python bench/replay.py [--seeds 1 2 3] [--requests 480] [--ilp-seconds 20]

Needs PostgreSQL on 127.0.0.1:5432 (a scratch database is created and
dropped); nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
from ortools.sat.python import cp_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import has_app_context  # noqa: E402
from flask_jwt_extended import create_access_token  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.common import percentile  # noqa: E402
from bench.seed import scratch_database  # noqa: E402
from controller import create_app  # noqa: E402
from controller.config import APPROVAL_NUMBERS, Config  # noqa: E402
from controller.extensions import db  # noqa: E402
from controller.models import Agent, Booking, User  # noqa: E402
from controller.services import approval_rounds, repack  # noqa: E402
from controller.services.accounts import hash_password  # noqa: E402

NODES = (  # name, cores, memory GB, GPUs
    ("cpu16-a", 16, 64, 0), ("cpu16-b", 16, 64, 0),
    ("gpu32-a", 32, 128, 2), ("gpu32-b", 32, 128, 2),
    ("cpu8", 8, 32, 0),
)
IMAGE = "jupyter/base-notebook:latest"
CONFIGS = (  # label, placement policy, repacking, how approval decides (APPROVAL_MODE)
    ("spread (before)", "spread", False, "on_arrival"),
    ("best-fit", "best_fit", False, "on_arrival"),
    ("spread + repack", "spread", True, "on_arrival"),
    ("best-fit + repack (project)", "best_fit", True, "on_arrival"),
    ("best-fit + repack + rounds", "best_fit", True, "rounds"),
)
# The approval rounds replayed (services/approval_rounds.py): the controller's
# own settings (its defaults, or what this environment sets), read from Config
# rather than copied here.
_CONFIG = Config()
ROUND_SETTINGS = {name: getattr(_CONFIG, name) for _key, name, _lowest in APPROVAL_NUMBERS}
# The week's mix: hours 1..8 and cores, weighted toward short, small requests
# (calibrated so that spreading and plain best fit score about what issue 13
# measured: ~95 % and ~92 % of the optimum's count).
DURATION_WEIGHTS = (30, 25, 15, 10, 7, 5, 4, 4)
CORES = (1, 2, 4, 6, 8, 12, 16)
CORE_WEIGHTS = (15, 25, 25, 5, 15, 6, 9)
TABLES = "audit_events, bookings, revoked_tokens, agents, users"


@dataclass(frozen=True)
class Request:
    arrival: datetime
    start: datetime
    end: datetime
    cpu_cores: int
    memory_gb: int
    gpu_count: int

    @property
    def core_hours(self) -> float:
        return self.cpu_cores * (self.end - self.start).total_seconds() / 3600


def hour_weight(day: int, hour: int) -> float:
    """Class hours: peaks 9-12 and 14-17 on weekdays, quiet nights and weekends."""
    weekday = day % 7 < 5
    if 9 <= hour < 12 or 14 <= hour < 17:
        weight = 10
    elif 8 <= hour < 19:
        weight = 5
    elif 19 <= hour < 23:
        weight = 2
    else:
        weight = 0.3
    return weight if weekday else weight * 0.3


def synthetic_week(seed: int, count: int, week_start: datetime) -> list[Request]:
    """`count` requests over the 7 days from `week_start`, in arrival order."""
    rng = random.Random(seed)
    slots = [(day, hour) for day in range(7) for hour in range(24)]
    weights = [hour_weight(day, hour) for day, hour in slots]
    requests = []
    for _ in range(count):
        day, hour = rng.choices(slots, weights)[0]
        start = week_start + timedelta(days=day, hours=hour, minutes=rng.choice((0, 30)))
        hours = rng.choices(range(1, 9), DURATION_WEIGHTS)[0]
        cores = rng.choices(CORES, CORE_WEIGHTS)[0]
        gpus = (1 if rng.random() < 0.8 else 2) if rng.random() < 0.15 else 0
        memory = max(1, cores * rng.choice((2, 4)))
        arrival = max(week_start - timedelta(hours=12), start - timedelta(hours=rng.uniform(1, 96)))
        requests.append(Request(arrival, start, start + timedelta(hours=hours), cores, memory, gpus))
    return sorted(requests, key=lambda r: r.arrival)


# --- the offline optimum -----------------------------------------------------

def eligible_nodes(request: Request) -> list[int]:
    return [i for i, (_, cores, memory, gpus) in enumerate(NODES)
            if request.cpu_cores <= cores and request.memory_gb <= memory and request.gpu_count <= gpus]


def optimum(requests: list[Request], weight, seconds: float) -> tuple[float, float, bool]:
    """The most `weight` accepted requests can carry (value, bound, proved optimal)."""
    model = cp_model.CpModel()
    x = {(r, n): model.new_bool_var(f"x{r}_{n}") for r, req in enumerate(requests) for n in eligible_nodes(req)}
    for r, _ in enumerate(requests):
        model.add_at_most_one(x[r, n] for n in eligible_nodes(requests[r]) if (r, n) in x)
    for n, (_, cores, memory, gpus) in enumerate(NODES):
        here = [r for r, req in enumerate(requests) if (r, n) in x]
        for t in {requests[r].start for r in here}:
            active = [r for r in here if requests[r].start <= t < requests[r].end]
            model.add(sum(requests[r].cpu_cores * x[r, n] for r in active) <= cores)
            model.add(sum(requests[r].memory_gb * x[r, n] for r in active) <= memory)
            if any(requests[r].gpu_count for r in active):
                model.add(sum(requests[r].gpu_count * x[r, n] for r in active) <= gpus)
    model.maximize(sum(weight(requests[r]) * var for (r, _), var in x.items()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    return solver.objective_value, solver.best_objective_bound, status == cp_model.OPTIMAL


def online_ceiling(requests: list[Request]) -> tuple[int, float]:
    """What approving every request that fits somewhere gives: a request is
    taken when SOME placement of it and of everything taken before exists
    (everything re-placeable, solved exactly; bookings more than a day away
    left out), i.e. perfect repacking. Approving on arrival cannot refuse a
    request that fits, so the gap between this and the optimum is the price
    of deciding on arrival, which no placement rule removes (a rule that
    refuses large requests by fragmenting may count a few more, with fewer
    core-hours)."""
    capacity = {n: (cores, memory * 1024, gpus) for n, (_, cores, memory, gpus) in enumerate(NODES)}
    taken: list[tuple[Request, int]] = []
    for request in requests:
        near = [(i, r, node) for i, (r, node) in enumerate(taken)
                if r.start < request.end + timedelta(days=1) and r.end > request.start - timedelta(days=1)]
        items = [repack.Item(i + 1, r.start, r.end, (r.cpu_cores, r.memory_gb * 1024, r.gpu_count),
                             tuple(eligible_nodes(r)), node) for i, r, node in near]
        items.append(repack.Item(repack.REQUEST, request.start, request.end,
                                 (request.cpu_cores, request.memory_gb * 1024, request.gpu_count),
                                 tuple(eligible_nodes(request))))
        outcome = repack.solve(capacity, [], items, seconds=2, exact_max=10**6)
        if outcome.node_of is not None:
            for key, node in outcome.node_of.items():
                if key != repack.REQUEST:
                    taken[key - 1] = (taken[key - 1][0], node)
            taken.append((request, outcome.node_of[repack.REQUEST]))
    return len(taken), sum(r.core_hours for r, _ in taken)


# --- the replay through the API ----------------------------------------------

def seed_lab(app, count: int):
    """Empty the tables; the 5 nodes, an admin and `count` students. Returns
    (admin headers, one header dict per student)."""
    if has_app_context():
        db.session.remove()  # a caller's open transaction (a test's) would block the TRUNCATE
    with app.app_context():
        db.session.execute(db.text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        for i, (name, cores, memory, gpus) in enumerate(NODES):
            db.session.add(Agent(name=name, url=f"http://127.0.0.1:{19000 + i}", cpu_cores=cores,
                                 memory_gb=memory, gpu_count=gpus, tags=[], status="online", wol_port=9))
        password = hash_password("replay-" + uuid.uuid4().hex)
        users = [User(username=f"s{i}", email=f"s{i}@replay.test", password_hash=password, role="student")
                 for i in range(count)]
        admin = User(username="admin", email="admin@replay.test", password_hash=password, role="admin")
        db.session.add_all([*users, admin])
        db.session.commit()

        def headers(user):
            token = create_access_token(identity=str(user.id), additional_claims={"role": user.role})
            return {"Authorization": f"Bearer {token}"}

        return headers(admin), [headers(user) for user in users]


def replay(app, requests: list[Request], policy: str, repacking: bool) -> dict:
    """Book and approve every request in arrival order through the API; the
    accepted count, core-hours, approval latencies (ms) and moves."""
    app.config.update(PLACEMENT_POLICY=policy, REPACK_ENABLED=repacking, RATELIMIT_ENABLED=False)
    admin, students = seed_lab(app, len(requests))
    client = app.test_client()
    accepted, core_hours, latencies, gave_up = 0, 0.0, [], 0
    for request, student in zip(requests, students, strict=True):
        booked = client.post("/api/student/book", headers=student, json={
            "start_time": request.start.isoformat(), "end_time": request.end.isoformat(),
            "cpu_cores": request.cpu_cores, "memory_gb": request.memory_gb, "gpu_count": request.gpu_count,
            "image": IMAGE})
        assert booked.status_code == 201, booked.get_json()
        began = time.perf_counter()
        approved = client.post(f"/api/admin/approve/{booked.get_json()['id']}", headers=admin, json={})
        latencies.append((time.perf_counter() - began) * 1000)
        if approved.status_code == 200:
            accepted += 1
            core_hours += request.core_hours
        else:
            assert approved.status_code == 409, approved.get_json()
            gave_up += approved.get_json()["details"].get("repack") == "gave_up"
    with app.app_context():
        moves = db.session.scalar(db.text("SELECT count(*) FROM audit_events WHERE action = 'moved'"))
    return {"accepted": accepted, "core_hours": core_hours, "latencies": latencies, "moves": moves,
            "gave_up": gave_up}


def replay_rounds(app, requests: list[Request], policy: str) -> dict:
    """The same week with approval rounds (APPROVAL_MODE=rounds, ROUND_SETTINGS):
    every student's policy approves by itself; each request is booked through
    the API at its arrival on the replay's clock (`approval_rounds.clock`),
    and at every round boundary before it the round service runs
    (`approval_rounds.run_round`, as the scheduler's job would), then at the
    boundaries left until the last held request is decided. The accepted
    count and core-hours are read back from the database. Latencies: each
    booking request (those decided at once include their approval) and each
    round that decided something, per decision."""
    app.config.update(PLACEMENT_POLICY=policy, REPACK_ENABLED=True, RATELIMIT_ENABLED=False,
                      APPROVAL_MODE="rounds", **ROUND_SETTINGS)
    admin, students = seed_lab(app, len(requests))
    client = app.test_client()
    step = timedelta(minutes=ROUND_SETTINGS["APPROVAL_ROUND_MINUTES"])
    now = requests[0].arrival
    boundary = approval_rounds.EPOCH + step * math.ceil((now - approval_rounds.EPOCH) / step)
    book_ms, round_ms, per_decision_ms, locked_ms = [], [], [], []

    def rounds_until(moment: datetime) -> None:
        nonlocal boundary, now
        while boundary <= moment:
            now = boundary
            began = time.perf_counter()
            with app.app_context():
                decided = approval_rounds.run_round(boundary)
            if decided:
                elapsed = (time.perf_counter() - began) * 1000
                round_ms.append(elapsed)
                locked_ms.append(decided.get("locked_ms", 0))
                per_decision_ms.append(elapsed / max(1, decided["approved"] + decided["left_for_admin"]))
            boundary += step

    saved_clock = approval_rounds.clock
    approval_rounds.clock = lambda: now
    try:
        with app.app_context():
            db.session.execute(db.text("UPDATE policies SET auto_approve = true WHERE is_default"))
            db.session.commit()
        for request, student in zip(requests, students, strict=True):
            rounds_until(request.arrival)
            now = request.arrival
            began = time.perf_counter()
            booked = client.post("/api/student/book", headers=student, json={
                "start_time": request.start.isoformat(), "end_time": request.end.isoformat(),
                "cpu_cores": request.cpu_cores, "memory_gb": request.memory_gb, "gpu_count": request.gpu_count,
                "image": IMAGE})
            book_ms.append((time.perf_counter() - began) * 1000)
            assert booked.status_code == 201, booked.get_json()
        with app.app_context():
            last = db.session.scalar(db.select(db.func.max(Booking.decide_at)).where(Booking.status == "pending"))
        if last is not None:
            rounds_until(last)
        with app.app_context():
            accepted, core_hours = db.session.execute(db.text(
                "SELECT count(*), coalesce(sum(cpu_cores * extract(epoch FROM end_time - start_time) / 3600), 0)"
                " FROM bookings WHERE status = 'approved'")).one()
            moves = db.session.scalar(db.text("SELECT count(*) FROM audit_events WHERE action = 'moved'"))
            db.session.execute(db.text("UPDATE policies SET auto_approve = false WHERE is_default"))
            db.session.commit()
    finally:
        approval_rounds.clock = saved_clock
        app.config.update(APPROVAL_MODE="on_arrival")
    return {"accepted": accepted, "core_hours": float(core_hours), "latencies": book_ms, "moves": moves,
            "gave_up": 0, "round_ms": round_ms, "per_decision_ms": per_decision_ms, "locked_ms": locked_ms}


def overbooked(database_url: str) -> int:
    """Independently of the app: (booking start, node) pairs at which the
    node's approved and active bookings need more than it has."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("""
                SELECT count(*) FROM (
                  SELECT a.id, p.start_time,
                         sum(b.cpu_cores) AS cpu, sum(b.memory_gb) AS mem, sum(b.gpu_count) AS gpu,
                         a.cpu_cores AS cpu_cap, a.memory_gb AS mem_cap, a.gpu_count AS gpu_cap
                  FROM (SELECT DISTINCT agent_id, start_time FROM bookings
                        WHERE status IN ('approved', 'active')) p
                  JOIN agents a ON a.id = p.agent_id
                  JOIN bookings b ON b.agent_id = p.agent_id AND b.status IN ('approved', 'active')
                       AND b.start_time <= p.start_time AND b.end_time > p.start_time
                  GROUP BY a.id, p.start_time
                ) usage
                WHERE cpu > cpu_cap OR mem > mem_cap + 1e-9 OR gpu > gpu_cap""")
            return cur.fetchone()[0]
    finally:
        conn.close()


def run_seed(app, database_url: str, seed: int, count: int, ilp_seconds: float, configs=CONFIGS,
             out=print, ceiling: bool = False) -> dict:
    """Replay one seeded week under every configuration; print and return the figures."""
    week_start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    requests = synthetic_week(seed, count, week_start)
    best_count, count_bound, count_exact = optimum(requests, lambda r: 1, ilp_seconds)
    best_hours, hours_bound, hours_exact = optimum(requests, lambda r: round(r.core_hours), ilp_seconds)
    offered = sum(r.core_hours for r in requests)

    def gap(value, bound, exact):
        return "optimal" if exact else f"gap {100 * (bound - value) / max(bound, 1):.1f} % at {ilp_seconds:g} s"

    out(f"seed {seed}: {count} requests, {offered:.0f} core-hours asked; optimum {best_count:.0f} requests"
        f" ({gap(best_count, count_bound, count_exact)}), {best_hours:.0f} core-hours"
        f" ({gap(best_hours, hours_bound, hours_exact)})")
    results = {}
    if ceiling:
        taken, hours = online_ceiling(requests)
        out(f"  {'approve whenever it fits':30s} accepted {taken:4d} = {100 * taken / best_count:5.1f} % of optimum,"
            f" core-hours {100 * hours / best_hours:5.1f} %")
    for label, policy, repacking, mode in configs:
        figures = (replay(app, requests, policy, repacking) if mode == "on_arrival"
                   else replay_rounds(app, requests, policy))
        figures["overbooked"] = overbooked(database_url)
        figures["count_ratio"] = figures["accepted"] / best_count
        figures["hours_ratio"] = figures["core_hours"] / best_hours
        results[label] = figures
        out(f"  {label:30s} accepted {figures['accepted']:4d} = {100 * figures['count_ratio']:5.1f} % of optimum,"
            f" core-hours {100 * figures['hours_ratio']:5.1f} %, approval p50 {percentile(figures['latencies'], 50):5.1f} ms"
            f" p95 {percentile(figures['latencies'], 95):5.1f} ms, moves {figures['moves']},"
            f" gave up {figures['gave_up']}, over-booked instants {figures['overbooked']}")
        if mode == "rounds":
            out(f"  {'':30s} (latency above: each booking request; {len(figures['round_ms'])} rounds decided,"
                f" p95 {percentile(figures['round_ms'], 95) if figures['round_ms'] else 0:.0f} ms a round,"
                f" p95 {percentile(figures['per_decision_ms'], 95) if figures['per_decision_ms'] else 0:.0f} ms"
                f" per decision, p95 {percentile(figures['locked_ms'], 95) if figures['locked_ms'] else 0:.0f} ms"
                f" holding the locks)")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--requests", type=int, default=480)
    parser.add_argument("--ilp-seconds", type=float, default=20)
    parser.add_argument("--configs", nargs="+", metavar="WORD",
                        help="replay only the configurations whose label contains one of these words")
    parser.add_argument("--round-setting", nargs="+", default=[], metavar="NAME=VALUE",
                        help="override ROUND_SETTINGS, e.g. APPROVAL_ROUND_CORE_HOUR_WEIGHT=3")
    parser.add_argument("--ceiling", action="store_true",
                        help="also replay 'approve whenever it fits' with exact re-placement offline (slow)")
    args = parser.parse_args()
    configs = [c for c in CONFIGS if not args.configs or any(word in c[0] for word in args.configs)]
    for setting in args.round_setting:
        name, _, value = setting.partition("=")
        if name not in ROUND_SETTINGS:
            parser.error(f"--round-setting: {name} is not one of {', '.join(ROUND_SETTINGS)}")
        ROUND_SETTINGS[name] = float(value)

    with scratch_database("replay") as database_url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SCHEDULER_ENABLED": False,
                          "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING", "LOG_JSON": False,
                          "JWT_SECRET_KEY": "replay-" + "x" * 40,
                          "SESSION_IMAGES": [{"name": IMAGE, "port": 8888}]})
        with app.app_context():
            upgrade()
        for seed in args.seeds:
            run_seed(app, database_url, seed, args.requests, args.ilp_seconds, configs=configs, ceiling=args.ceiling)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
