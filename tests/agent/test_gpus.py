"""GPUs are handed out as explicit device ids, never shared between bookings."""

import pytest

from agent.errors import GpusUnavailable, NoGpus
from agent.runtime import GPUS_LABEL, DockerRuntime, choose_gpus, image_allowed
from tests.agent.conftest import AUTH

FAKE_GPUS = [{"uuid": "GPU-aaaa", "index": 0}, {"uuid": "GPU-bbbb", "index": 1}]


def test_choose_gpus_takes_free_ones_in_inventory_order():
    assert choose_gpus(["a", "b", "c"], {"a": "booking-1"}, 2) == ["b", "c"]
    assert choose_gpus([], {}, 0) == []


def test_choose_gpus_without_gpus_is_a_clear_error():
    with pytest.raises(NoGpus):
        choose_gpus([], {}, 1)


def test_choose_gpus_never_shares_a_busy_gpu():
    with pytest.raises(GpusUnavailable):
        choose_gpus(["a", "b"], {"a": "1"}, 2)


@pytest.mark.parametrize(
    "image,patterns,allowed",
    [
        ("lab/jupyter", ["lab/jupyter"], True),
        ("lab/jupyter:latest", ["lab/jupyter"], True),
        ("lab/jupyter", ["lab/jupyter:latest"], True),
        ("lab/jupyter:dev", ["lab/jupyter"], False),
        ("lab/jupyter:cuda-12", ["lab/*:cuda-*"], True),
        ("evil/jupyter", ["lab/*"], False),
        ("lab/jupyter", [], False),
        ("localhost:5000/lab/jupyter", ["lab/*"], False),
    ],
)
def test_image_allowlist_matching(image, patterns, allowed):
    assert image_allowed(image, patterns) is allowed


class _NoStartRuntime(DockerRuntime):
    """This engine has no NVIDIA runtime: containers are created but never started,
    so the device requests Docker stored can be inspected."""

    def _docker(self, method, *args, **kwargs):
        if method == "start":
            return None
        return super()._docker(method, *args, **kwargs)


@pytest.mark.docker
def test_bookings_get_distinct_explicit_gpu_ids(config, docker_client, start_body):
    from agent.app import create_app

    runtime = _NoStartRuntime(config, gpu_inventory=lambda: FAKE_GPUS)
    client = create_app(config, runtime=runtime).test_client()

    first = client.post("/start_container", headers=AUTH, json=start_body(gpu_count=1))
    second = client.post("/start_container", headers=AUTH, json=start_body(gpu_count=1))
    third = client.post("/start_container", headers=AUTH, json=start_body(gpu_count=1))

    assert (first.status_code, second.status_code) == (201, 201)
    assert third.status_code == 409
    assert third.json["error"] == "gpus_unavailable"
    ids = []
    for response in (first, second):
        attrs = docker_client.api.inspect_container(response.json["id"])
        (request,) = attrs["HostConfig"]["DeviceRequests"]
        assert request["Count"] == 0
        assert request["Capabilities"] == [["gpu"]]
        assert attrs["Config"]["Labels"][GPUS_LABEL] == ",".join(request["DeviceIDs"])
        ids += request["DeviceIDs"]
    assert sorted(ids) == ["GPU-aaaa", "GPU-bbbb"]
    assert first.json["gpus"] != second.json["gpus"]
