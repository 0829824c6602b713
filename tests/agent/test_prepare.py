"""Sessions prepared ahead of their start (`prepare: true`), on the real engine:
created, hardened and paused; the start only unpauses them."""

import threading
import time

import pytest
import requests

from agent.runtime import MANAGED_LABEL
from tests.agent.conftest import AUTH
from tests.agent.test_containers import start, stop, wait_for_http
from tests.dockerimages import INDEX_HTML

pytestmark = pytest.mark.docker


def state(docker_client, name):
    return docker_client.api.inspect_container(name)["State"]


def test_prepare_makes_a_paused_hardened_container_holding_its_port(client, docker_client, start_body):
    body = start_body(env={"SESSION_TOKEN": "s3cret"}, prepare=True)
    response = start(client, body)
    assert response.status_code == 201, response.json
    data = response.json
    assert (data["status"], data["prepared"]) == ("paused", True)
    assert 20000 <= data["port"] <= 20999
    attrs = docker_client.api.inspect_container(data["id"])
    assert attrs["State"]["Paused"] is True
    host = attrs["HostConfig"]
    assert (host["NanoCpus"], host["Memory"], host["CapDrop"], host["Privileged"]) == (
        500_000_000, 2**28, ["ALL"], False)
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert attrs["Config"]["Labels"][MANAGED_LABEL] == "true"
    assert "SESSION_TOKEN=s3cret" in attrs["Config"]["Env"]
    assert host["PortBindings"] == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(data["port"])}]}


def test_prepare_repeated_is_harmless(client, docker_client, start_body):
    body = start_body(prepare=True)
    first = start(client, body)
    second = start(client, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json["id"] == first.json["id"] and second.json["port"] == first.json["port"]
    assert second.json["created"] is False and second.json["status"] == "paused"
    assert len(docker_client.containers.list(all=True, filters={"name": f"^/{first.json['name']}$"})) == 1


def test_start_after_prepare_runs_the_prepared_container(client, docker_client, start_body):
    body = start_body(prepare=True)
    prepared = start(client, body).json
    started = start(client, dict(body, prepare=False))
    assert started.status_code == 200, started.json
    data = started.json
    assert (data["id"], data["port"], data["created"]) == (prepared["id"], prepared["port"], False)
    assert (data["status"], data["prepared"]) == ("running", False)
    current = state(docker_client, data["id"])
    assert current["Running"] is True and current["Paused"] is False
    page = wait_for_http(f"http://127.0.0.1:{data['port']}/")
    assert page.content == INDEX_HTML
    # A start repeated, or a late prepare, leaves the running session running.
    assert start(client, dict(body, prepare=False)).json["status"] == "running"
    assert start(client, body).json["status"] == "running"
    assert state(docker_client, data["id"])["Paused"] is False


def test_prepare_with_other_limits_than_the_prepared_container_is_a_conflict(client, start_body):
    body = start_body(prepare=True)
    assert start(client, body).status_code == 201
    other = start(client, dict(body, cpu_cores=1.0, prepare=False))
    assert other.status_code == 409 and other.json["error"] == "booking_conflict"


def test_stop_removes_a_prepared_container_at_once(client, docker_client, start_body):
    prepared = start(client, start_body(prepare=True)).json
    response = stop(client, prepared["name"], timeout=30)
    assert response.status_code == 200
    assert (response.json["removed"], response.json["stopped"]) == (True, False)
    assert docker_client.containers.list(all=True, filters={"name": f"^/{prepared['name']}$"}) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{prepared['port']}/", timeout=2)


def test_a_start_racing_its_prepare_ends_running_in_one_container(app, docker_client, start_body):
    body = start_body(prepare=True)
    answers = {}

    def call(kind, payload):
        answers[kind] = app.test_client().post("/start_container", headers=AUTH, json=payload)

    threads = [threading.Thread(target=call, args=("prepare", body)),
               threading.Thread(target=call, args=("start", dict(body, prepare=False)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {answers["prepare"].status_code, answers["start"].status_code} <= {200, 201}
    name = answers["start"].json["name"]
    assert len(docker_client.containers.list(all=True, filters={"name": f"^/{name}$"})) == 1
    current = state(docker_client, name)
    assert current["Running"] is True and current["Paused"] is False


def test_listing_tells_prepared_containers_from_running_ones(client, start_body):
    prepared = start(client, start_body(prepare=True)).json
    running = start(client, start_body()).json
    listed = {c["name"]: c for c in client.get("/containers?usage=0", headers=AUTH).json["containers"]}
    assert (listed[prepared["name"]]["status"], listed[prepared["name"]]["prepared"]) == ("paused", True)
    assert (listed[running["name"]]["status"], listed[running["name"]]["prepared"]) == ("running", False)


def test_a_start_sent_ahead_runs_the_prepared_container_at_its_instant_not_before(app, client, docker_client,
                                                                                  start_body):
    body = start_body(prepare=True)
    name = start(client, body).json["name"]
    answer = {}

    def start_ahead():
        answer["response"] = app.test_client().post("/start_container", headers=AUTH,
                                                    json=dict(body, prepare=False, start_in=1.0))
        answer["at"] = time.monotonic()

    sent = time.monotonic()
    thread = threading.Thread(target=start_ahead)
    thread.start()
    time.sleep(0.6)
    assert state(docker_client, name)["Paused"] is True  # held: not yet
    thread.join()
    assert answer["response"].status_code == 200, answer["response"].json
    assert answer["response"].json["status"] == "running"
    assert answer["at"] - sent >= 1.0
    assert state(docker_client, name)["Paused"] is False


@pytest.mark.parametrize("start_in", [-1, 11, "1", True])
def test_start_in_must_be_a_number_of_seconds_up_to_ten(client, start_body, start_in):
    response = start(client, start_body(start_in=start_in))
    assert response.status_code == 422 and "start_in" in response.json["details"]


def test_a_start_sent_ahead_for_other_limits_is_refused_at_once_not_at_its_instant(client, start_body):
    body = start_body(prepare=True)
    assert start(client, body).status_code == 201
    sent = time.monotonic()
    response = start(client, dict(body, prepare=False, cpu_cores=1.0, start_in=5))
    assert response.status_code == 409 and response.json["error"] == "booking_conflict"
    assert time.monotonic() - sent < 3
