"""Start latency of booked sessions: 20 bookings starting in the same second
across two agents, on the real engine, through the controller's scheduler.

Reports p50/p95 of (container running − booking start), where "running" is
the engine's own StartedAt, beside a bare `docker run -d` of the same image:
20 launched at the same instant, measured as (StartedAt − launch). Bounded in
count (at most 40 bookings) and time (--deadline).

    .venv/bin/python bench/lifecycle_start_latency.py [-n 20] [--deadline 120]

Needs PostgreSQL on 127.0.0.1:5432 (a scratch database is created and
dropped) and a Docker engine; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
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


def booked_starts(client, image: str, count: int, deadline: float) -> tuple[list[float], str]:
    database = f"bench_lifecycle_{uuid.uuid4().hex[:8]}"
    admin_sql(f'CREATE DATABASE "{database}"')
    url = f"{PG}/{database}"
    agents = [AgentProcess(image), AgentProcess(image)]
    controller = None
    booking_ids: list[int] = []
    log = Path("/tmp") / f"{database}.log"
    try:
        controller = ControllerProcess(url, image, log, SCHEDULER_TICK_SECONDS="1")
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM users WHERE role = 'admin' LIMIT 1")
            admin_id = cur.fetchone()[0]
            agent_ids = []
            for i, agent in enumerate(agents):
                cur.execute(
                    "INSERT INTO agents (name, url, token, cpu_cores, memory_gb, gpu_count, tags, status, wol_port,"
                    " created_at, updated_at) VALUES (%s, %s, %s, 64, 64, 0, '[]', 'online', 9, now(), now())"
                    " RETURNING id", (f"bench{i}", agent.url, agent.token))
                agent_ids.append(cur.fetchone()[0])
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
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
        latencies: dict[int, float] = {}
        stop_at = time.monotonic() + deadline
        while len(latencies) < count and time.monotonic() < stop_at:
            for booking_id in booking_ids:
                if booking_id not in latencies:
                    running = started_at(client, f"booking-{booking_id}")
                    if running is not None:
                        latencies[booking_id] = (running - start).total_seconds()
            time.sleep(0.05)
        if len(latencies) < count:
            raise SystemExit(f"only {len(latencies)} of {count} sessions started within {deadline}s; see {log}")
        return list(latencies.values()), database
    finally:
        if controller is not None:
            controller.stop()
        for agent in agents:
            agent.stop()
        for booking_id in booking_ids:
            try:
                client.containers.get(f"booking-{booking_id}").remove(force=True)
            except docker.errors.NotFound:
                pass
        admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--deadline", type=float, default=120)
    args = parser.parse_args()
    count = max(2, min(args.n, MAX_BOOKINGS))
    client = docker.from_env(timeout=60)
    image = ensure_busybox_image(client)
    bare = bare_docker_run(client, image, count)
    booked, _ = booked_starts(client, image, count, args.deadline)
    print(f"{count} sessions starting in the same second, two agents, scheduler tick 1 s")
    print(f"{'':34} {'p50 s':>8} {'p95 s':>8}")
    print(f"{'booked: running - start time':34} {percentile(booked, 50):8.3f} {percentile(booked, 95):8.3f}")
    print(f"{'bare docker run: running - launch':34} {percentile(bare, 50):8.3f} {percentile(bare, 95):8.3f}")
    print(f"ratio booked/bare: p50 {percentile(booked, 50) / percentile(bare, 50):.2f}x, "
          f"p95 {percentile(booked, 95) / percentile(bare, 95):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
