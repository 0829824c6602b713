"""Latency of the earliest-slot finder (POST /api/student/slots) with 10k
approved bookings in the horizon, through the API on Postgres.

The lab: 12 nodes of 32 cores / 128 GB; N (default 10 000) approved
bookings of 1-8 cores and 1-6 h over the 30-day horizon, each checked to fit
its node (minute by minute) before it is written, so the nodes are busy in
class hours. The same 40 requests (4-32 cores, 1-8 h, from random
not_before) are asked of the empty lab first (the baseline) and then of the
full one; it prints p50/p95 of both and their ratio, and how many answers
needed repacking or stopped at SLOT_SEARCH_MS.

    .venv/bin/python bench/slots_latency.py [--bookings 10000] [--queries 40]

Needs PostgreSQL on 127.0.0.1:5432 (a scratch database is created and
dropped); nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg2
from psycopg2.extras import execute_values

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_jwt_extended import create_access_token  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.common import percentile  # noqa: E402
from bench.seed import scratch_database  # noqa: E402
from controller import create_app  # noqa: E402
from controller.extensions import db  # noqa: E402
from controller.models import Agent, User  # noqa: E402

IMAGE = "jupyter/base-notebook:latest"
NODES, CORES, MEMORY = 12, 32, 128


def fill(database_url: str, count: int, start: datetime, seed: int = 7) -> int:
    """Write up to `count` approved bookings that fit their nodes; returns how many."""
    rng = random.Random(seed)
    minutes = 30 * 24 * 60
    used = np.zeros((NODES, minutes), dtype=np.int16)
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM agents ORDER BY id")
        agents = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT id FROM users WHERE role = 'student' ORDER BY id LIMIT 1")
        user_id = cur.fetchone()[0]
        rows, attempts = [], 0
        while len(rows) < count and attempts < count * 5:
            attempts += 1
            day = rng.randrange(30)
            hour = rng.choices(range(24), [0.3] * 8 + [5, 10, 10, 10, 5, 10, 10, 10, 5, 3, 2, 2, 1, 0.3, 0.3, 0.3])[0]
            begin = (day * 24 + hour) * 60 + rng.choice((0, 30))
            length = rng.randint(1, 6) * 60
            cores = rng.choice((1, 2, 2, 4, 4, 8))
            if begin + length > minutes:
                continue
            node = rng.randrange(NODES)
            if used[node, begin:begin + length].max() + cores > CORES:
                continue
            used[node, begin:begin + length] += cores
            rows.append((user_id, agents[node], start + timedelta(minutes=begin),
                         start + timedelta(minutes=begin + length), cores, cores * 2.0, 0, IMAGE, "[]", "approved"))
        execute_values(cur, "INSERT INTO bookings (user_id, agent_id, start_time, end_time, cpu_cores, memory_gb,"
                            " gpu_count, image, required_tags, status, created_at, updated_at, start_attempts,"
                            " stop_attempts, pinned) VALUES %s", rows,
                       template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now(), now(), 0, 0, false)")
    conn.close()
    return len(rows)


def ask(client, headers, queries) -> tuple[list[float], int, int]:
    latencies, repacked, incomplete = [], 0, 0
    for payload in queries:
        began = time.perf_counter()
        response = client.post("/api/student/slots", headers=headers, json=payload)
        latencies.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        repacked += any(w["repack"] for w in body["windows"])
        incomplete += not body["complete"]
    return latencies, repacked, incomplete


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    with scratch_database("slots") as database_url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SCHEDULER_ENABLED": False,
                          "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING", "LOG_JSON": False,
                          "JWT_SECRET_KEY": "slots-" + "x" * 40, "SESSION_IMAGES": [{"name": IMAGE, "port": 8888}]})
        with app.app_context():
            upgrade()
            for i in range(NODES):
                db.session.add(Agent(name=f"node{i}", url=f"http://127.0.0.1:{19100 + i}", cpu_cores=CORES,
                                     memory_gb=MEMORY, gpu_count=0, tags=[], status="online", wol_port=9))
            student = User(username="student", email="s@slots.test", password_hash="x", role="student")
            db.session.add(student)
            db.session.commit()
            headers = {"Authorization": "Bearer " + create_access_token(
                identity=str(student.id), additional_claims={"role": "student"})}
        start = (datetime.now(UTC) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        rng = random.Random(11)
        queries = [{"cpu_cores": rng.choice((4, 8, 16, 24, 32)), "memory_gb": 8, "duration": rng.randint(1, 8) * 60,
                    "not_before": (start + timedelta(hours=rng.randrange(0, 24 * 20))).isoformat()}
                   for _ in range(args.queries)]
        client = app.test_client()
        ask(client, headers, queries[:3])  # warm up
        empty, _, _ = ask(client, headers, queries)
        written = fill(database_url, args.bookings, start)
        full, repacked, incomplete = ask(client, headers, queries)
        print(f"slot finder, {args.queries} requests, through the API on Postgres")
        print(f"  empty lab          p50 {percentile(empty, 50):6.1f} ms  p95 {percentile(empty, 95):6.1f} ms")
        print(f"  {written} bookings  p50 {percentile(full, 50):6.1f} ms  p95 {percentile(full, 95):6.1f} ms"
              f"  (x{percentile(full, 95) / percentile(empty, 95):.1f} the empty lab's p95)")
        print(f"  answers needing repacking {repacked}, stopped at SLOT_SEARCH_MS {incomplete}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
