"""Hostile bodies get a 4xx in the one error shape before anything reaches
Docker: JSON nested past the parser's recursion limit is a 400, not a 500."""

import pytest

from tests.agent.conftest import AUTH

DEEP_BODIES = {
    "30000-deep array": "[" * 30000 + "]" * 30000,
    "12000-deep object": '{"":' * 12000 + "1" + "}" * 12000,  # 60 KB, under the body cap
    "deep value in a field": '{"booking_id": 1, "env": ' + "[" * 20000 + "]" * 20000 + "}",
}


@pytest.mark.parametrize("raw", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
@pytest.mark.parametrize("path", ["/start_container", "/stop_container/booking-1"])
def test_deeply_nested_json_is_a_400(client, path, raw):
    response = client.post(path, headers={**AUTH, "Content-Type": "application/json"}, data=raw)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error", "message", "details"}
    assert body["error"] == "invalid_request" and "nested" in body["message"]


def test_deep_json_without_a_token_is_still_401(client):
    response = client.post("/start_container", headers={"Content-Type": "application/json"},
                           data="[" * 30000 + "]" * 30000)
    assert response.status_code == 401
