"""A session that is not HTTP: lab/ssh on a real agent and engine. The owner
reads host, port and the session's password; SSH with it runs a command and a
shell; a wrong password, another account name or the previous start's
password is refused; nobody else's view carries the password."""

import asyncio
import subprocess
from datetime import timedelta
from pathlib import Path

import asyncssh
import pytest

from controller.extensions import db
from controller.models import Booking
from tests.controller.conftest import bearer
from tests.controller.helpers import start_now
from tests.processes import AgentProcess, remove_booking_containers

SSH_IMAGE = "lab/ssh:latest"
BUILD = Path(__file__).resolve().parents[2] / "deploy" / "images" / "build.sh"


@pytest.fixture(scope="module")
def ssh_agent(docker_client):
    """An agent allowed to run lab/ssh, built here if needed (no registry; cached)."""
    subprocess.run(["bash", str(BUILD), "ssh"], check=True, timeout=900)
    agent = AgentProcess(SSH_IMAGE)
    yield agent
    agent.stop()


def ssh_run(host: str, port: int, username: str, password: str, command: str) -> str:
    async def run() -> str:
        async with asyncssh.connect(host, port, username=username, password=password, known_hosts=None,
                                    connect_timeout=20) as connection:
            result = await connection.run(command, check=True, timeout=20)
            return result.stdout

    return asyncio.run(run())


def ssh_shell(host: str, port: int, password: str, line: str) -> str:
    async def run() -> str:
        async with asyncssh.connect(host, port, username="student", password=password, known_hosts=None,
                                    connect_timeout=20) as connection:
            async with connection.create_process(term_type="xterm") as process:
                process.stdin.write(f"{line}\nexit\n")
                return await asyncio.wait_for(process.stdout.read(), 20)

    return asyncio.run(run())


def wait_for_ssh(host: str, port: int, password: str) -> str:
    last = None
    for _ in range(60):
        try:
            return ssh_run(host, port, "student", password, "echo $((6*7)); id -u")
        except (OSError, asyncssh.Error) as error:
            last = error
            asyncio.run(asyncio.sleep(0.5))
    raise AssertionError(f"SSH never answered: {last!r}")


def test_the_owner_logs_in_by_ssh_with_the_sessions_password_and_nobody_else_does(
        app, client, factory, ssh_agent, docker_client):
    app.config.update(SESSION_IMAGES=[{"name": SSH_IMAGE, "port": 2222, "label": "SSH", "http": False,
                                       "secret": "password"}],
                      START_RETRY_BASE_SECONDS=0.2, AGENT_TIMEOUT_SECONDS=30)
    node = factory.agent(name="ssh-node", url=ssh_agent.url, token=ssh_agent.token, cpu_cores=2, memory_gb=4)
    booking = start_now(factory, node, SSH_IMAGE, duration=timedelta(minutes=3))
    try:
        owner = db.session.get(Booking, booking.id).user
        session = client.get(f"/api/student/bookings/{booking.id}/session", headers=bearer(owner)).get_json()
        assert session["state"] == "running" and session["http"] is False
        assert session["connect_url"] is None
        host, port, password = session["host"], session["port"], session["password"]
        assert host == "127.0.0.1" and port and len(password) >= 32

        assert wait_for_ssh(host, port, password).split() == ["42", "1000"]
        assert "hi-42" in ssh_shell(host, port, password, "echo hi-$((40+2))")

        for username, wrong in (("student", password[:-1] + ("x" if password[-1] != "x" else "y")),
                                ("root", password), ("student", "")):
            with pytest.raises(asyncssh.PermissionDenied):
                ssh_run(host, port, username, wrong, "true")

        other = client.get(f"/api/student/bookings/{booking.id}/session", headers=bearer(factory.user()))
        assert other.status_code == 404 and password not in other.get_data(as_text=True)
        listed = client.get("/api/student/bookings", headers=bearer(owner)).get_data(as_text=True)
        assert password not in listed  # only the session view carries it
    finally:
        remove_booking_containers(docker_client, [booking.id])
