"""Payload builders shared by the controller tests."""

from datetime import UTC, datetime, timedelta


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
