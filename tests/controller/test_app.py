"""The app as a whole: errors, OpenAPI, logs, CLI, the SPA and the embedded
SQLite default run end to end as a real process."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from controller.config import engine_url
from controller.extensions import db
from controller.models import Agent, User
from tests.controller.helpers import assert_error, booking_payload, future, iso
from tests.processes import free_port, wait_http

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/nothing-here", 404), ("DELETE", "/api/student/book", 405), ("PUT", "/api/auth/login", 405),
    ("GET", "/api/student/bookings/abc", 404),
])
def test_unknown_routes_and_methods_answer_json(client, method, path, status):
    assert_error(client.open(path, method=method), status)


def test_unexpected_errors_answer_a_bare_500_without_a_trace(app, client, student_headers, monkeypatch):
    from controller.services import bookings

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(bookings, "student_bookings", explode)
    body = assert_error(client.get("/api/student/bookings", headers=student_headers), 500, "internal_error")
    assert "secret" not in json.dumps(body)


def test_a_database_outage_is_a_503_not_a_500(client, student_headers, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from controller.services import bookings

    def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(bookings, "student_bookings", unreachable)
    response = client.get("/api/student/bookings", headers=student_headers)
    body = assert_error(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "5" and "refused" not in json.dumps(body)


def test_openapi_spec_documents_the_contract(client):
    spec = client.get("/api/openapi.json").get_json()
    paths = spec["paths"]
    for path in ["/api/auth/register", "/api/auth/login", "/api/auth/logout", "/api/student/book",
                 "/api/student/bookings", "/api/student/bookings/{booking_id}/cancel", "/api/student/profile",
                 "/api/admin/bookings", "/api/admin/approve/{booking_id}", "/api/admin/reject/{booking_id}",
                 "/api/admin/extend/{booking_id}", "/api/admin/agents", "/api/admin/agents/{agent_id}/status",
                 "/api/admin/stats"]:
        assert path in paths, path
    book = paths["/api/student/book"]["post"]
    assert book["summary"].startswith("Ask for resources")
    assert "cpu_cores" in spec["components"]["schemas"]["BookingCreate"]["properties"]
    assert "token" not in spec["components"]["schemas"]["Agent"]["properties"]
    assert client.get("/api/docs").status_code == 200


def test_responses_carry_security_headers(client):
    headers = client.get("/api/health").headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


def test_every_response_carries_a_request_id(client):
    assert len(client.get("/api/health").headers["X-Request-ID"]) == 32
    assert client.get("/api/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"


def test_cli_creates_an_admin_and_registers_a_node(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--username", "root2", "--email", "r@lab.test",
                                 "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(User).where(User.username == "root2")).role == "admin"
    result = runner.invoke(args=["create-admin", "--username", "x", "--email", "x@lab.test", "--password", "short"])
    assert result.exit_code != 0 and "at least" in result.output
    result = runner.invoke(args=["add-agent", "--name", "node-a", "--url", "http://127.0.0.1:5001",
                                 "--cpu-cores", "8", "--memory-gb", "16", "--tag", "cpu"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(Agent).where(Agent.name == "node-a")).tags == ["cpu"]
    result = runner.invoke(args=["add-agent", "--name", "bad", "--url", "nope", "--cpu-cores", "8",
                                 "--memory-gb", "16"])
    assert result.exit_code != 0


def test_first_admin_is_created_once_from_the_environment(app):
    from controller.services import accounts

    assert accounts.ensure_first_admin("boss", None, "chosen-password") is None
    assert db.session.scalar(db.select(User).where(User.username == "boss")).role == "admin"
    assert accounts.ensure_first_admin("boss2", None, None) is None


def test_first_admin_password_is_generated_when_not_given(app):
    from controller.services import accounts

    generated = accounts.ensure_first_admin("boss", "boss@lab.test", None)
    assert generated and len(generated) >= 12
    accounts.authenticate("boss", generated)


def test_spa_is_served_with_a_fallback_for_client_routes(app, client, tmp_path):
    (tmp_path / "index.html").write_text("<div id=root></div>")
    (tmp_path / "app.js").write_text("console.log(1)")
    app.config["FRONTEND_DIST"] = str(tmp_path)
    assert client.get("/").get_data(as_text=True) == "<div id=root></div>"
    assert client.get("/admin/bookings").get_data(as_text=True) == "<div id=root></div>"
    assert client.get("/app.js").get_data(as_text=True) == "console.log(1)"
    assert "script-src 'self'" in client.get("/").headers["Content-Security-Policy"]
    assert client.get("/../../etc/passwd").status_code in (200, 404)
    assert "root:" not in client.get("/../../etc/passwd").get_data(as_text=True)
    assert_error(client.get("/api/unknown"), 404)


def launch_controller(env: dict) -> tuple[subprocess.Popen, list[str]]:
    """`python -m controller.app` as a newcomer runs it: returns the process
    and what it printed up to "Controller on", once /api/health answers."""
    proc = subprocess.Popen([sys.executable, "-m", "controller.app"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "Controller on" in line or not line:
            break
    wait_http(f"http://127.0.0.1:{env['PORT']}/api/health")
    return proc, lines


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=20)


def test_embedded_default_runs_end_to_end_on_sqlite(tmp_path):
    """`python -m controller.app` with no DATABASE_URL: migrations, first admin
    with a generated password printed once, and the whole booking flow."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "ADMIN_PASSWORD")}
    env.update(INSTANCE_DIR=str(tmp_path), PORT=str(port), HOST="127.0.0.1", SCHEDULER_ENABLED="false", LOCAL_AGENT="false",
               PYTHONUNBUFFERED="1")
    proc, lines = launch_controller(env)
    try:
        printed = [line for line in lines if "First admin created" in line]
        assert len(printed) == 1, "the generated admin password was not printed once"
        password = printed[0].split("password '")[1].split("'")[0]
        base = f"http://127.0.0.1:{port}"
        admin = requests.post(f"{base}/api/auth/login", json={"username": "admin", "password": password},
                              timeout=10).json()
        admin_h = {"Authorization": f"Bearer {admin['access_token']}"}
        node = requests.post(f"{base}/api/admin/agents", headers=admin_h, timeout=10, json={
            "name": "local", "url": "http://127.0.0.1:5001", "cpu_cores": 4, "memory_gb": 8}).json()
        student = requests.post(f"{base}/api/auth/register", timeout=10, json={
            "username": "sam", "email": "sam@lab.test", "password": "sam-password"}).json()
        student_h = {"Authorization": f"Bearer {student['access_token']}"}
        booking = requests.post(f"{base}/api/student/book", headers=student_h, json=booking_payload(),
                                timeout=10).json()
        approved = requests.post(f"{base}/api/admin/approve/{booking['id']}", headers=admin_h, json={},
                                 timeout=10).json()
        assert (approved["status"], approved["agent_id"]) == ("approved", node["id"])
        assert (tmp_path / "booking.db").exists()
    finally:
        stop(proc)
    # A second start finds the admin and prints no password.
    proc, lines = launch_controller(env)
    stop(proc)
    assert not any("First admin created" in line for line in lines)


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_make_run_starts_a_local_node_and_leaves_no_agent_behind(tmp_path, docker_client):
    """With a Docker engine answering, `python -m controller.app` starts an
    agent, registers it as the node `local`, and stops it when it stops."""
    import psutil

    port, agent_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(INSTANCE_DIR=str(tmp_path), PORT=str(port), HOST="127.0.0.1", SCHEDULER_ENABLED="true",
               LOCAL_AGENT_PORT=str(agent_port), ADMIN_PASSWORD="admin-password-1", PYTHONUNBUFFERED="1")
    proc, lines = launch_controller(env)
    try:
        assert any("Local node agent" in line for line in lines), lines
        base = f"http://127.0.0.1:{port}"
        token = requests.post(f"{base}/api/auth/login", json={"username": "admin", "password": "admin-password-1"},
                              timeout=10).json()["access_token"]
        nodes = requests.get(f"{base}/api/admin/agents", headers={"Authorization": f"Bearer {token}"},
                             timeout=10).json()["items"]
        assert [(n["name"], n["url"], n["has_token"]) for n in nodes] == [
            ("local", f"http://127.0.0.1:{agent_port}", True)]
        assert requests.get(f"http://127.0.0.1:{agent_port}/health", timeout=5).status_code == 401
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children
    finally:
        stop(proc)
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert alive == []


