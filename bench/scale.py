"""Cost of the hot operations as the bookings table grows: 1k, 10k, 100k.

A scratch Postgres database is migrated as in production and filled with
COPY (bench/seed.py: 50 nodes, 2,000 students, bookings over the past year
and the 30-day horizon; the horizon's 500 are the same at every size and
the history grows; --uniform spreads each size evenly instead), one
database per size. One in-process client (Flask's test client: the whole
request stack, no network) times each operation `-n` times on every size,
the sizes taking turns run after run so that the machine's drift falls on
all of them alike, and prints each median beside its 1k figure:

    admin stats        GET  /api/admin/stats
    admin list         GET  /api/admin/bookings           (default sort, page 1)
    availability       POST /api/student/availability     (a 2-hour window, tomorrow on)
    approve            POST /api/admin/approve/<pending>  (automatic placement)
    book               POST /api/student/book             (a free window of a seeded student)

    .venv/bin/python bench/scale.py [-n 30] [--sizes 1000,10000,100000]

Goal (issue 12): every operation at most 2x its 1k cost and under 50 ms at 100k.
Needs PostgreSQL on 127.0.0.1:5432; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_jwt_extended import create_access_token  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.seed import IMAGES, scratch_database, seed_bookings, seed_lab  # noqa: E402
from controller import create_app  # noqa: E402
from controller.extensions import db  # noqa: E402

OPERATIONS = ("admin stats", "admin list", "availability", "approve", "book")
MAX_REPEATS = 200
# The lab's horizon holds this many bookings at every size: what grows is
# the history, as it does in a lab (the live set is bounded by its nodes).
FUTURE = 500


def make_app(database_url: str):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 5},
        "JWT_SECRET_KEY": "bench-secret-" + "x" * 40,
        "SCHEDULER_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "REDIS_URL": None,
        "LOG_LEVEL": "WARNING",
        "LOG_JSON": False,
        "SESSION_IMAGES": [{"name": IMAGES[0], "port": 8888}, {"name": IMAGES[1], "port": 22}],
    })


def bearer(user_id: int, role: str) -> dict:
    return {"Authorization": f"Bearer {create_access_token(identity=str(user_id), additional_claims={'role': role})}"}


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _free_windows(repeats: int, now: datetime) -> list[tuple[int, datetime, datetime]]:
    """(student id, start, end) of one-hour windows in which that student has
    no open booking, far enough ahead that the window is valid."""
    found = []
    students = db.session.execute(db.text(
        "SELECT id FROM users WHERE role = 'student' ORDER BY id")).scalars().all()
    day = (now + timedelta(days=20)).replace(hour=3, minute=0, second=0, microsecond=0)
    for index, student_id in enumerate(students):
        start = day + timedelta(minutes=7 * (index % 100))
        end = start + timedelta(hours=1)
        clash = db.session.execute(db.text(
            "SELECT 1 FROM bookings WHERE user_id = :u AND status IN ('pending', 'approved', 'active') "
            "AND start_time < :e AND end_time > :s LIMIT 1"), {"u": student_id, "s": start, "e": end}).first()
        if clash is None:
            found.append((student_id, start, end))
        if len(found) == repeats:
            return found
    raise RuntimeError("not enough free windows")


def operations(app, repeats: int) -> dict:
    """Each operation as a callable of the run's number (0 is the warm-up),
    with what it needs (tokens, pending bookings, free windows) prepared."""
    client = app.test_client()
    now = datetime.now(UTC)
    with app.app_context():
        admin_id = db.session.execute(db.text("SELECT id FROM users WHERE role = 'admin'")).scalar_one()
        admin = bearer(admin_id, "admin")
        pending = db.session.execute(db.text(
            "SELECT id FROM bookings WHERE status = 'pending' AND start_time > :t ORDER BY start_time "
            "LIMIT :n"), {"t": now + timedelta(hours=2), "n": repeats + 1}).scalars().all()
        missing = repeats + 1 - len(pending)
        if missing > 0:  # a small, evenly spread table has few pending bookings ahead
            pending += db.session.execute(db.text(
                "INSERT INTO bookings (user_id, start_time, end_time, cpu_cores, memory_gb, gpu_count, image, "
                "required_tags, status, start_attempts, stop_attempts, created_at, updated_at) "
                "SELECT (SELECT max(id) FROM users) - k, :t + k * interval '1 hour', "
                ":t + k * interval '1 hour' + interval '2 hours', 2, 4, 0, :image, '[]', 'pending', 0, 0, now(), now() "
                "FROM generate_series(1, :n) AS k RETURNING id"),
                {"t": now + timedelta(days=3), "n": missing, "image": IMAGES[0]}).scalars().all()
            db.session.commit()
        windows = _free_windows(repeats + 1, now)
        tokens = {student_id: bearer(student_id, "student") for student_id, _, _ in windows}
    some_student = tokens[windows[0][0]]
    tomorrow = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)

    def stats(_i):
        return client.get("/api/admin/stats", headers=admin)

    def admin_list(_i):
        return client.get("/api/admin/bookings", headers=admin)

    def availability(i):
        start = tomorrow + timedelta(hours=i)
        return client.post("/api/student/availability", headers=some_student, json={
            "start_time": _iso(start), "end_time": _iso(start + timedelta(hours=2)),
            "cpu_cores": 4, "memory_gb": 8})

    def approve(i):
        return client.post(f"/api/admin/approve/{pending[i]}", headers=admin, json={})

    def book(i):
        student_id, start, end = windows[i]
        return client.post("/api/student/book", headers=tokens[student_id], json={
            "start_time": _iso(start), "end_time": _iso(end), "cpu_cores": 2, "memory_gb": 4})

    return {"admin stats": stats, "admin list": admin_list, "availability": availability,
            "approve": approve, "book": book}


def run(sizes: list[int], repeats: int, future: int | None = FUTURE,
        out=sys.stdout) -> dict[int, dict[str, float]]:
    """Seed one scratch database per size, then time each operation on every
    size in turn, run after run (so the machine's drift falls on all sizes
    alike); print each size's medians and their ratio to the first size's.
    `future`: bookings in the 30-day horizon, the same at every size (None:
    each size spread uniformly over the past year and the horizon)."""
    times: dict[int, dict[str, list[float]]] = {size: {name: [] for name in OPERATIONS} for size in sizes}
    with ExitStack() as stack:
        apps = {}
        for size in sizes:
            url = stack.enter_context(scratch_database(f"bench_scale_{size}"))
            app = make_app(url)
            with app.app_context():
                upgrade()
                t0 = time.perf_counter()
                conn = db.engine.raw_connection()
                try:
                    seed_lab(conn.driver_connection)
                    seed_bookings(conn.driver_connection, size, future=future, seed=1)
                finally:
                    conn.close()
                print(f"seeded {size} bookings in {time.perf_counter() - t0:.1f} s", file=out, flush=True)
            apps[size] = app
        ops = {size: operations(app, repeats) for size, app in apps.items()}
        for name in OPERATIONS:
            for i in range(repeats + 1):
                for size in sizes:
                    t0 = time.perf_counter()
                    response = ops[size][name](i)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if response.status_code >= 300:
                        raise RuntimeError(f"{name} at {size}: {response.status_code} "
                                           f"{response.get_data(as_text=True)[:300]}")
                    if i:  # the first is a warm-up
                        times[size][name].append(elapsed)
        for app in apps.values():
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    results = {size: {name: statistics.median(t) for name, t in by_op.items()} for size, by_op in times.items()}
    base = results[sizes[0]]
    for size in sizes:
        print(f"{size:>7} bookings  " + "  ".join(
            f"{name} {ms:6.1f} ms ({ms / base[name]:.2f}x)" for name, ms in results[size].items()), file=out)
    return results


def main(argv: list[str] | None = None) -> dict[int, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=30, help="timed runs of each operation per size")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--uniform", action="store_true",
                        help="spread every size over the past year and the horizon (the horizon grows too)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = run(sizes, min(args.n, MAX_REPEATS), None if args.uniform else min(FUTURE, sizes[0] // 2))
    base, top = results[sizes[0]], results[sizes[-1]]
    print(f"\n{'operation':<14}{sizes[0]:>10}{sizes[-1]:>10}   ratio   goal: <= 2x and <= 50 ms")
    for name in OPERATIONS:
        ratio = top[name] / base[name]
        verdict = "ok" if ratio <= 2 and top[name] <= 50 else "MISSED"
        print(f"{name:<14}{base[name]:>8.1f}ms{top[name]:>8.1f}ms  {ratio:5.2f}x  {verdict}")
    return results


if __name__ == "__main__":
    main()
