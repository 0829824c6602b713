"""Payload builders shared by the controller tests."""

import time
from datetime import UTC, datetime, timedelta

from controller.extensions import db
from controller.models import Booking, utcnow
from controller.services import lifecycle


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def future(hours: float = 1, minutes: float = 0) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours, minutes=minutes)


def booking_payload(start_in_hours: float = 1, hours: float = 2, **overrides) -> dict:
    start = future(start_in_hours)
    payload = {
        "start_time": iso(start),
        "end_time": iso(start + timedelta(hours=hours)),
        "cpu_cores": 2,
        "memory_gb": 4,
    }
    payload.update(overrides)
    return payload


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "message", "details"}, body
    assert isinstance(body["message"], str) and body["message"]
    if code:
        assert body["error"] == code, body
    return body


def approve(client, headers, booking_id: int, **body):
    """POST an approval as the admin whose `headers` these are."""
    return client.post(f"/api/admin/approve/{booking_id}", headers=headers, json=body)


def start_now(factory, node, image, duration: timedelta = timedelta(seconds=60)) -> Booking:
    """An approved booking on `node` starting now, started by the lifecycle's tick."""
    booking = factory.approved(node, image, start_in=timedelta(seconds=0.2), duration=duration)
    time.sleep(max(0.0, (booking.start_time - utcnow()).total_seconds()))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lifecycle.tick()
        db.session.expire_all()
        if db.session.get(Booking, booking.id).status == "active":
            return db.session.get(Booking, booking.id)
        time.sleep(0.2)
    raise AssertionError("the session did not start")
