"""A scratch Postgres database, migrated as in production, and filled fast
with COPY: nodes, students and a history of bookings.

Used by `bench/scale.py`, `bench/rush.py` and the query-plan test. The
bookings are spread over the past year and the 30-day booking horizon
(uniformly, or with a fixed number in the horizon), with the statuses time
gives them: finished ones completed,
cancelled, rejected or failed; running ones active; future ones pending,
approved, cancelled or rejected. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import os
import random
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg2

PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
HISTORY = timedelta(days=365)
HORIZON = timedelta(days=30)
IMAGES = ["jupyter/base-notebook:latest", "lab/ssh:latest"]
# A fixed argon2 hash: nobody logs in to seeded accounts (tokens are minted).
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VlZHNlZWRzZWVk$" + "A" * 43


def _admin_execute(sql: str) -> None:
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@contextmanager
def scratch_database(prefix: str = "bench"):
    """A fresh, empty Postgres database's URL; dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _copy(cur, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    if hasattr(cur, "copy_expert"):  # psycopg2
        cur.copy_expert(sql, buffer)
    else:  # psycopg 3 (the controller's driver, e.g. a `raw_connection()` of its engine)
        with cur.copy(sql) as copy:
            copy.write(buffer.getvalue())


def seed_lab(conn, nodes: int = 50, students: int = 2000, now: datetime | None = None) -> None:
    """Nodes (16 cores, 64 GB; every fifth with 2 GPUs; online) and students
    `student1..N`, plus `admin`, on an empty migrated database."""
    now = now or datetime.now(UTC)
    with conn.cursor() as cur:
        _copy(cur, "users", ["username", "email", "password_hash", "role", "is_active", "created_at",
                             "updated_at"],
              [("admin", "admin@lab.test", PASSWORD_HASH, "admin", "t", now, now)]
              + [(f"student{i}", f"student{i}@lab.test", PASSWORD_HASH, "student", "t", now, now)
                 for i in range(1, students + 1)])
        health = json.dumps({"images": IMAGES, "cpu_percent": 10.0, "memory_percent": 20.0})
        _copy(cur, "agents", ["name", "url", "wol_port", "cpu_cores", "memory_gb", "gpu_count", "tags",
                              "status", "last_seen", "last_health", "created_at", "updated_at"],
              [(f"node{i}", f"http://127.0.0.1:{20000 + i}", 9, 16, 64.0, 2 if i % 5 == 0 else 0,
                json.dumps(["gpu"] if i % 5 == 0 else []), "online", now, health, now, now)
               for i in range(1, nodes + 1)])
    conn.commit()


def _status(rng: random.Random, start: datetime, end: datetime, now: datetime) -> str:
    roll = rng.random()
    if end <= now:
        return ("completed" if roll < 0.7 else "cancelled" if roll < 0.85
                else "rejected" if roll < 0.95 else "failed")
    if start <= now:
        return "active"
    return "pending" if roll < 0.4 else "approved" if roll < 0.85 else "cancelled" if roll < 0.95 else "rejected"


def seed_bookings(conn, count: int, *, future: int | None = None, seed: int = 1,
                  now: datetime | None = None) -> None:
    """Add `count` bookings (with one audit row each) to a seeded lab, then
    VACUUM ANALYZE so the planner sees the table as it is. `future` of them
    start within the 30-day horizon, the others in the past year (None:
    all spread uniformly over both)."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    with conn.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM users WHERE role = 'student'")
        lo_user, hi_user = cur.fetchone()
        cur.execute("SELECT id FROM agents ORDER BY id")
        node_ids = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT id FROM users WHERE role = 'admin' LIMIT 1")
        (admin_id,) = cur.fetchone()
        cur.execute("SELECT coalesce(max(id), 0) FROM bookings")
        (first_id,) = cur.fetchone()
        span = (HISTORY + HORIZON).total_seconds()
        rows, audits = [], []
        for n in range(count):
            booking_id = first_id + 1 + n
            if future is None:
                start = now - HISTORY + timedelta(seconds=int(rng.random() * span))
            elif n < future:
                start = now + timedelta(seconds=int(rng.random() * HORIZON.total_seconds()))
            else:
                start = now - HISTORY + timedelta(seconds=int(rng.random() * HISTORY.total_seconds()))
            start = start.replace(second=0, microsecond=0)
            end = start + timedelta(minutes=rng.choice((60, 120, 180, 240, 360, 480)))
            status = _status(rng, start, end, now)
            placed = status in ("approved", "active", "completed", "failed")
            agent_id = rng.choice(node_ids) if placed else None
            cpu = rng.choice((1, 2, 2, 4, 4, 8))
            mem = rng.choice((2.0, 4.0, 8.0, 16.0))
            created = start - timedelta(days=rng.randint(1, 10))
            rows.append((booking_id, rng.randint(lo_user, hi_user), agent_id, start, end, cpu, mem, 0,
                         rng.choice(IMAGES), "seeded", "[]", status,
                         admin_id if placed else None, created if placed else None, 0, 0, created, created))
            audits.append(("booking", booking_id, "created", rows[-1][1],
                           json.dumps({"status": "pending"}), created))
        _copy(cur, "bookings", ["id", "user_id", "agent_id", "start_time", "end_time", "cpu_cores",
                                "memory_gb", "gpu_count", "image", "purpose", "required_tags", "status",
                                "approved_by_id", "approved_at", "start_attempts", "stop_attempts",
                                "created_at", "updated_at"], rows)
        _copy(cur, "audit_events", ["entity_type", "entity_id", "action", "actor_id", "after",
                                    "created_at"], audits)
        cur.execute("SELECT setval(pg_get_serial_sequence('bookings', 'id'), (SELECT max(id) FROM bookings))")
    conn.commit()
    vacuum_analyze(conn)


def vacuum_analyze(conn) -> None:
    previous = conn.autocommit
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.autocommit = previous
