"""The smoke test's scenario against a running stack, through Traefik only.

Run by tests/deploy/smoke.sh once every service is healthy; reads the stack's
env file for the ports and secrets. Every request goes to 127.0.0.1. Prints
one line per check and a closing `N passed, N failed`; exits 1 on a failure.

    python tests/deploy/scenario.py ENV_FILE [CONTAINERS_FILE]

CONTAINERS_FILE receives the name of every session container the scenario
expects, so that the caller can remove it if the run fails half-way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import requests
import urllib3

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # Traefik's self-signed default

SESSION_IMAGE = "lab-test/busybox:latest"
LEAD_SECONDS = 20       # the booking starts this long after it is made
SESSION_SECONDS = 40    # and lasts this long


class Check:
    passed = 0
    failed = 0

    def __init__(self, name: str):
        self.name = name
        self.started = time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _tb):
        took = time.monotonic() - self.started
        if error is None:
            Check.passed += 1
            print(f"  ok    {self.name} ({took:.1f}s)", flush=True)
            return False
        Check.failed += 1
        print(f"  FAIL  {self.name} ({took:.1f}s): {kind.__name__}: {error}", flush=True)
        raise SystemExit(finish())


def finish() -> int:
    print(f"scenario: {Check.passed} passed, {Check.failed} failed", flush=True)
    return 1 if Check.failed else 0


def read_env(path: str) -> dict[str, str]:
    env = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def expect(response: requests.Response, status: int) -> dict:
    if response.status_code != status:
        raise AssertionError(f"{response.request.method} {response.url} -> {response.status_code}, "
                             f"wanted {status}: {response.text[:300]}")
    return response.json() if "json" in response.headers.get("Content-Type", "") else {}


def wait_for(what: str, probe, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def docker_containers(name: str) -> list[dict]:
    out = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"name=^{name}$", "--format", "{{json .}}"],
        check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def booking_containers(booking_id: int) -> list[str]:
    """Names of the managed containers of a booking with this number (any controller's)."""
    out = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label=lab.booking.id={booking_id}", "--format", "{{.Names}}"],
        check=True, capture_output=True, text=True).stdout
    return out.split()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def main(env_file: str, containers_file: str | None = None) -> int:
    env = read_env(env_file)
    base = f"http://127.0.0.1:{env['HTTP_PORT']}"
    http = requests.Session()
    http.headers["User-Agent"] = "booking-smoke"
    print(f"scenario against {base} (Traefik)", flush=True)

    with Check("GET /api/health through Traefik answers ok/ok"):
        body = expect(http.get(f"{base}/api/health", timeout=10), 200)
        assert body == {"status": "ok", "database": "ok"}, body

    with Check("GET / and a client route serve the SPA from the frontend service"):
        for path in ("/", "/admin/bookings"):
            page = http.get(f"{base}{path}", timeout=10)
            assert page.status_code == 200 and '<div id="root">' in page.text, (path, page.status_code)
            assert page.headers.get("Server", "").startswith("nginx"), page.headers.get("Server")
            assert "script-src 'self'" in page.headers.get("Content-Security-Policy", ""), page.headers
        api = http.get(f"{base}/api/health", timeout=10)
        assert api.headers.get("Server", "").startswith("gunicorn"), api.headers.get("Server")

    with Check("HTTPS entry point routes /api (Traefik's default certificate)"):
        body = expect(http.get(f"https://127.0.0.1:{env['HTTPS_PORT']}/api/health", timeout=10,
                               verify=False), 200)
        assert body["status"] == "ok"

    with Check("Traefik dashboard API answers on 127.0.0.1 and lists both routes"):
        routers = expect(http.get(f"http://127.0.0.1:{env['TRAEFIK_DASHBOARD_PORT']}/api/http/routers",
                                  timeout=10), 200)
        names = {r["name"] for r in routers if r.get("status") == "enabled"}
        assert {"api@file", "ui@file", "api-tls@file", "ui-tls@file"} <= names, names

    with Check("a calendar feed's secret path leaves no line in Traefik's access log"):
        probe = f"/api/calendar/smoke-probe-{int(time.time())}.ics"
        assert http.get(f"{base}{probe}", timeout=10).status_code == 404
        expect(http.get(f"{base}/api/health?smoke-logged-{int(time.time())}", timeout=10), 200)
        def logged():
            out = subprocess.run(["docker", "logs", os.environ["TRAEFIK_CONTAINER"]], capture_output=True,
                                 text=True).stdout
            return out if "smoke-logged-" in out else None
        log = wait_for("Traefik's access log", logged, 15)
        assert probe not in log and "smoke-probe-" not in log, "the feed's path was logged"

    with Check("the first admin (from .env) logs in through Traefik"):
        body = expect(http.post(f"{base}/api/auth/login", json={
            "username": env["ADMIN_USERNAME"], "password": env["ADMIN_PASSWORD"]}, timeout=10), 200)
        admin = {"Authorization": f"Bearer {body['access_token']}"}

    agent_ids = {}
    with Check("both compose agents register as nodes (no MAC: Wake-on-LAN never fires)"):
        for name, token_var in (("agent1", "AGENT1_TOKEN"), ("agent2", "AGENT2_TOKEN")):
            body = expect(http.post(f"{base}/api/admin/agents", headers=admin, json={
                "name": f"smoke-{name}", "url": f"http://{name}:5001", "token": env[token_var],
                "cpu_cores": 2, "memory_gb": 2}, timeout=10), 201)
            assert body.get("mac_address") in (None, ""), body
            agent_ids[name] = body["id"]

    with Check("the scheduler runs (GET /api/admin/scheduler names a leader)"):
        def leader():
            status = expect(http.get(f"{base}/api/admin/scheduler", headers=admin, timeout=10), 200)
            return status if (status.get("leader") or status.get("is_leader") or status.get("holder")) else None
        status = wait_for("a scheduler leader", leader, 30)
        print(f"        scheduler: {json.dumps(status)[:200]}", flush=True)

    with Check("a student registers, logs in and books a session starting ~20 s ahead"):
        expect(http.post(f"{base}/api/auth/register", json={
            "username": "smoke-student", "email": "smoke-student@lab.example",
            "password": "smoke-student-pw"}, timeout=10), 201)
        body = expect(http.post(f"{base}/api/auth/login", json={
            "username": "smoke-student", "password": "smoke-student-pw"}, timeout=10), 200)
        student = {"Authorization": f"Bearer {body['access_token']}"}
        start = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
        end = start + timedelta(seconds=SESSION_SECONDS)
        booking = expect(http.post(f"{base}/api/student/book", headers=student, json={
            "start_time": iso(start), "end_time": iso(end), "cpu_cores": 1, "memory_gb": 0.25,
            "image": SESSION_IMAGE, "purpose": "deployment smoke test"}, timeout=10), 201)
        booking_id = booking["id"]
        assert booking["status"] == "pending", booking
        print(f"        booking {booking_id}: {iso(start)} .. {iso(end)}", flush=True)

    with Check("the admin approves it onto agent1"):
        body = expect(http.post(f"{base}/api/admin/approve/{booking_id}", headers=admin,
                                json={"agent_id": agent_ids["agent1"]}, timeout=10), 200)
        assert body["status"] == "approved", body
        assert not booking_containers(booking_id), "container exists before the start time"

    def student_booking():
        return expect(http.get(f"{base}/api/student/bookings/{booking_id}", headers=student, timeout=10), 200)

    with Check("at its start the scheduler has agent1 run booking-<controller>-<id> with the booked limits"):
        active = wait_for("the booking to be active", lambda: (b := student_booking())["status"] == "active"
                          and b, LEAD_SECONDS + 60)
        container = active["container_name"]
        assert container.startswith("booking-") and container.endswith(f"-{booking_id}"), container
        if containers_file:
            with open(containers_file, "a", encoding="utf-8") as fh:
                fh.write(container + "\n")
        assert datetime.now(UTC) >= start - timedelta(seconds=2), "started before its start time"
        running = wait_for(f"{container} running", lambda: [c for c in docker_containers(container)
                                                            if c["State"] == "running"], 15)
        print(f"        {running[0]['Names']} {running[0]['Status']}; access "
              f"{active.get('access_host')}:{active.get('access_port')}", flush=True)
        inspect = json.loads(subprocess.run(["docker", "inspect", container], check=True,
                                            capture_output=True, text=True).stdout)[0]
        assert inspect["HostConfig"]["NanoCpus"] == 1_000_000_000, inspect["HostConfig"]["NanoCpus"]
        assert inspect["HostConfig"]["Memory"] == 256 * 2**20, inspect["HostConfig"]["Memory"]
        assert inspect["Config"]["Labels"].get("lab.booking.managed") == "true"

    with Check("the session publishes no host port: it sits on the sessions network, reached by name"):
        assert (active.get("access_host"), active.get("access_port")) == (container, 8080), active
        assert not inspect["HostConfig"].get("PortBindings"), inspect["HostConfig"].get("PortBindings")
        assert list(inspect["NetworkSettings"]["Networks"]) == [env["SESSIONS_NETWORK"]]

    session_url = f"{base}/sessions/{booking_id}/"
    with Check("the owner opens the session through Traefik (route from the controller, owner check)"):
        owner = requests.Session()
        expect(owner.post(f"{base}/api/auth/login", json={
            "username": "smoke-student", "password": "smoke-student-pw"}, timeout=10), 200)
        page = wait_for("the session's route", lambda: (r := owner.get(session_url, timeout=10)).status_code == 200
                        and r, 30)
        assert "lab-test busybox httpd" in page.text, page.text[:200]
        connect = expect(http.get(f"{base}/api/student/bookings/{booking_id}/session", headers=student,
                                  timeout=10), 200)
        assert connect["state"] == "running" and connect["connect_url"].split("?")[0].endswith(
            f"/sessions/{booking_id}/"), connect

    with Check("anyone else is refused: another user gets 403, the anonymous the login page"):
        other = requests.Session()
        expect(other.post(f"{base}/api/auth/login", json={
            "username": env["ADMIN_USERNAME"], "password": env["ADMIN_PASSWORD"]}, timeout=10), 200)
        refused = other.get(session_url, timeout=10)
        assert refused.status_code == 403 and "Not your session" in refused.text, refused.status_code
        anonymous = requests.get(session_url, timeout=10, allow_redirects=False)
        assert anonymous.status_code == 302 and "/login?next=" in anonymous.headers["Location"], anonymous.headers

    with Check("at its end the booking completes and the container is gone"):
        remaining = (end - datetime.now(UTC)).total_seconds()
        done = wait_for("the booking to complete",
                        lambda: (b := student_booking())["status"] in ("completed", "failed") and b,
                        max(remaining, 0) + 60)
        assert done["status"] == "completed", done
        wait_for(f"{container} removed", lambda: not docker_containers(container), 30)

    with Check("after its end the session's URL says it ended"):
        # (a Response of status 4xx is falsy: wait for its text)
        ended = wait_for("the ended page", lambda: (r := owner.get(session_url, timeout=10)).status_code == 410
                         and r.text, 20)
        assert "Ended" in ended

    return finish()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
