"""An engine that cannot be reached gives 503 (never a 500), and /health says so."""

import uuid

import pytest

from agent.app import create_app
from tests.agent.conftest import AUTH, make_config

VALID = {"booking_id": 1, "image": "lab-test/busybox", "cpu_cores": 1, "memory_gb": 0.5}


@pytest.fixture
def offline_client():
    socket_path = f"/tmp/no-docker-{uuid.uuid4().hex}.sock"
    config = make_config(docker_env={"DOCKER_HOST": f"unix://{socket_path}"})
    return create_app(config).test_client()


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("POST", "/start_container", VALID),
        ("POST", "/stop_container/booking-1", None),
        ("GET", "/containers", None),
        ("POST", "/test_image/lab-test/busybox", None),
    ],
)
def test_docker_operations_answer_503_when_the_engine_is_unreachable(offline_client, method, path, body):
    response = offline_client.open(path, method=method, headers=AUTH, json=body)
    assert response.status_code == 503
    assert response.json["error"] == "docker_unavailable"
    assert "Docker engine" in response.json["message"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_health_reports_docker_down_without_failing(offline_client):
    response = offline_client.get("/health", headers=AUTH)
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["docker"]["reachable"] is False
    assert response.json["docker"]["error"]
    assert response.json["memory"]["total_bytes"] > 0
    assert response.json["images"] is None  # unknown, not "none present"


def test_livez_still_answers(offline_client):
    assert offline_client.get("/livez").json == {"status": "ok"}
