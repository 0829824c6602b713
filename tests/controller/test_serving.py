"""Requests too big or malformed still answer in the API's JSON error shape:
the app answers 414/431 itself (a WSGI guard, for any server), and the
embedded default (`python -m controller.app`) runs on gunicorn, whose own
refusals are written in that shape too. No response names Werkzeug or Python."""

import collections
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.controller.helpers import assert_error
from tests.controller.test_app import launch_controller, stop
from tests.processes import free_port, wait_http

ERROR_KEYS = {"error", "message", "details"}


def test_a_100k_character_query_is_a_json_414(client):
    response = client.get("/api/health?q=" + "x" * 100_000)

    assert_error(response, 414, "uri_too_long")


def test_a_100_kb_header_is_a_json_431(client):
    response = client.get("/api/health", headers={"X-Junk": "x" * 100_000})

    assert_error(response, 431, "request_header_fields_too_large")


def test_many_headers_adding_up_past_the_limit_are_a_json_431(client):
    headers = {f"X-Junk-{i}": "x" * 4000 for i in range(20)}

    assert_error(client.get("/api/health", headers=headers), 431, "request_header_fields_too_large")


def test_ordinary_requests_pass_the_guard(client):
    assert client.get("/api/health?" + "a=1&" * 100, headers={"X-Ok": "y" * 4000}).status_code in (200, 422)
    assert client.get("/api/health").status_code == 200


def raw_request(port: int, request: bytes) -> tuple[str, dict, bytes]:
    """Send bytes as they are (requests would refuse some of these) and
    return the status line, the headers and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    return lines[0], headers, body


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    home = tmp_path_factory.mktemp("home")
    env.update(INSTANCE_DIR=str(tmp_path_factory.mktemp("embedded")), PORT=str(port), HOST="127.0.0.1",
               SCHEDULER_ENABLED="false", LOCAL_AGENT="false", ADMIN_PASSWORD="admin-password-1",
               PYTHONUNBUFFERED="1", HOME=str(home), XDG_RUNTIME_DIR="")
    proc, lines = launch_controller(env)
    yield port, lines, home
    stop(proc)


def test_the_embedded_default_opens_no_gunicorn_control_socket(embedded):
    """gunicorn's control socket sits at one path per user ($HOME/.gunicorn):
    every server of that user would share it, and whoever reaches it can stop
    the server. None is opened."""
    port, _, home = embedded
    assert requests.get(f"http://127.0.0.1:{port}/api/health", timeout=10).status_code == 200
    assert not (home / ".gunicorn").exists() or not any((home / ".gunicorn").iterdir())


def test_the_embedded_default_runs_on_gunicorn_without_a_revealing_banner(embedded):
    port, lines, _ = embedded
    response = requests.get(f"http://127.0.0.1:{port}/api/health", timeout=10)

    assert response.status_code == 200
    server = response.headers.get("Server", "")
    assert "werkzeug" not in server.lower() and "python" not in server.lower(), server
    assert any("gunicorn" in line.lower() for line in lines) or "gunicorn" in server.lower(), lines


@pytest.mark.parametrize(("request_bytes", "status", "code"), [
    (b"GET /api/health?q=" + b"x" * 100_000 + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
     414, "uri_too_long"),
    (b"GET /api/health HTTP/1.1\r\nHost: t\r\nX-Junk: " + b"x" * 100_000 + b"\r\nConnection: close\r\n\r\n",
     431, "request_header_fields_too_large"),
    (b"GET /api/health?q=" + b"x" * 2_000_000 + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
     414, "uri_too_long"),
    (b"BREW /api/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 405, "method_not_allowed"),
    (b"GET /api/health HTTP/9.9\r\nHost: t\r\nConnection: close\r\n\r\n", 400, "bad_request"),
], ids=["100k-query", "100kb-header", "2mb-query", "unknown-method", "bad-version"])
def test_the_embedded_default_answers_oversized_and_malformed_requests_in_json(embedded, request_bytes, status,
                                                                               code):
    port, _, _ = embedded
    status_line, headers, body = raw_request(port, request_bytes)

    assert status_line.split(" ")[1] == str(status), (status_line, body[:300])
    assert headers["content-type"].startswith("application/json"), headers
    payload = requests.models.complexjson.loads(body)
    assert set(payload) == ERROR_KEYS and payload["error"] == code, payload
    assert "python" not in headers.get("server", "").lower() and "werkzeug" not in body.decode().lower()


def test_a_restarted_gunicorn_worker_leaves_the_local_agent_running(tmp_path, docker_client):
    """The local agent belongs to the gunicorn master: a worker that exits
    (and is replaced) does not take it down."""
    port, agent_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(INSTANCE_DIR=str(tmp_path), PORT=str(port), HOST="127.0.0.1", SCHEDULER_ENABLED="false",
               LOCAL_AGENT_PORT=str(agent_port), ADMIN_PASSWORD="admin-password-1", PYTHONUNBUFFERED="1")
    proc, _ = launch_controller(env)
    try:
        children = psutil.Process(proc.pid).children()
        workers = [c for c in children if "agent.app" not in " ".join(c.cmdline())]
        assert len(workers) == 1 and len(children) == 2, [c.cmdline() for c in children]
        workers[0].terminate()
        workers[0].wait(timeout=20)
        wait_http(f"http://127.0.0.1:{port}/api/health")
        assert requests.get(f"http://127.0.0.1:{agent_port}/livez", timeout=5).status_code == 200
    finally:
        stop(proc)


def test_the_image_config_shares_keep_alive_connections_evenly_between_workers(tmp_path):
    """gunicorn run as the controller image runs it (`-c python:controller.serving`,
    2 workers): connections opened one after another and kept alive end up
    evenly on both workers. The stock gthread worker gave splits of 3-9 and
    4-8 here, and under load 43-21 in the booking rush (BalancedThreadWorker)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:controller.serving", "--workers", "2",
         "--threads", "2", "--keep-alive", "30", "--bind", f"127.0.0.1:{port}", "tests.controller.pid_wsgi:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    connections = []
    try:
        wait_http(f"http://127.0.0.1:{port}/", timeout=30)
        time.sleep(0.5)  # both workers up
        held_by = collections.Counter()
        for _ in range(16):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/")
            held_by[connection.getresponse().read()] += 1
            connections.append(connection)
            time.sleep(0.05)
        assert len(held_by) == 2 and max(held_by.values()) - min(held_by.values()) <= 2, held_by
    finally:
        for connection in connections:
            connection.close()
        server.terminate()
        server.wait(timeout=30)


def test_a_worker_lets_threads_back_from_postgres_take_the_gil_within_a_millisecond(tmp_path):
    """`worker_app` (what every gunicorn worker serves) shortens CPython's
    5 ms GIL switch interval, in the worker only: see GIL_SWITCH_INTERVAL."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}", "SCHEDULER_ENABLED": "false",
           "LOCAL_AGENT": "false", "REDIS_URL": "", "FRONTEND_DIST": str(tmp_path / "no-ui")}
    script = ("import sys; before = sys.getswitchinterval(); from controller.serving import worker_app, "
              "GIL_SWITCH_INTERVAL; worker_app(); print(before, sys.getswitchinterval(), GIL_SWITCH_INTERVAL)")
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, timeout=60, check=True).stdout.split()

    before, after, wanted = map(float, out[-3:])
    assert before == pytest.approx(0.005)
    assert after == pytest.approx(wanted) == pytest.approx(0.001)
