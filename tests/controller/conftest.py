"""Controller fixtures: a fresh Postgres database per test run (migrated with
Alembic, as in production), emptied before every test; Redis for the token
blocklist and the rate limiter."""

import os
import random
import threading
import uuid
from datetime import timedelta

import psycopg2
import pytest
import redis
from flask_jwt_extended import create_access_token
from flask_migrate import upgrade
from werkzeug.serving import make_server

from controller import create_app
from controller.extensions import db, limiter
from controller.models import Agent, Booking, Role, User, utcnow
from controller.services.accounts import hash_password
from controller.services.policies import ensure_default_policy
from controller.services.workflow import BookingStatus
from tests.dockerimages import BUSYBOX_HTTP_PORT, ensure_busybox_image
from tests.processes import AgentProcess, docker_client_or_none, remove_booking_containers
from tests.support import require

PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "correct-horse-battery"


def _admin_execute(sql: str) -> None:
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def database_url():
    name = f"booking_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    return client


@pytest.fixture(scope="session")
def _app(database_url, redis_client):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20, "max_overflow": 60, "pool_timeout": 60},
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        # limiter.reset() clears every key under the storage's own prefix: one
        # per run, so parallel test runs do not wipe each other's counters.
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"LIMITS-test-{uuid.uuid4().hex[:8]}"},
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "REGISTER_RATE_LIMIT": "1000 per minute",
        "JWT_SECRET_KEY": "test-secret-" + "x" * 40,
        "SCHEDULER_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOG_JSON": False,
        "SESSION_IMAGES": [
            {"name": "jupyter/base-notebook:latest", "port": 8888},
            {"name": "lab/ssh:latest", "port": 22},
        ],
    })
    with app.app_context():
        upgrade()
    return app


TABLES = ("audit_events, bookings, revoked_tokens, agents, users, scheduler_jobs, scheduler_leader,"
          " policies, extension_requests, settings")


@pytest.fixture
def app(_app):
    """The app with empty tables, a reset rate limiter and default config."""
    saved = dict(_app.config)
    with _app.app_context():
        db.session.execute(db.text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        db.session.commit()
        limiter.reset()
        ensure_default_policy()
    ctx = _app.app_context()
    ctx.push()
    yield _app
    db.session.rollback()
    db.session.remove()
    ctx.pop()
    _app.config.clear()
    _app.config.update(saved)
    _app.extensions.pop("token_redis", None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def password_hash():
    return hash_password(PASSWORD)


class Factory:
    """Small factories writing straight to the database (the API paths that
    create these things have their own tests)."""

    def __init__(self, password_hash: str):
        self.password_hash = password_hash
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def user(self, role: Role = Role.STUDENT, **fields) -> User:
        n = self._next()
        user = User(username=fields.pop("username", f"{role.value}{n}"),
                    email=fields.pop("email", f"{role.value}{n}@lab.test"),
                    password_hash=self.password_hash, role=role.value, **fields)
        db.session.add(user)
        db.session.commit()
        return user

    def admin(self, **fields) -> User:
        return self.user(Role.ADMIN, **fields)

    def agent(self, **fields) -> Agent:
        n = self._next()
        values = dict(name=f"node{n}", url=f"http://127.0.0.1:{15000 + n}", cpu_cores=8,
                      memory_gb=32, gpu_count=0, tags=[], status="online", wol_port=9)
        values.update(fields)
        agent = Agent(**values)
        db.session.add(agent)
        db.session.commit()
        return agent

    def approved(self, node: Agent, image: str, start_in: timedelta, duration: timedelta,
                 **fields) -> Booking:
        """An approved one-core booking of a new student on `node`, starting soon."""
        start = utcnow() + start_in
        return self.booking(self.user(), status="approved", agent_id=node.id, image=image, cpu_cores=1,
                            memory_gb=0.25, start_time=start, end_time=start + duration, **fields)

    def booking(self, user: User, start_in: timedelta = timedelta(hours=1),
                duration: timedelta = timedelta(hours=2), **fields) -> Booking:
        start = fields.pop("start_time", utcnow() + start_in)
        values = dict(user_id=user.id, start_time=start,
                      end_time=fields.pop("end_time", start + duration), cpu_cores=2,
                      memory_gb=4, gpu_count=0, image="jupyter/base-notebook:latest",
                      status=BookingStatus.PENDING.value, required_tags=[])
        values.update(fields)
        booking = Booking(**values)
        db.session.add(booking)
        db.session.commit()
        return booking


@pytest.fixture
def factory(app, password_hash):
    return Factory(password_hash)


def bearer(user: User) -> dict:
    token = create_access_token(identity=str(user.id), additional_claims={"role": user.role})
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def node(factory):
    """A mid-sized node with one GPU."""
    return factory.agent(cpu_cores=8, memory_gb=32, gpu_count=1)


@pytest.fixture
def student(factory):
    return factory.user()


@pytest.fixture
def admin(factory):
    return factory.admin()


@pytest.fixture
def student_headers(student):
    return bearer(student)


@pytest.fixture
def admin_headers(admin):
    return bearer(admin)


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1 in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


# --- real Docker engine and agent, for the lifecycle tests ---------------

@pytest.fixture(scope="session")
def docker_client():
    client = docker_client_or_none()
    require(client is not None, "a Docker engine")
    yield client
    client.close()


@pytest.fixture(scope="session")
def session_image(docker_client):
    return ensure_busybox_image(docker_client)


@pytest.fixture(scope="session")
def agent_process(session_image):
    agent = AgentProcess(session_image)
    yield agent
    agent.stop()


@pytest.fixture
def lab(app, factory, docker_client, session_image, agent_process):
    """A node backed by the real agent, fast lifecycle settings, and cleanup
    of every container the test's bookings got."""
    app.config.update(SESSION_IMAGES=[{"name": session_image, "port": BUSYBOX_HTTP_PORT, "strip_prefix": True}],
                      START_RETRY_BASE_SECONDS=0.2, START_RETRY_MAX_SECONDS=0.5, START_DEADLINE_SECONDS=2,
                      AGENT_STOP_TIMEOUT_SECONDS=2, AGENT_TIMEOUT_SECONDS=20)
    offset = random.randrange(10_000_000, 90_000_000, 1000)
    db.session.execute(db.text(f"ALTER SEQUENCE bookings_id_seq RESTART WITH {offset}"))
    db.session.commit()
    node = factory.agent(name="real", url=agent_process.url, token=agent_process.token, cpu_cores=4, memory_gb=2)
    yield node
    remove_booking_containers(docker_client, range(offset, offset + 50))
