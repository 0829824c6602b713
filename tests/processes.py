"""Real processes and listeners for tests and benchmarks: the Docker engine,
a real agent process, controller processes, and a UDP listener for Wake-on-LAN."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
MANAGED_LABEL = "lab.booking.managed"
BOOKING_LABEL = "lab.booking.id"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def docker_client_or_none():
    try:
        import docker

        client = docker.from_env(timeout=60)
        client.ping()
        return client
    except Exception:
        return None


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout}s")


class AgentProcess:
    """`python -m agent.app` on 127.0.0.1 with its own token."""

    def __init__(self, image: str):
        self.port = free_port()
        self.token = secrets.token_urlsafe(24)
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
        env.update(AGENT_HOST="127.0.0.1", AGENT_PORT=str(self.port), AGENT_TOKEN=self.token,
                   AGENT_IMAGE_ALLOWLIST=image, AGENT_PUBLIC_HOST="127.0.0.1",
                   AGENT_PUBLISH_ADDRESS="127.0.0.1", AGENT_STOP_TIMEOUT="2",
                   AGENT_NODE_ID=f"test-{self.port}")
        self.env = env
        self.start()

    def start(self) -> None:
        """(Re)start the agent on the same port with the same token."""
        self.process = subprocess.Popen([sys.executable, "-m", "agent.app"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(f"{self.url}/livez")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown (its containers keep running)."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class ControllerProcess:
    """`python -m controller.app` with the scheduler on, against a given database."""

    def __init__(self, database_url: str, image: str, log_path: Path, **extra_env):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
        env.update(DATABASE_URL=database_url, HOST="127.0.0.1", PORT=str(self.port), LOCAL_AGENT="false",
                   SCHEDULER_ENABLED="true", SCHEDULER_TICK_SECONDS="0.5", SCHEDULER_ELECTION_SECONDS="0.5",
                   HEALTH_CHECK_SECONDS="3600", RECONCILE_SECONDS="3600", WOL_CHECK_SECONDS="3600",
                   SESSION_IMAGES=f"{image}=8080", ADMIN_PASSWORD="admin-password-1",
                   JWT_SECRET_KEY="t" * 40, LOG_JSON="true", AGENT_STOP_TIMEOUT_SECONDS="2")
        env.update(extra_env)
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen([sys.executable, "-m", "controller.app"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{self.port}/api/health", timeout=60)

    def pids(self) -> set[int]:
        """gunicorn's master and its workers (the scheduler runs in a worker)."""
        return {self.process.pid, *(child.pid for child in psutil.Process(self.process.pid).children(True))}

    def kill(self) -> None:
        """SIGKILL to gunicorn's master and its workers at once: a crash."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


class UdpListener:
    """Catches datagrams on 127.0.0.1 (Wake-on-LAN tests never leave loopback)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def receive(self, timeout: float) -> bytes | None:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096)
        except TimeoutError:
            return None

    def close(self) -> None:
        self.sock.close()


def remove_booking_containers(client, booking_ids) -> None:
    """Remove this controller's containers of these bookings (in an app context)."""
    import docker.errors

    from controller.services.lifecycle import container_name

    for booking_id in booking_ids:
        try:
            client.containers.get(container_name(booking_id)).remove(force=True)
        except docker.errors.NotFound:
            pass
