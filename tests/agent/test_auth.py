"""Every endpoint but /livez needs the bearer token; errors share one JSON shape."""

import pytest

from tests.agent.conftest import AUTH, TOKEN

PROTECTED = [
    ("GET", "/health"),
    ("GET", "/containers"),
    ("POST", "/start_container"),
    ("POST", "/stop_container/booking-1"),
    ("POST", "/test_image/lab-test/busybox:latest"),
    ("GET", "/no-such-route"),
]
BAD_HEADERS = {
    "missing": {},
    "wrong token": {"Authorization": "Bearer " + "y" * len(TOKEN)},
    "token prefix": {"Authorization": "Bearer " + TOKEN[:-1]},
    "token with suffix": {"Authorization": f"Bearer {TOKEN}x"},
    "wrong scheme": {"Authorization": f"Basic {TOKEN}"},
    "bare token": {"Authorization": TOKEN},
    "empty bearer": {"Authorization": "Bearer "},
}


@pytest.mark.parametrize("method,path", PROTECTED)
@pytest.mark.parametrize("headers", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_protected_endpoints_answer_401_without_the_token(client, method, path, headers):
    response = client.open(path, method=method, headers=headers, json={})
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert set(response.json) == {"error", "message", "details"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_scheme_is_case_insensitive(client):
    response = client.get("/no-such-route", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 404


def test_livez_needs_no_token_and_reveals_nothing(client):
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_unknown_route_gives_json_404_with_token(client):
    response = client.get("/no-such-route", headers=AUTH)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"
    assert set(response.json) == {"error", "message", "details"}


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/start_container"), ("DELETE", "/containers"), ("POST", "/livez")],
)
def test_wrong_method_gives_json_405(client, method, path):
    response = client.open(path, method=method, headers=AUTH)
    assert response.status_code == 405
    assert response.json["error"] == "method_not_allowed"
    assert "Allow" in response.headers


def test_insecure_dev_mode_opens_the_endpoints(config):
    from dataclasses import replace

    from agent.app import create_app

    app = create_app(replace(config, token=None, insecure_dev=True))
    response = app.test_client().get("/no-such-route")
    assert response.status_code == 404
