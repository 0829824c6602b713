"""Start, stop and list booking containers on the real Docker engine."""

import threading
import time

import pytest
import requests

from agent.runtime import BOOKING_LABEL, CONTROLLER_LABEL, MANAGED_LABEL
from tests.agent.conftest import AUTH, free_port, make_config
from tests.dockerimages import INDEX_HTML

pytestmark = pytest.mark.docker


def start(client, body):
    return client.post("/start_container", headers=AUTH, json=body)


def stop(client, name, **body):
    return client.post(f"/stop_container/{name}", headers=AUTH, json=body or None)


def wait_for_http(url, deadline=10.0):
    end = time.monotonic() + deadline
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def test_container_gets_exactly_the_booked_limits_and_hardening(client, docker_client, start_body):
    body = start_body(cpu_cores=1.5, memory_gb=0.375, env={"JUPYTER_TOKEN": "abc"})
    response = start(client, body)
    assert response.status_code == 201, response.json
    assert response.json["name"] == f"booking-{body['booking_id']}"

    attrs = docker_client.api.inspect_container(response.json["id"])
    host = attrs["HostConfig"]
    assert host["NanoCpus"] == 1_500_000_000
    assert host["Memory"] == 384 * 2**20
    assert host["MemorySwap"] == host["Memory"]
    assert host["PidsLimit"] == make_config().pids_limit
    assert host["CapDrop"] == ["ALL"]
    assert not host.get("CapAdd")
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Privileged"] is False
    assert host["Init"] is True
    assert not host.get("Binds")
    assert not host.get("Mounts")
    assert attrs["Mounts"] == []
    assert not host.get("DeviceRequests")
    labels = attrs["Config"]["Labels"]
    assert labels[MANAGED_LABEL] == "true"
    assert labels[BOOKING_LABEL] == body["booking_id"]
    assert "JUPYTER_TOKEN=abc" in attrs["Config"]["Env"]


def test_session_port_is_published_on_loopback_in_range_and_answers(client, docker_client, start_body):
    response = start(client, start_body())
    assert response.status_code == 201
    data = response.json
    assert data["host"] == "127.0.0.1"
    assert 20000 <= data["port"] <= 20999
    assert data["status"] == "running"

    bindings = docker_client.api.inspect_container(data["id"])["HostConfig"]["PortBindings"]
    assert bindings == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(data["port"])}]}
    page = wait_for_http(f"http://{data['host']}:{data['port']}/")
    assert page.status_code == 200
    assert page.content == INDEX_HTML


def test_start_is_idempotent_for_a_running_container(client, start_body):
    body = start_body()
    first = start(client, body)
    second = start(client, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json["id"] == first.json["id"]
    assert second.json["port"] == first.json["port"]
    assert second.json["created"] is False


def test_concurrent_starts_of_one_booking_make_one_container(app, docker_client, start_body):
    body = start_body()
    results = []

    def worker():
        results.append(app.test_client().post("/start_container", headers=AUTH, json=body))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in results) == [200, 200, 200, 201]
    assert len({r.json["id"] for r in results}) == 1