@pytest.mark.parametrize(("given", "engine"), [
    ("postgresql://u:p@db:5432/lab", "postgresql+psycopg://u:p@db:5432/lab"),
    ("postgres://u:p@db:5432/lab", "postgresql+psycopg://u:p@db:5432/lab"),
    ("postgresql+psycopg2://u@db/lab", "postgresql+psycopg2://u@db/lab"),  # a driver named is kept
    ("sqlite:////tmp/booking.db", "sqlite:////tmp/booking.db"),
])
def test_postgres_urls_get_the_psycopg3_driver(given, engine):
    assert engine_url(given) == engine


def test_a_booking_requests_statements_are_prepared_on_the_server(app, client, student_headers, node):
    """psycopg 3 prepares a statement once a connection has run it a few
    times, so Postgres plans a booking request's statements once per
    connection rather than on every request (issue 12)."""
    assert db.engine.dialect.driver == "psycopg"
    db.session.remove()
    db.engine.dispose()  # one connection from here on: earlier tests may have left several in the pool
    for day in range(1, 8):
        start = future(24 * day)
        payload = booking_payload(start_time=iso(start), end_time=iso(start + timedelta(hours=1)))
        assert client.post("/api/student/book", headers=student_headers, json=payload).status_code == 201
        db.session.remove()  # as at a request's end; the pool hands the same connection back
    with db.engine.connect() as conn:
        prepared = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars().all()
    assert any("INSERT INTO bookings" in s and "INSERT INTO audit_events" in s for s in prepared), prepared
    assert any("FOR UPDATE OF users" in s for s in prepared), prepared
