"""Fixtures for the agent suite: a real Docker engine, a local test image, the app.

Every container a test creates is removed by a yield fixture; as a safety net
the session sweeps containers of this run (booking ids with RUN_PREFIX, and
anything labelled `lab.test.suite=agent`). Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import socket
import uuid

import pytest

from agent.app import create_app
from agent.config import AgentConfig
from agent.runtime import BOOKING_LABEL, MANAGED_LABEL, container_name
from tests.dockerimages import BUSYBOX_HTTP_PORT, ensure_busybox_image
from tests.support import require

TOKEN = "test-token-" + "x" * 24
AUTH = {"Authorization": f"Bearer {TOKEN}"}
RUN_PREFIX = f"pt{uuid.uuid4().hex[:8]}"
TEST_LABEL = "lab.test.suite"
_counter = itertools.count(1)


def make_config(**overrides) -> AgentConfig:
    """A test config: loopback only, the lab-test images allowed, short timeouts."""
    values = {
        "token": TOKEN,
        "host": "127.0.0.1",
        "publish_address": "127.0.0.1",
        "public_host": "127.0.0.1",
        "image_allowlist": ("lab-test/*",),
        "port_range": (20000, 20999),
        "stop_timeout": 10,
        # Containers of this run only: a concurrent run on the same engine is another node.
        "node_id": RUN_PREFIX,
        "max_cpu_cores": 2.0,
        "max_memory_gb": 4.0,
    }
    values.update(overrides)
    return AgentConfig(**values).validate()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sweep(client) -> None:
    for container in client.containers.list(all=True, filters={"label": TEST_LABEL}):
        container.remove(force=True)
    for container in client.containers.list(all=True, filters={"label": f"{MANAGED_LABEL}=true"}):
        if container.labels.get(BOOKING_LABEL, "").startswith(RUN_PREFIX):
            container.remove(force=True)


@pytest.fixture(scope="session")
def docker_client():
    """A client of the real engine; skips (fails under CI=true) without one."""
    try:
        import docker

        client = docker.from_env(timeout=60)
        client.ping()
    except Exception:
        client = None
    require(client is not None, "a Docker engine")
    yield client
    _sweep(client)
    client.close()


@pytest.fixture(scope="session")
def test_image(docker_client) -> str:
    return ensure_busybox_image(docker_client)


@pytest.fixture
def config() -> AgentConfig:
    return make_config()


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def booking_ids(docker_client):
    """Factory of fresh booking ids; their containers are removed after the test."""
    issued: list[str] = []

    def new_id() -> str:
        booking_id = f"{RUN_PREFIX}-{next(_counter)}"
        issued.append(booking_id)
        return booking_id

    yield new_id
    import docker.errors

    for booking_id in issued:
        try:
            docker_client.containers.get(container_name(booking_id)).remove(force=True)
        except docker.errors.NotFound:
            pass


@pytest.fixture
def start_body(test_image, booking_ids):
    """Factory of valid start_container bodies (fresh booking id each call)."""

    def body(**overrides) -> dict:
        values = {
            "booking_id": booking_ids(),
            "image": test_image,
            "cpu_cores": 0.5,
            "memory_gb": 0.25,
            "port": BUSYBOX_HTTP_PORT,
        }
        values.update(overrides)
        return values

    return body


@pytest.fixture
def unmanaged_container(docker_client, test_image):
    """Factory: a running container the agent did not create (no managed label)."""
    created = []

    def make(name: str | None = None, **kwargs):
        container = docker_client.containers.run(
            test_image,
            ["/bin/sleep", "3600"],
            name=name or f"{RUN_PREFIX}-unmanaged-{next(_counter)}",
            labels={TEST_LABEL: "agent"},
            detach=True,
            init=True,
            **kwargs,
        )
        created.append(container)
        return container

    yield make
    import docker.errors

    for container in created:
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            pass
