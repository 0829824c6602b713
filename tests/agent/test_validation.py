"""Bad input is refused with 400/422 before any container is touched."""

import pytest

from tests.agent.conftest import AUTH

VALID = {
    "booking_id": 42,
    "image": "lab-test/busybox:latest",
    "cpu_cores": 1,
    "memory_gb": 0.5,
}


def without(key):
    return {k: v for k, v in VALID.items() if k != key}


BAD_BODIES = {
    "missing booking_id": without("booking_id"),
    "missing image": without("image"),
    "missing cpu_cores": without("cpu_cores"),
    "missing memory_gb": without("memory_gb"),
    "negative cpu": {**VALID, "cpu_cores": -1},
    "zero cpu": {**VALID, "cpu_cores": 0},
    "more cpu than the node": {**VALID, "cpu_cores": 64},
    "negative memory": {**VALID, "memory_gb": -0.5},
    "huge memory": {**VALID, "memory_gb": 1e9},
    "cpu as string": {**VALID, "cpu_cores": "2"},
    "cpu as bool": {**VALID, "cpu_cores": True},
    "memory as list": {**VALID, "memory_gb": [1]},
    "image as number": {**VALID, "image": 7},
    "empty image": {**VALID, "image": ""},
    "booking id with slash": {**VALID, "booking_id": "../etc"},
    "booking id as float": {**VALID, "booking_id": 1.5},
    "booking id null": {**VALID, "booking_id": None},
    "gpu_count negative": {**VALID, "gpu_count": -1},
    "gpu_count float": {**VALID, "gpu_count": 1.5},
    "port zero": {**VALID, "port": 0},
    "port too high": {**VALID, "port": 70000},
    "port as string": {**VALID, "port": "8080"},
    "command as string": {**VALID, "command": "sh -c 'rm -rf /'"},
    "command with number": {**VALID, "command": ["sleep", 5]},
    "env as list": {**VALID, "env": ["A=1"]},
    "env bad name": {**VALID, "env": {"A-B": "1"}},
    "env non-string value": {**VALID, "env": {"A": 1}},
    "env value with NUL": {**VALID, "env": {"A": "x\u0000y"}},
    "unknown field": {**VALID, "privileged": True},
    "unknown volume field": {**VALID, "volumes": {"/": "/host"}},
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_invalid_start_bodies_get_422(client, body):
    response = client.post("/start_container", headers=AUTH, json=body)
    assert response.status_code == 422, response.json
    assert response.json["error"] == "validation_error"
    assert response.json["details"] and all(isinstance(v, list | dict) for v in response.json["details"].values())


@pytest.mark.parametrize(
    "data",
    [b"not json", b"", b"[1, 2]", b'"a string"', b"42", b"null", b'{"a": '],
    ids=["text", "empty", "array", "string", "number", "null", "truncated"],
)
def test_non_object_bodies_get_400(client, data):
    response = client.post(
        "/start_container", headers={**AUTH, "Content-Type": "application/json"}, data=data
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_oversized_body_gets_413(client):
    body = {**VALID, "env": {f"V{i}": "x" * 4000 for i in range(40)}}
    response = client.post("/start_container", headers=AUTH, json=body)
    assert response.status_code == 413
    assert response.json["error"] == "request_entity_too_large"


def test_image_off_the_allowlist_is_refused_with_403(client):
    response = client.post("/start_container", headers=AUTH, json={**VALID, "image": "debian:bookworm"})
    assert response.status_code == 403
    assert response.json["error"] == "image_not_allowed"


@pytest.mark.parametrize("body", [{"timeout": -1}, {"timeout": "5"}, {"timeout": 1000}, {"force": True}, [1]])
def test_invalid_stop_bodies_are_refused(client, body):
    response = client.post("/stop_container/booking-1", headers=AUTH, json=body)
    assert response.status_code in (400, 422)
    assert response.json["error"] in ("invalid_request", "validation_error")


@pytest.mark.parametrize("name", ["-leading-dash", "a" * 200, "sp ace"])
def test_invalid_container_names_are_refused(client, name):
    response = client.post(f"/stop_container/{name}", headers=AUTH)
    assert response.status_code == 422
    assert response.json["error"] == "validation_error"
