"""Start latency of booked sessions: 20 bookings starting in the same second
across two agents, on the real engine, through the controller's scheduler.

Reports p50/p95 of (container running − booking start), where "running" is
the engine's own event time of the container's last start or unpause (a
session prepared ahead of its start is created, started and paused
SESSION_PREPARE_SECONDS before it, and unpaused at its start), beside a bare
`docker run -d` of the same image: as many launched at the same instant,
measured as (StartedAt − launch). Each run measures both; --runs repeats.
Bounded in count (at most 40 bookings) and time (--deadline per run).

    .venv/bin/python bench/lifecycle_start_latency.py [-n 20] [--runs 2] [--prepare 10]
    .venv/bin/python bench/lifecycle_start_latency.py --prepare 0    # without preparing

Needs PostgreSQL on 127.0.0.1:5432 (a scratch database is created and
dropped) and a Docker engine; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docker
import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402
from tests.dockerimages import ensure_busybox_image  # noqa: E402
from tests.processes import AgentProcess, ControllerProcess  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
MAX_BOOKINGS = 40


def admin_sql(sql: str) -> None:
    conn = psycopg2.connect(f"{PG}/test")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def started_at(client, name: str) -> datetime | None:
    try:
        attrs = client.api.inspect_container(name)
    except docker.errors.NotFound:
        return None
    if not attrs["State"]["Running"]:
        return None
    # The engine gives nanoseconds; Python takes microseconds.
    stamp = attrs["State"]["StartedAt"].rstrip("Z")
    head, _, frac = stamp.partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}").replace(tzinfo=UTC)


def bare_docker_run(client, image: str, count: int) -> list[float]:
    names = [f"bench-bare-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    barrier = threading.Barrier(count)
    launched: dict[str, datetime] = {}

    def run(name: str) -> None:
        barrier.wait()
        launched[name] = datetime.now(UTC)
        client.containers.run(image, name=name, detach=True, labels={"lab.bench": "lifecycle"})

    threads = [threading.Thread(target=run, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = [(started_at(client, n) - launched[n]).total_seconds() for n in names]
    for n in names:
        client.containers.get(n).remove(force=True)
    return latencies


class EngineEvents:
    """When each named container last became running (a start or an unpause),
    and how long a prepared one ran before it was paused, from the engine's
    event stream (nanosecond times), read in a thread."""

    def __init__(self, client):
        self.stream = client.events(decode=True, filters={"type": "container", "label": "lab.booking.managed=true"})
        self.running_since: dict[str, datetime] = {}
        self.ran_before_pause: dict[str, float] = {}
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        started: dict[str, int] = {}
        try:
            for event in self.stream:
                name = (event.get("Actor") or {}).get("Attributes", {}).get("name")
                action, nanos = event.get("Action") or event.get("status"), event.get("timeNano")
                if not name or not nanos:
                    continue
                if action in ("start", "unpause"):
                    self.running_since[name] = datetime.fromtimestamp(nanos / 1e9, UTC)
                    if action == "start":
                        started[name] = nanos
                elif action == "pause" and name in started:
                    self.ran_before_pause[name] = (nanos - started[name]) / 1e9
                    self.running_since.pop(name, None)
                elif action in ("die", "destroy"):
                    self.running_since.pop(name, None)
        except Exception:  # closed
            pass

    def close(self) -> None:
        self.stream.close()


def booked_starts(client, image: str, count: int, deadline: float, prepare: float) -> dict:
    database = f"bench_lifecycle_{uuid.uuid4().hex[:8]}"
    admin_sql(f'CREATE DATABASE "{database}"')
    url = f"{PG}/{database}"
    agents = [AgentProcess(image), AgentProcess(image)]
    controller = None
    booking_ids: list[int] = []
    log = Path("/tmp") / f"{database}.log"
    instance = f"bench{uuid.uuid4().hex[:8]}"  # in the container names: booking-<instance>-<id>
    events = EngineEvents(client)
    try:
        controller = ControllerProcess(url, image, log, SCHEDULER_TICK_SECONDS="1",
                                       SESSION_PREPARE_SECONDS=str(prepare), CONTROLLER_INSTANCE_ID=instance)
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as cur:
            # Container names never meet another run's on a shared engine.
            cur.execute(f"ALTER SEQUENCE bookings_id_seq RESTART WITH {random.randrange(10**8, 9 * 10**8, 1000)}")
            cur.execute("SELECT id FROM users WHERE role = 'admin' LIMIT 1")
            admin_id = cur.fetchone()[0]
            agent_ids = []
            for i, agent in enumerate(agents):
                cur.execute(
                    "INSERT INTO agents (name, url, token, cpu_cores, memory_gb, gpu_count, tags, status, wol_port,"
                    " created_at, updated_at) VALUES (%s, %s, %s, 64, 64, 0, '[]', 'online', 9, now(), now())"
                    " RETURNING id", (f"bench{i}", agent.url, agent.token))
                agent_ids.append(cur.fetchone()[0])
            # Enough ahead for the prepare job to make every container first.
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2 + prepare)
            for i in range(count):
                cur.execute(
                    "INSERT INTO users (username, email, password_hash, role, is_active, created_at, updated_at)"
                    " VALUES (%s, %s, 'x', 'student', true, now(), now()) RETURNING id",
                    (f"bench{i}", f"bench{i}@lab.test"))
                user_id = cur.fetchone()[0]
                cur.execute(
                    "INSERT INTO bookings (user_id, agent_id, start_time, end_time, cpu_cores, memory_gb, gpu_count,"
                    " image, required_tags, status, approved_by_id, approved_at, start_attempts, created_at,"
                    " updated_at) VALUES (%s, %s, %s, %s, 1, 0.25, 0, %s, '[]', 'approved', %s, now(), 0, now(),"
                    " now()) RETURNING id",
                    (user_id, agent_ids[i % 2], start, start + timedelta(seconds=30), image, admin_id))
                booking_ids.append(cur.fetchone()[0])
        conn.close()
        names = {booking_id: f"booking-{instance}-{booking_id}" for booking_id in booking_ids}
        prepared_before = 0
        stop_at = time.monotonic() + deadline
        while time.monotonic() < stop_at:
            now = datetime.now(UTC)
            if now < start - timedelta(seconds=0.5):
                prepared_before = sum(1 for n in names.values() if n in events.ran_before_pause)
            ready = [events.running_since.get(n) for n in names.values()]
            if now > start and all(r is not None and r >= start - timedelta(seconds=0.5) for r in ready):
                break
            time.sleep(0.1)
        latencies = [(events.running_since[n] - start).total_seconds() for n in names.values()
                     if events.running_since.get(n) and events.running_since[n] > start - timedelta(seconds=0.5)]
        if len(latencies) < count:
            raise SystemExit(f"only {len(latencies)} of {count} sessions started within {deadline}s; see {log}")
        return {"latencies": latencies, "prepared": prepared_before,
                "ran_before_pause": [events.ran_before_pause[n] for n in names.values() if n in events.ran_before_pause]}
    finally:
        events.close()
        if controller is not None:
            controller.stop()
        for agent in agents:
            agent.stop()
        for booking_id in booking_ids:
            try:
                client.containers.get(f"booking-{instance}-{booking_id}").remove(force=True)
            except docker.errors.NotFound:
                pass
        admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run(client, count: int, prepare: float, deadline: float) -> dict:
    """One run: a bare `docker run` of `count` containers, then `count`
    booked sessions; both as latencies in seconds."""
    image = ensure_busybox_image(client)
    bare = bare_docker_run(client, image, count)
    return {"bare": bare, **booked_starts(client, image, count, deadline, prepare)}


def report(title: str, figures: dict, verbose: bool = False) -> None:
    latencies, bare = figures["latencies"], figures["bare"]
    count = len(latencies)
    print(f"{title}: {figures['prepared']} of {count} prepared before their start")
    print(f"{'':36} {'p50 s':>8} {'p95 s':>8}")
    print(f"{'booked: running - start time':36} {percentile(latencies, 50):8.3f} {percentile(latencies, 95):8.3f}")
    print(f"{'bare docker run: running - launch':36} {percentile(bare, 50):8.3f} {percentile(bare, 95):8.3f}")
    if figures["ran_before_pause"]:
        ran = figures["ran_before_pause"]
        print(f"{'prepared: ran before its pause':36} {percentile(ran, 50):8.3f} {percentile(ran, 95):8.3f}")
    print(f"{'booked: first / last running':36} {min(latencies):8.3f} {max(latencies):8.3f}")
    if verbose:
        print("booked, sorted:", " ".join(f"{x:.3f}" for x in sorted(latencies)))
    print(f"ratio booked/bare: p50 {percentile(latencies, 50) / percentile(bare, 50):.2f}x, "
          f"p95 {percentile(latencies, 95) / percentile(bare, 95):.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--prepare", type=float, default=10,
                        help="SESSION_PREPARE_SECONDS for the controller (0: no preparing)")
    parser.add_argument("--deadline", type=float, default=120, help="seconds, per run")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every latency")
    args = parser.parse_args(argv)
    count = max(2, min(args.n, MAX_BOOKINGS))
    client = docker.from_env(timeout=60)
    ahead = f"prepared {args.prepare:g} s ahead" if args.prepare > 0 else "not prepared"
    print(f"{count} sessions starting in the same second, two agents, scheduler tick 1 s, {ahead}")
    for number in range(1, max(1, min(args.runs, 5)) + 1):
        report(f"run {number}", run(client, count, args.prepare, args.deadline), args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
