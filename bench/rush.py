"""The booking rush: create-booking throughput against an authenticated GET
measured in the same run, on the production server shape.

gunicorn as controller/Dockerfile runs it (2 workers x 4 threads, its config and masking access log)
serves the controller on 127.0.0.1 against a scratch Postgres database
(migrated, 50 nodes and 200 students seeded with COPY, plus a history of
past bookings) and Redis for the token blocklist. A bounded asyncio client
(aiohttp, 64 connections) runs `GET /api/auth/me` and `POST
/api/student/book` for `--seconds` each, taking turns in 2-second slices so
the machine's drift falls on both alike: every booking is valid (each
student books back-to-back one-hour windows of their own), so any refusal
is counted as a valid booking refused. It prints req/s of each and their
ratio, p50/p99, 5xx and refusals, and the peak RSS of each worker; then
checks the database: one booking and one audit row per 201, no student
with two open bookings overlapping.

    .venv/bin/python bench/rush.py [--seconds 10] [--students 200] [--connections 64]
                                   [--profile rush.txt]   # py-spy on one worker, a rush of its own first

Goals (issue 12): the rush at least 50 % of the GET, p99 <= 250 ms, no 5xx,
no valid booking refused, RSS per worker < 150 MB. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import psutil
import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_jwt_extended import create_access_token  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.common import percentile  # noqa: E402
from bench.seed import IMAGES, scratch_database, seed_bookings, seed_lab  # noqa: E402
from controller import create_app  # noqa: E402
from controller.extensions import db  # noqa: E402
from tests.processes import free_port, wait_http  # noqa: E402

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "rush-bench-secret-" + "x" * 40
MAX_SECONDS = 60
MAX_CONNECTIONS = 256
SLICE = 2.0  # seconds of one kind of request before the other's turn


def prepare(url: str, students: int, history: int) -> None:
    """Migrate and seed the scratch database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": False, "REDIS_URL": None,
                      "JWT_SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING", "LOG_JSON": False})
    with app.app_context():
        upgrade()
        conn = db.engine.raw_connection()
        try:
            seed_lab(conn.driver_connection, students=students)
            if history:
                seed_bookings(conn.driver_connection, history, future=0)
        finally:
            conn.close()
        db.engine.dispose()


def tokens_for(url: str) -> list[tuple[int, str]]:
    """An access token for each seeded student, signed as the server signs them."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": False, "REDIS_URL": None,
                      "JWT_SECRET_KEY": SECRET, "JWT_ACCESS_TOKEN_EXPIRES": timedelta(hours=1),
                      "LOG_LEVEL": "WARNING", "LOG_JSON": False})
    with app.app_context():
        ids = db.session.execute(db.text("SELECT id FROM users WHERE role = 'student' ORDER BY id")).scalars().all()
        tokens = [(i, create_access_token(identity=str(i), additional_claims={"role": "student"})) for i in ids]
        db.engine.dispose()
    return tokens


class Server:
    """gunicorn as the controller image runs it, on 127.0.0.1."""

    def __init__(self, url: str, workers: int, threads: int, log_dir: Path):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
        env.update(DATABASE_URL=url, REDIS_URL=REDIS_URL, JWT_SECRET_KEY=SECRET, SCHEDULER_ENABLED="false",
                   LOCAL_AGENT="false", LOG_JSON="true", LOG_LEVEL="INFO",
                   RATELIMIT_KEY_PREFIX=f"rush-{os.getpid()}",
                   SESSION_IMAGES=f"{IMAGES[0]}=8888,{IMAGES[1]}=22", FRONTEND_DIST=str(log_dir / "no-ui"))
        self.log = open(log_dir / "gunicorn.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:controller.serving",
             "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--threads", str(threads), "--timeout", "60",
             "--access-logfile", "-", "--logger-class", "controller.gunicorn_logging.MaskingLogger",
             "--worker-tmp-dir", "/dev/shm", "controller.wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_http(f"{self.url}/api/health", timeout=60)

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class RssSampler(threading.Thread):
    """The peak RSS of each worker, sampled every 0.2 s."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server, self.peak, self.done = server, collections.Counter(), threading.Event()

    def run(self):
        while not self.done.wait(0.2):
            for worker in self.server.workers():
                try:
                    self.peak[worker.pid] = max(self.peak[worker.pid], worker.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass


class CpuAccount:
    """Where the machine's CPU went during each kind of slice: the gunicorn
    workers, this load client, Postgres (all its processes), the rest
    (Redis, the kernel, anything else) and idle; seconds of CPU, summed
    over the slices of a kind. It says how much of the 2 cores the server
    had, and so what a request's CPU cost caps its rate at."""

    GROUPS = ("workers", "client", "postgres")

    def __init__(self, server: Server):
        self.server = server
        self.spent: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

    def _processes(self) -> dict[str, list[psutil.Process]]:
        postgres = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]
        return {"workers": self.server.workers(), "client": [psutil.Process()], "postgres": postgres}

    def snapshot(self) -> dict:
        taken = {}
        for group, processes in self._processes().items():
            for process in processes:
                try:
                    times = process.cpu_times()
                    taken[(group, process.pid)] = times.user + times.system
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
        machine = psutil.cpu_times()
        taken["idle"] = machine.idle + getattr(machine, "iowait", 0.0)
        taken["all"] = sum(machine) - getattr(machine, "guest", 0.0) - getattr(machine, "guest_nice", 0.0)
        return taken

    def add(self, kind: str, before: dict, after: dict) -> None:
        for key, value in after.items():
            if key in before:  # a process that started within the slice is left out
                group = key[0] if isinstance(key, tuple) else key
                self.spent[kind][group] += value - before[key]

    def shares(self, kind: str) -> dict[str, float]:
        """Each group's share of the machine's CPU time in this kind's slices."""
        spent = self.spent[kind]
        total = spent["all"] or 1.0
        known = {group: spent[group] / total for group in (*self.GROUPS, "idle")}
        known["other"] = max(0.0, 1.0 - sum(known.values()))
        return known


