"""Every booking validation rule: bad input gets 4xx with field errors and
changes nothing."""

from datetime import timedelta

import pytest

from controller.extensions import db
from controller.models import Booking
from tests.controller.helpers import assert_error, booking_payload, future, iso


@pytest.fixture(autouse=True)
def _lab_has_a_node(node):
    return node


def now_iso(hours=0.0):
    return iso(future(hours))


BAD_BOOKINGS = [
    ("start in the past", {"start_time": now_iso(-1), "end_time": now_iso(1)}, "start_time"),
    ("end before start", {"start_time": now_iso(3), "end_time": now_iso(2)}, "end_time"),
    ("end equals start", {"start_time": now_iso(3), "end_time": now_iso(3)}, "end_time"),
    ("too long", {"start_time": now_iso(1), "end_time": now_iso(1 + 73)}, "end_time"),
    ("beyond horizon", {"start_time": now_iso(24 * 31), "end_time": now_iso(24 * 31 + 1)}, "end_time"),
    ("naive time", {"start_time": "2030-01-01T10:00:00"}, "start_time"),
    ("not a time", {"start_time": "next tuesday"}, "start_time"),
    ("number as time", {"start_time": 1700000000}, "start_time"),
    ("zero cores", {"cpu_cores": 0}, "cpu_cores"),
    ("negative cores", {"cpu_cores": -2}, "cpu_cores"),
    ("fractional cores", {"cpu_cores": 1.5}, "cpu_cores"),
    ("string cores", {"cpu_cores": "2"}, "cpu_cores"),
    ("boolean cores", {"cpu_cores": True}, "cpu_cores"),
    ("more cores than any node", {"cpu_cores": 9}, "cpu_cores"),
    ("zero memory", {"memory_gb": 0}, "memory_gb"),
    ("more memory than any node", {"memory_gb": 33}, "memory_gb"),
    ("nan memory", {"memory_gb": "NaN"}, "memory_gb"),
    ("huge memory", {"memory_gb": 1e300}, "memory_gb"),
    ("negative gpus", {"gpu_count": -1}, "gpu_count"),
    ("more gpus than any node", {"gpu_count": 2}, "gpu_count"),
    ("image off the list", {"image": "evil/miner:latest"}, "image"),
    ("empty image", {"image": ""}, "image"),
    ("purpose too long", {"purpose": "x" * 501}, "purpose"),
    ("unknown field", {"status": "approved"}, "status"),
    ("unknown field agent", {"agent_id": 1}, "agent_id"),
    ("null cores", {"cpu_cores": None}, "cpu_cores"),
    ("bad tag", {"tags": ["no spaces allowed"]}, "tags"),
    ("shorter than the minimum", {"start_time": now_iso(1), "end_time": now_iso(1 + 10 / 60)}, "end_time"),
    ("less memory than the minimum", {"memory_gb": 0.4}, "memory_gb"),
    ("ends beyond the horizon", {"start_time": now_iso(24 * 30 - 1), "end_time": now_iso(24 * 30 + 1)}, "end_time"),
    ("more gpus than the agent takes", {"gpu_count": 17}, "gpu_count"),
]


@pytest.mark.parametrize(("case", "override", "field"), BAD_BOOKINGS, ids=[c[0] for c in BAD_BOOKINGS])
def test_bad_booking_requests_are_rejected_with_field_errors(client, student_headers, case, override, field):
    response = client.post("/api/student/book", headers=student_headers, json={**booking_payload(), **override})
    body = assert_error(response, 422, "validation_error")
    assert field in body["details"], body
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize("raw", ["", "not json", "{", "null", "[]", "123", '"text"', "{\"a\": }"])
def test_malformed_bodies_get_a_4xx_json_error(client, student_headers, raw):
    response = client.post("/api/student/book", headers={**student_headers, "Content-Type": "application/json"},
                           data=raw)
    assert response.status_code in (400, 422)
    assert set(response.get_json()) == {"error", "message", "details"}
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0


def test_oversized_body_is_413(client, student_headers):
    response = client.post("/api/student/book", headers=student_headers,
                           json={**booking_payload(), "purpose": "x" * 100_000})
    assert_error(response, 413, "payload_too_large")


def test_limits_follow_configuration(app, client, student_headers):
    app.config["BOOKING_MAX_HOURS"] = 1
    body = assert_error(client.post("/api/student/book", headers=student_headers, json=booking_payload(1, 2)), 422)
    assert "at most 1 hours" in body["details"]["end_time"][0]
    app.config["BOOKING_MAX_HOURS"] = 4
    assert client.post("/api/student/book", headers=student_headers, json=booking_payload(1, 2)).status_code == 201


def test_the_lab_default_image_is_used_when_none_is_given(client, student_headers):
    payload = booking_payload()
    body = client.post("/api/student/book", headers=student_headers, json=payload).get_json()
    assert body["image"] == "jupyter/base-notebook:latest"
    other = client.post("/api/student/book", headers=student_headers,
                        json=booking_payload(5, 1, image="lab/ssh:latest")).get_json()
    assert other["image"] == "lab/ssh:latest"


def test_availability_validates_like_booking(client, student_headers):
    response = client.post("/api/student/availability", headers=student_headers,
                           json={**booking_payload(), "end_time": iso(future(-1) - timedelta(hours=1))})
    assert_error(response, 422, "validation_error")


def test_the_options_carry_exactly_the_limits_the_api_enforces(app, client, student_headers):
    app.config.update(BOOKING_MIN_MINUTES=5, BOOKING_MIN_MEMORY_GB=0.25)
    limits = client.get("/api/student/options", headers=student_headers).get_json()["limits"]
    assert limits == {"min_cpu_cores": 1, "max_cpu_cores": 8, "min_memory_gb": 0.25, "max_memory_gb": 32,
                      "max_gpu_count": 1, "min_duration_minutes": 5, "max_duration_hours": 72,
                      "horizon_days": 30}
    ten_minutes = booking_payload(1, 10 / 60, memory_gb=0.25)
    assert client.post("/api/student/book", headers=student_headers, json=ten_minutes).status_code == 201
    app.config["BOOKING_MIN_MINUTES"] = 15
    body = assert_error(client.post("/api/student/book", headers=student_headers,
                                    json=booking_payload(5, 10 / 60)), 422, "validation_error")
    assert body["details"]["end_time"] == ["A booking lasts at least 15 minutes."]


def test_a_request_no_single_node_can_hold_is_refused(client, student_headers, factory):
    factory.agent(cpu_cores=16, memory_gb=8)  # the most cores; the autouse node has the most memory
    body = assert_error(client.post("/api/student/book", headers=student_headers,
                                    json=booking_payload(cpu_cores=16, memory_gb=32)), 422, "validation_error")
    assert "No single node" in body["message"] and body["details"]["_schema"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0
    assert client.post("/api/student/book", headers=student_headers,
                       json=booking_payload(cpu_cores=16, memory_gb=8)).status_code == 201


def test_a_request_needing_tags_no_big_enough_node_carries_is_refused(client, student_headers, factory):
    factory.agent(cpu_cores=2, memory_gb=4, tags=["fast-disk"])
    body = assert_error(client.post("/api/student/book", headers=student_headers,
                                    json=booking_payload(cpu_cores=4, tags=["fast-disk"])), 422)
    assert "fast-disk" in body["message"]
    assert client.post("/api/student/book", headers=student_headers,
                       json=booking_payload(cpu_cores=2, tags=["fast-disk"])).status_code == 201