def test_concurrent_bookings_get_distinct_host_ports(app, start_body):
    bodies = [start_body() for _ in range(4)]
    results = []

    def worker(body):
        results.append(app.test_client().post("/start_container", headers=AUTH, json=body))

    threads = [threading.Thread(target=worker, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.status_code == 201 for r in results)
    assert len({r.json["port"] for r in results}) == 4


def test_exited_container_is_restarted_in_place(client, docker_client, start_body):
    body = start_body(command=["/bin/sleep", "3600"], port=None)
    first = start(client, body)
    docker_client.api.kill(first.json["id"])
    docker_client.api.wait(first.json["id"], timeout=10)

    again = start(client, body)
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert again.json["status"] == "running"
    assert again.json["port"] is None


def test_same_booking_with_other_limits_is_a_conflict(client, start_body):
    body = start_body()
    assert start(client, body).status_code == 201
    response = start(client, {**body, "cpu_cores": 1})
    assert response.status_code == 409
    assert response.json["error"] == "booking_conflict"


def test_stop_removes_the_container_and_is_idempotent(client, docker_client, start_body):
    started = start(client, start_body()).json
    first = stop(client, started["name"])
    assert first.status_code == 200
    assert first.json == {
        "name": started["name"],
        "id": started["id"],
        "stopped": True,
        "removed": True,
        "already_gone": False,
    }
    assert docker_client.containers.list(all=True, filters={"id": started["id"]}) == []

    second = stop(client, started["name"])
    assert second.status_code == 200
    assert second.json["already_gone"] is True


def test_stop_of_an_exited_managed_container_removes_it(client, docker_client, start_body):
    started = start(client, start_body(command=["/bin/true"], port=None)).json
    docker_client.api.wait(started["id"], timeout=10)
    response = stop(client, started["name"])
    assert response.json["removed"] is True
    assert response.json["stopped"] is False


def test_init_lets_a_pid1_that_ignores_sigterm_stop_quickly(client, docker_client, test_image, start_body):
    # Control: without an init, `sleep` as PID 1 ignores SIGTERM and Docker waits the
    # whole timeout before SIGKILL.
    control = docker_client.containers.run(
        test_image, ["/bin/sleep", "3600"], detach=True, labels={"lab.test.suite": "agent"}
    )
    try:
        t0 = time.monotonic()
        control.stop(timeout=2)
        assert time.monotonic() - t0 >= 1.8
    finally:
        control.remove(force=True)

    started = start(client, start_body(command=["/bin/sleep", "3600"], port=None)).json
    t0 = time.monotonic()
    response = stop(client, started["name"])  # default timeout: 10 s
    assert response.json["removed"] is True
    assert time.monotonic() - t0 < 3


def test_a_process_trapping_sigterm_is_killed_after_the_timeout(client, start_body):
    command = ["/bin/sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
    started = start(client, start_body(command=command, port=None)).json
    t0 = time.monotonic()
    response = stop(client, started["name"], timeout=1)
    elapsed = time.monotonic() - t0
    assert response.json["removed"] is True
    assert 0.9 <= elapsed < 5


def test_stop_refuses_a_container_it_did_not_create(client, unmanaged_container):
    container = unmanaged_container()
    response = stop(client, container.name)
    assert response.status_code == 403
    assert response.json["error"] == "not_managed"
    container.reload()
    assert container.status == "running"


def test_stop_by_id_prefix_never_reaches_another_container(client, unmanaged_container):
    container = unmanaged_container()
    response = stop(client, container.id[:12])
    assert response.status_code == 200
    assert response.json["already_gone"] is True
    container.reload()
    assert container.status == "running"


def test_start_refuses_a_name_held_by_an_unmanaged_container(client, unmanaged_container, start_body):
    body = start_body()
    container = unmanaged_container(name=f"booking-{body['booking_id']}")
    response = start(client, body)
    assert response.status_code == 409
    assert response.json["error"] == "name_conflict"
    assert stop(client, container.name).status_code == 403
    container.reload()
    assert container.status == "running"


def test_allowed_image_that_is_not_present_is_a_clear_422(client, start_body):
    response = start(client, start_body(image="lab-test/absent:1"))
    assert response.status_code == 422
    assert response.json["error"] == "image_not_present"


def test_gpus_on_a_node_without_gpus_is_a_409(app, client, start_body):
    app.extensions["agent_runtime"]._gpu_inventory = lambda: []
    response = start(client, start_body(gpu_count=1))
    assert response.status_code == 409
    assert response.json["error"] == "no_gpus"


def test_exhausted_port_range_is_a_409(docker_client, start_body):
    from agent.app import create_app

    port = free_port()
    client = create_app(make_config(port_range=(port, port))).test_client()
    assert start(client, start_body()).json["port"] == port
    response = start(client, start_body())
    assert response.status_code == 409
    assert response.json["error"] == "no_free_port"


def test_containers_lists_managed_ones_with_usage(client, start_body, unmanaged_container):
    unmanaged = unmanaged_container()
    started = start(client, start_body()).json
    t0 = time.monotonic()
    response = client.get("/containers", headers=AUTH)
    assert time.monotonic() - t0 < 5
    assert response.status_code == 200
    by_id = {c["id"]: c for c in response.json["containers"]}
    assert unmanaged.id not in by_id
    mine = by_id[started["id"]]
    assert mine["booking_id"] == started["booking_id"]
    assert mine["status"] == "running"
    assert mine["started_at"]
    assert mine["cpu_cores"] == 0.5
    assert mine["usage"]["memory_limit_bytes"] == 2**28
    assert mine["usage"]["pids"] >= 1

    quick = client.get("/containers?usage=0", headers=AUTH).json["containers"]
    assert {c["id"]: c["usage"] for c in quick}[started["id"]] is None


@pytest.mark.parametrize(
    "image,allowed,present",
    [
        ("lab-test/busybox:latest", True, True),
        ("lab-test/busybox", True, True),
        ("lab-test/absent:1", True, False),
        ("debian:bookworm", False, False),
    ],
)
def test_test_image_reports_presence_and_allowance(client, test_image, image, allowed, present):
    response = client.post(f"/test_image/{image}", headers=AUTH)
    assert response.status_code == 200
    assert (response.json["allowed"], response.json["present"]) == (allowed, present)
    assert response.json["usable"] == (allowed and present)


def test_on_a_session_network_nothing_is_published_and_the_proxy_reaches_it_by_name(
        docker_client, start_body, test_image):
    """The compose stack's mode: sessions sit on an internal network that the
    proxy shares, and no host port is opened at all."""
    from agent.app import create_app

    network = docker_client.networks.create(f"lab-test-sessions-{time.monotonic_ns()}", internal=True)
    try:
        client = create_app(make_config(session_network=network.name)).test_client()
        response = start(client, start_body())
        assert response.status_code == 201, response.json
        data = response.json
        assert (data["host"], data["port"]) == (data["name"], 8080)
        attrs = docker_client.api.inspect_container(data["id"])
        assert not attrs["HostConfig"]["PortBindings"]
        assert list(attrs["NetworkSettings"]["Networks"]) == [network.name]
        fetched = docker_client.containers.run(
            test_image, ["/bin/busybox", "wget", "-q", "-O", "-", f"http://{data['name']}:8080/"],
            network=network.name, remove=True)
        assert fetched == INDEX_HTML
        assert stop(client, data["name"]).status_code == 200
    finally:
        network.remove()


def test_on_a_session_network_a_published_session_is_reached_on_the_node(docker_client, start_body):
    """A session that is not HTTP (SSH) asks to be published: no proxy carries
    it, so it keeps off the internal session network and its port is opened on
    the publish address, as on a node without one."""
    from agent.app import create_app

    network = docker_client.networks.create(f"lab-test-sessions-{time.monotonic_ns()}", internal=True)
    try:
        client = create_app(make_config(session_network=network.name)).test_client()
        body = start_body(publish=True)
        response = start(client, body)
        assert response.status_code == 201, response.json
        data = response.json
        assert data["host"] == "127.0.0.1" and data["port"] != 8080
        attrs = docker_client.api.inspect_container(data["id"])
        assert attrs["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostIp"] == "127.0.0.1"
        assert network.name not in attrs["NetworkSettings"]["Networks"]
        page = None
        for _ in range(50):
            try:
                page = requests.get(f"http://127.0.0.1:{data['port']}/", timeout=2).content
                break
            except requests.RequestException:
                time.sleep(0.1)
        assert page == INDEX_HTML
        again = start(client, body)  # idempotent
        assert again.status_code == 200 and again.json["id"] == data["id"]
        assert stop(client, data["name"]).status_code == 200
    finally:
        network.remove()


def test_health_reports_node_and_docker_facts(client, start_body):
    start(client, start_body(port=None, command=["/bin/sleep", "3600"]))
    response = client.get("/health", headers=AUTH)
    assert response.status_code == 200
    data = response.json
    assert data["status"] == "ok"
    assert data["docker"]["reachable"] is True
    assert data["docker"]["api_version"]
    assert data["cpu"]["count"] >= 1
    assert len(data["cpu"]["load_avg"]) == 3
    assert data["memory"]["total_bytes"] >= data["memory"]["available_bytes"] > 0
    assert data["disk"]["total_bytes"] > 0
    assert data["containers"]["running_managed"] >= 1
    assert data["gpus"] == []
    assert data["agent_version"]


def test_health_lists_the_allowed_images_present_on_the_node(client, start_body, test_image, docker_client):
    docker_client.images.get(test_image).tag("lab-other/not-allowed", "v1")
    try:
        images = client.get("/health", headers=AUTH).json["images"]
    finally:
        docker_client.images.remove("lab-other/not-allowed:v1")
    assert test_image in images or f"{test_image}:latest" in images
    assert all(image.startswith("lab-test/") for image in images)


def test_agents_sharing_an_engine_never_touch_each_others_sessions(client, start_body):
    """Two agents on one engine (the compose demo) list and stop only their own."""
    from agent.app import create_app

    neighbour = create_app(make_config(node_id="neighbour")).test_client()
    mine = start(client, start_body()).json
    assert [c["name"] for c in neighbour.get("/containers?usage=0", headers=AUTH).json["containers"]] == []
    refused = stop(neighbour, mine["name"])
    assert refused.status_code == 403 and refused.json["error"] == "not_managed"
    listed = client.get("/containers?usage=0", headers=AUTH).json["containers"]
    assert [c["name"] for c in listed] == [mine["name"]]
    assert [c["status"] for c in listed] == ["running"]


def test_node_id_is_validated():
    from agent.config import ConfigError

    with pytest.raises(ConfigError):
        make_config(node_id="has space")


def test_controllers_sharing_an_engine_get_their_own_container_for_the_same_booking_id(client, docker_client,
                                                                                        start_body):
    """Two controllers number their bookings alike: the controller's id in the
    name and label keeps their sessions apart, a listing asked for one never
    shows the other's, and a repeated start or stop stays harmless."""
    body = start_body()
    first = start(client, {**body, "controller_id": "ctla"})
    second = start(client, {**body, "controller_id": "ctlb"})
    legacy = start(client, body)  # a controller that sends no id: the name it always had
    try:
        assert [r.status_code for r in (first, second, legacy)] == [201, 201, 201]
        assert first.json["name"] == f"booking-ctla-{body['booking_id']}"
        assert second.json["name"] == f"booking-ctlb-{body['booking_id']}"
        assert legacy.json["name"] == f"booking-{body['booking_id']}"
        assert len({first.json["id"], second.json["id"], legacy.json["id"]}) == 3
        labels = docker_client.api.inspect_container(first.json["id"])["Config"]["Labels"]
        assert (labels[CONTROLLER_LABEL], labels[BOOKING_LABEL]) == ("ctla", body["booking_id"])
        again = start(client, {**body, "controller_id": "ctla"})
        assert (again.status_code, again.json["id"]) == (200, first.json["id"])

        def names(query=""):
            return {c["name"] for c in client.get(f"/containers?usage=0{query}", headers=AUTH).json["containers"]}

        assert names("&controller=ctla") == {first.json["name"], legacy.json["name"]}
        assert names("&controller=ctlb") == {second.json["name"], legacy.json["name"]}
        assert names() == {first.json["name"], second.json["name"], legacy.json["name"]}
        assert stop(client, first.json["name"]).json["removed"] is True
        assert stop(client, first.json["name"]).json["already_gone"] is True
        assert names("&controller=ctlb") == {second.json["name"], legacy.json["name"]}
    finally:
        for response in (first, second, legacy):
            if response.status_code == 201:
                stop(client, response.json["name"])


@pytest.mark.parametrize("controller_id", ["", "has-dash", "x" * 33, 7])
def test_a_bad_controller_id_is_refused(client, start_body, controller_id):
    response = start(client, {**start_body(), "controller_id": controller_id})
    assert response.status_code == 422 and "controller_id" in response.json["details"]
    if isinstance(controller_id, str) and controller_id:
        listed = client.get(f"/containers?controller={controller_id}", headers=AUTH)
        assert listed.status_code == 422