async def load(session: aiohttp.ClientSession, connections: int, seconds: float, request) -> dict:
    """Run `request(session, n)` on `connections` concurrent loops for
    `seconds`; each returns (status, body); returns latencies and outcomes."""
    latencies: list[float] = []
    statuses: collections.Counter = collections.Counter()
    refusals: collections.Counter = collections.Counter()
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def loop():
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            status, body = await request(session, next(counter))
            latencies.append((time.perf_counter() - t0) * 1000)
            statuses[status] += 1
            if 400 <= status < 500:
                refusals[body[:120]] += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": latencies, "statuses": statuses, "refusals": refusals}


async def phases(url: str, connections: int, seconds: float, tokens, booker, account: CpuAccount,
                 profile_worker=None) -> tuple:
    """The warm-up, the profiled rush (when `profile_worker` starts py-spy
    and returns it), then GET and book taking turns in slices, so the
    machine's drift falls on both alike. One client session throughout: its
    `connections` keep-alive connections are opened once, in the warm-up, as
    a lab's browsers keep theirs (a session per slice measured 64 new
    connections every 2 s, the first request on each waiting for its accept).
    `account` is told the machine's CPU before and after each slice."""
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    profiled = {"statuses": collections.Counter()}
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:
        await load(session, connections, min(1.0, seconds), get_me(tokens))  # warm-up
        if profile_worker is not None:  # the rush alone, py-spy on one worker
            spy = profile_worker()
            profiled = await load(session, connections, seconds, booker)
            await asyncio.to_thread(spy.wait, timeout=seconds + 30)
        me_slices, rush_slices = [], []
        slices = {"me": (me_slices, get_me(tokens)), "book": (rush_slices, booker)}
        for _ in range(max(1, round(seconds / SLICE))):
            for kind, (done, request) in slices.items():
                before = account.snapshot()
                done.append(await load(session, connections, min(SLICE, seconds), request))
                account.add(kind, before, account.snapshot())
    return profiled, merged(me_slices), merged(rush_slices)


def merged(slices: list[dict]) -> dict:
    """One figure from the slices of a kind of request."""
    latencies = [ms for part in slices for ms in part["latencies"]]
    statuses = sum((part["statuses"] for part in slices), collections.Counter())
    refusals = sum((part["refusals"] for part in slices), collections.Counter())
    return {"rate": len(latencies) / sum(part["elapsed"] for part in slices),
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "n": len(latencies),
            "5xx": sum(n for s, n in statuses.items() if s >= 500), "refused": sum(refusals.values()),
            "refusals": refusals, "statuses": statuses}


def get_me(tokens):
    async def request(session, n):
        _, token = tokens[n % len(tokens)]
        async with session.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}) as response:
            return response.status, await response.text()
    return request


def book(tokens, now: datetime):
    """Each student books back-to-back one-hour windows of their own, from an
    hour ahead: every request is valid."""
    base = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    next_slot = collections.Counter()
    order = list(range(len(tokens)))
    random.Random(7).shuffle(order)

    async def request(session, n):
        student, token = tokens[order[n % len(order)]]
        slot = next_slot[student]
        next_slot[student] += 1
        start = base + timedelta(hours=slot)
        body = {"start_time": start.isoformat(), "end_time": (start + timedelta(hours=1)).isoformat(),
                "cpu_cores": 2, "memory_gb": 4, "purpose": "rush"}
        async with session.post("/api/student/book", json=body,
                                headers={"Authorization": f"Bearer {token}"}) as response:
            return response.status, await response.text()
    return request


