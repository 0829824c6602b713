"""Every endpoint for each role and anonymous."""

import pytest

from tests.controller.conftest import bearer
from tests.controller.helpers import booking_payload

STUDENT_ENDPOINTS = [
    ("GET", "/api/auth/me", None),
    ("POST", "/api/auth/logout", {}),
    ("GET", "/api/student/options", None),
    ("POST", "/api/student/availability", "booking"),
    ("POST", "/api/student/book", "booking"),
    ("GET", "/api/student/bookings", None),
    ("GET", "/api/student/bookings/{booking}", None),
    ("POST", "/api/student/bookings/{booking}/cancel", None),
    ("GET", "/api/student/profile", None),
]
ADMIN_ENDPOINTS = [
    ("GET", "/api/admin/bookings", None),
    ("GET", "/api/admin/bookings/{booking}", None),
    ("POST", "/api/admin/approve/{booking}", {}),
    ("POST", "/api/admin/reject/{booking}", {"reason": "no"}),
    ("POST", "/api/admin/extend/{booking}", {"minutes": 5}),
    ("POST", "/api/admin/bookings/{booking}/cancel", {}),
    ("POST", "/api/admin/bulk", {"action": "approve", "ids": [1]}),
    ("GET", "/api/admin/agents", None),
    ("POST", "/api/admin/agents", {"name": "x", "url": "http://127.0.0.1:1", "cpu_cores": 1, "memory_gb": 1}),
    ("PATCH", "/api/admin/agents/{agent}", {"cpu_cores": 16}),
    ("POST", "/api/admin/agents/{agent}/status", {"status": "maintenance"}),
    ("GET", "/api/admin/users", None),
    ("POST", "/api/admin/users/{owner_id}/status", {"is_active": True}),
    ("GET", "/api/admin/stats", None),
]


@pytest.fixture
def world(factory):
    agent = factory.agent()
    owner = factory.user()
    booking = factory.booking(owner)
    return {"agent": agent.id, "booking": booking.id, "owner": owner, "owner_id": owner.id}


def call(client, method, path, body, world, headers):
    url = path.format(**world)
    payload = booking_payload() if body == "booking" else body
    return client.open(url, method=method, headers=headers, json=payload)


@pytest.mark.parametrize(("method", "path", "body"), STUDENT_ENDPOINTS + ADMIN_ENDPOINTS + [
    ("POST", "/api/auth/refresh", None)])
def test_anonymous_gets_401_everywhere(client, world, method, path, body):
    response = call(client, method, path, body, world, {})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
def test_students_get_403_on_admin_endpoints(client, world, method, path, body):
    response = call(client, method, path, body, world, bearer(world["owner"]))
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
def test_admins_reach_admin_endpoints(client, world, admin_headers, method, path, body):
    response = call(client, method, path, body, world, admin_headers)
    assert response.status_code < 500 and response.status_code not in (401, 403), response.get_json()


@pytest.mark.parametrize(("method", "path", "body"), STUDENT_ENDPOINTS)
def test_the_owner_reaches_student_endpoints(client, world, method, path, body):
    response = call(client, method, path, body, world, bearer(world["owner"]))
    assert response.status_code in (200, 201, 409), response.get_json()


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in STUDENT_ENDPOINTS if "{booking}" in p])
def test_another_student_gets_404_on_someone_elses_booking(client, world, factory, method, path):
    response = call(client, method, path, None, world, bearer(factory.user()))
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_health_is_open_and_tells_nothing_secret(client):
    assert client.get("/api/health").get_json() == {"status": "ok", "database": "ok"}
