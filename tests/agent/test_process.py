"""The real `python -m agent.app` process, over HTTP on 127.0.0.1."""

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.agent.conftest import AUTH, TOKEN, free_port
from tests.dockerimages import BUSYBOX_HTTP_PORT, INDEX_HTML
from tests.support import require

ROOT = Path(__file__).resolve().parents[2]


def agent_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


@contextmanager
def running_agent(scheme: str = "http", verify=True, **extra_env):
    """Run `python -m agent.app` on a free loopback port; yield its base URL."""
    port = free_port()
    env = agent_env(
        AGENT_TOKEN=TOKEN,
        AGENT_HOST="127.0.0.1",
        AGENT_PORT=str(port),
        AGENT_PUBLISH_ADDRESS="127.0.0.1",
        AGENT_PUBLIC_HOST="127.0.0.1",
        AGENT_IMAGE_ALLOWLIST="lab-test/*",
        **extra_env,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "agent.app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{url}/livez", timeout=1, verify=verify)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    output = process.stdout.read().decode(errors="replace")
                    pytest.fail(f"agent did not start:\n{output}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.fixture
def agent_url(docker_client, test_image):
    with running_agent() as url:
        yield url


@pytest.mark.docker
def test_agent_process_serves_the_api_over_http(agent_url, test_image, booking_ids):
    assert requests.get(f"{agent_url}/livez", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{agent_url}/health", timeout=5).status_code == 401

    health = requests.get(f"{agent_url}/health", headers=AUTH, timeout=10)
    assert health.status_code == 200
    assert health.json()["docker"]["reachable"] is True

    body = {
        "booking_id": booking_ids(),
        "image": test_image,
        "cpu_cores": 0.25,
        "memory_gb": 0.125,
        "port": BUSYBOX_HTTP_PORT,
    }
    started = requests.post(f"{agent_url}/start_container", headers=AUTH, json=body, timeout=30)
    assert started.status_code == 201, started.text
    session = started.json()
    deadline = time.monotonic() + 10
    while True:
        try:
            page = requests.get(f"http://{session['host']}:{session['port']}/", timeout=2)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert page.content == INDEX_HTML

    stopped = requests.post(f"{agent_url}/stop_container/{session['name']}", headers=AUTH, timeout=30)
    assert stopped.status_code == 200
    assert stopped.json()["removed"] is True


def test_agent_process_refuses_to_start_without_a_token():
    result = subprocess.run(
        [sys.executable, "-m", "agent.app"],
        cwd=ROOT,
        env=agent_env(AGENT_HOST="127.0.0.1", AGENT_PORT=str(free_port())),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "AGENT_TOKEN" in result.stderr


@pytest.fixture
def self_signed_cert(tmp_path):
    require(shutil.which("openssl") is not None, "openssl")
    cert, key = tmp_path / "agent.crt", tmp_path / "agent.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_agent_process_serves_https_when_given_a_certificate(self_signed_cert):
    cert, key = self_signed_cert
    with running_agent("https", verify=str(cert), AGENT_TLS_CERT=str(cert), AGENT_TLS_KEY=str(key)) as url:
        assert requests.get(f"{url}/livez", verify=str(cert), timeout=5).json() == {"status": "ok"}
        unauthorised = requests.get(f"{url}/containers", verify=str(cert), timeout=5)
        assert unauthorised.status_code == 401
