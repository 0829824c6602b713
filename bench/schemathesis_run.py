"""Schemathesis over the whole OpenAPI spec, as a student and as an admin,
until at least --cases requests have been checked (default 10,000): prints
how many cases ran, how many answered 5xx, and how many broke the spec
(a status the operation does not document, or a body, error or not, that
does not match its schema). Exits 1 when either count is not zero.

The same checks as tests/controller/test_fuzz.py (tests/controller/conformance.py),
which runs a few hundred cases in `make test`; this runs rounds of fresh
random examples (one seed per round) on a scratch Postgres database.

    .venv/bin/python bench/schemathesis_run.py [--cases 10000] [--seed 1]

Needs PostgreSQL on 127.0.0.1:5432 (a scratch database is created and
dropped) and Redis on 127.0.0.1:6379; all traffic is in-process (WSGI).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from controller import create_app  # noqa: E402
from controller.services.accounts import hash_password  # noqa: E402
from tests.controller import conformance  # noqa: E402
from tests.controller.conftest import PASSWORD, REDIS_URL, Factory, bearer  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"


def admin_sql(sql: str) -> None:
    conn = psycopg2.connect(f"{PG}/test")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="at least this many requests checked")
    parser.add_argument("--seed", type=int, default=1, help="first round's seed")
    args = parser.parse_args()

    name = f"bench_schemathesis_{uuid.uuid4().hex[:8]}"
    admin_sql(f'CREATE DATABASE "{name}"')
    try:
        app = create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"{PG}/{name}", "REDIS_URL": REDIS_URL,
            "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
            "LOGIN_RATE_LIMIT": "100000 per minute", "REGISTER_RATE_LIMIT": "100000 per minute",
            "JWT_SECRET_KEY": "bench-secret-" + "x" * 40, "SCHEDULER_ENABLED": False, "LOG_LEVEL": "ERROR",
            "LOG_JSON": False,
        })
        with app.app_context():
            upgrade()
            factory = Factory(hash_password(PASSWORD))
            node = factory.agent()
            student = factory.user()
            admin = factory.admin()
            factory.booking(student)
            factory.booking(student, start_in=timedelta(days=1), status="approved", agent_id=node.id)
            identities = {"student": lambda: bearer(student), "admin": lambda: bearer(admin)}
            operations = len(list(conformance.load_schema(app).get_all_operations()))
            per_round = max(10, math.ceil(args.cases / (operations * len(identities)) / 2))
            started = time.monotonic()
            total = conformance.Tally(operations=operations)
            rounds = 0
            while total.cases < args.cases:
                tally = conformance.run(app, identities, per_round, derandomize=False, seed=args.seed + rounds)
                rounds += 1
                total.add(tally)
                print(f"  round {rounds}: {tally.summary()}", flush=True)
            elapsed = time.monotonic() - started
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print(f"\nschemathesis: {total.cases} cases ({rounds} rounds of up to {per_round} examples per operation "
          f"x {len(identities)} roles, {operations} operations) in {elapsed:.0f} s")
    print(f"  5xx answers:        {total.server_errors}")
    print(f"  schema violations:  {total.violations}")
    print(f"  statuses:           {dict(sorted(Counter(total.statuses).items()))}")
    for (method, path, status), count in total.broken.most_common():
        print(f"  {count:5d} x {method} {path} -> {status} broke the spec")
    for failure in total.failures[:5]:
        print(f"  - {failure}")
    return 0 if total.server_errors == 0 and total.violations == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