def check_database(url: str, created: int) -> dict:
    """The rules held: one booking and one audit row per 201, and no student
    has two open bookings that overlap."""
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bookings WHERE purpose = 'rush'")
        (bookings,) = cur.fetchone()
        cur.execute("SELECT count(*) FROM audit_events a JOIN bookings b ON b.id = a.entity_id "
                    "WHERE a.entity_type = 'booking' AND a.action = 'created' AND b.purpose = 'rush'")
        (audited,) = cur.fetchone()
        cur.execute("SELECT count(*) FROM bookings a JOIN bookings b ON a.user_id = b.user_id AND a.id <> b.id "
                    "AND a.start_time < b.end_time AND b.start_time < a.end_time "
                    "WHERE b.purpose = 'rush' AND a.status IN ('pending', 'approved', 'active') "
                    "AND b.status IN ('pending', 'approved', 'active')")
        (overlaps,) = cur.fetchone()
    conn.close()
    return {"created": created, "bookings": bookings, "audited": audited, "overlapping_pairs": overlaps}


def profile_summary(raw: Path, top: int = 25) -> list[tuple[float, str]]:
    """From py-spy's collapsed stacks: the share of samples each function
    appears in (inclusive), the largest first."""
    inclusive: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] += int(count)
    return [(n / total, frame) for frame, n in inclusive.most_common(top)] if total else []


def run(seconds: float, students: int, connections: int, history: int, workers: int = 2, threads: int = 4,
        profile: Path | None = None, out=sys.stdout) -> dict:
    seconds = min(seconds, MAX_SECONDS)
    connections = min(connections, MAX_CONNECTIONS)
    with scratch_database("bench_rush") as url, tempfile.TemporaryDirectory() as tmp:
        prepare(url, students, history)
        tokens = tokens_for(url)
        server = Server(url, workers, threads, Path(tmp))
        sampler = RssSampler(server)
        sampler.start()
        account = CpuAccount(server)
        booker = book(tokens, datetime.now(UTC))
        spy_on_a_worker = None
        if profile is not None:
            def spy_on_a_worker():
                return subprocess.Popen(
                    [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.workers()[0].pid),
                     "--duration", str(max(1, int(seconds))), "--rate", "200", "--format", "raw",
                     "--output", str(profile), "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            profiled, me, rush = asyncio.run(phases(server.url, connections, seconds, tokens, booker, account,
                                                    spy_on_a_worker))
        finally:
            sampler.done.set()
            sampler.join()
            server.stop()
        checked = check_database(url, rush["statuses"][201] + profiled["statuses"][201])
    cpu = {kind: account.shares(kind) for kind in ("me", "book")}
    worker_ms = {kind: account.spent[kind]["workers"] * 1000 / max(measured["n"], 1)
                 for kind, measured in (("me", me), ("book", rush))}
    result = {"me": me, "rush": rush, "ratio": rush["rate"] / me["rate"], "checked": checked, "cpu": cpu,
              "worker_cpu_ms_per_request": worker_ms,
              "rss_mb": sorted(round(v / 2**20, 1) for v in sampler.peak.values())}
    print(f"GET /api/auth/me     {me['rate']:7.1f} req/s  p50 {me['p50']:6.1f} ms  p99 {me['p99']:6.1f} ms  "
          f"5xx {me['5xx']}", file=out)
    print(f"POST /api/student/book {rush['rate']:5.1f} req/s  p50 {rush['p50']:6.1f} ms  p99 {rush['p99']:6.1f} ms  "
          f"5xx {rush['5xx']}  valid refused {rush['refused']}", file=out)
    print(f"rush / GET = {result['ratio'] * 100:.1f} %   peak RSS per worker (MB): {result['rss_mb']}", file=out)
    print(f"database: {checked}", file=out)
    for kind, label in (("me", "GET"), ("book", "book")):
        shares = "  ".join(f"{group} {share * 100:4.1f} %" for group, share in cpu[kind].items())
        print(f"CPU in the {label} slices: {shares}; workers' CPU per request {worker_ms[kind]:.2f} ms", file=out)
    for body, n in rush["refusals"].most_common(3):
        print(f"  refused x{n}: {body}", file=out)
    if profile is not None and profile.exists():
        print(f"\npy-spy on one worker during the rush ({profile}); share of samples, inclusive:", file=out)
        for share, frame in profile_summary(profile):
            print(f"  {share * 100:5.1f} %  {frame}", file=out)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--history", type=int, default=10_000, help="bookings seeded before the run")
    parser.add_argument("--profile", type=Path, default=None, help="write py-spy's collapsed stacks here")
    args = parser.parse_args(argv)
    result = run(args.seconds, args.students, args.connections, args.history, profile=args.profile)
    ok = (result["ratio"] >= 0.5 and result["rush"]["p99"] <= 250 and not result["rush"]["5xx"]
          and not result["rush"]["refused"] and max(result["rss_mb"], default=0) < 150)
    print("goals: " + ("met" if ok else "MISSED"))
    return result


if __name__ == "__main__":
    main()
