"""The contract between the controller and the node agent. They ship as
separate images, so each keeps its own side; this test imports both and
fails when they disagree: resource caps, field names, the error shape and
which errors are permanent."""

from types import SimpleNamespace

import pytest
from marshmallow import fields as ma_fields
from marshmallow import validate

from agent import errors as agent_errors
from agent import schemas as agent_schemas
from agent.app import create_app as create_agent_app
from agent.runtime import SessionSpec
from controller import schemas as controller_schemas
from controller.config import Config, ConfigError, check_config
from controller.extensions import db
from controller.models import Setting
from controller.services import agent_client, bookings, lifecycle
from tests.agent.conftest import AUTH, make_config


def _range_max(field) -> int:
    (rng,) = [v for v in field.validators if isinstance(v, validate.Range)]
    return rng.max


def test_gpu_caps_agree():
    controller_cap = _range_max(controller_schemas.ResourceRequestSchema().fields["gpu_count"])
    agent_cap = _range_max(agent_schemas.StartContainerSchema(max_cpu_cores=1, max_memory_gb=1).fields["gpu_count"])
    assert controller_cap == agent_client.MAX_GPU_COUNT == agent_schemas.MAX_GPU_COUNT == agent_cap


def _range_min(field) -> float:
    (rng,) = [v for v in field.validators if isinstance(v, validate.Range)]
    return rng.min


def test_the_controllers_minimums_are_ones_the_agent_accepts(app):
    assert agent_client.MIN_MEMORY_GB == agent_schemas.MIN_MEMORY_GB
    memory = controller_schemas.ResourceRequestSchema().fields["memory_gb"]
    assert _range_min(memory) == agent_client.MIN_MEMORY_GB
    assert Config().BOOKING_MIN_MEMORY_GB >= agent_schemas.MIN_MEMORY_GB
    app.config["BOOKING_MIN_MEMORY_GB"] = 0  # an operator's setting cannot lower it below the agent's
    assert bookings.limits()["min_memory_gb"] >= agent_schemas.MIN_MEMORY_GB
    assert 1 >= agent_schemas.MIN_CPU_CORES  # the controller books whole cores, at least one


@pytest.mark.parametrize(("memory_gb", "accepted"), [(agent_client.MIN_MEMORY_GB, True),
                                                     (agent_client.MIN_MEMORY_GB * 0.99, False),
                                                     (0.001, False), (5e-324, False)])
def test_both_sides_draw_the_memory_floor_in_the_same_place(memory_gb, accepted):
    start = "2030-01-01T10:00:00+00:00"
    controller_errors = controller_schemas.ResourceRequestSchema().validate(
        {"start_time": start, "end_time": start, "cpu_cores": 1, "memory_gb": memory_gb})
    agent_errors_ = agent_schemas.StartContainerSchema(max_cpu_cores=1, max_memory_gb=1).validate(
        {"booking_id": 1, "image": "lab/x", "cpu_cores": 1, "memory_gb": memory_gb})
    assert ("memory_gb" not in controller_errors) is accepted
    assert ("memory_gb" not in agent_errors_) is accepted


def test_the_start_payload_has_exactly_the_fields_the_agent_reads(app):
    booking = SimpleNamespace(id=7, image="jupyter/base-notebook:latest", cpu_cores=2, memory_gb=4.0, gpu_count=1,
                              session_secret="s3cret")
    payload = lifecycle.start_payload(booking)
    schema = agent_schemas.StartContainerSchema(max_cpu_cores=2, max_memory_gb=4)
    required = {name for name, field in schema.fields.items() if field.required}
    assert required <= set(payload) <= set(schema.fields)
    loaded = schema.load(payload)
    assert loaded["booking_id"] == "7" and loaded["port"] == 8888
    assert loaded["env"]["SESSION_TOKEN"] == "s3cret"
    assert loaded["publish"] is False  # a web session goes through the proxy


def test_the_agent_names_the_container_as_the_controller_expects(app):
    booking = SimpleNamespace(id=7, image="jupyter/base-notebook:latest", cpu_cores=2, memory_gb=4.0, gpu_count=0,
                              session_secret="s3cret")
    loaded = agent_schemas.StartContainerSchema(max_cpu_cores=2, max_memory_gb=4).load(lifecycle.start_payload(booking))
    spec = SessionSpec(booking_id=loaded["booking_id"], image=loaded["image"], cpu_cores=loaded["cpu_cores"],
                       memory_gb=loaded["memory_gb"], controller_id=loaded["controller_id"])
    assert spec.name == lifecycle.container_name(7) == f"booking-{lifecycle.instance_id()}-7"


def test_the_installation_id_is_made_once_and_kept_unless_configured(app):
    app.extensions.pop(lifecycle.INSTANCE_ID_KEY, None)
    made = lifecycle.instance_id()
    assert agent_schemas.CONTROLLER_ID_RE.match(made)
    assert db.session.get(Setting, lifecycle.INSTANCE_ID_KEY).value == {"id": made}
    app.extensions.pop(lifecycle.INSTANCE_ID_KEY)  # another worker, or a restart: the same id
    assert lifecycle.instance_id() == made
    app.config["CONTROLLER_INSTANCE_ID"] = "lab42"
    app.extensions.pop(lifecycle.INSTANCE_ID_KEY)
    try:
        assert lifecycle.instance_id() == "lab42" and lifecycle.container_name(3) == "booking-lab42-3"
    finally:
        app.extensions.pop(lifecycle.INSTANCE_ID_KEY)


@pytest.mark.parametrize("value", ["has-dash", "x" * 33, "dot.ted", ""])
def test_a_controller_instance_id_the_agent_would_refuse_stops_the_start(value):
    config = {**vars(Config()), "JWT_SECRET_KEY": "k" * 40, "CONTROLLER_INSTANCE_ID": value}
    with pytest.raises(ConfigError, match="CONTROLLER_INSTANCE_ID"):
        check_config(config)


def test_a_session_that_is_not_http_asks_the_agent_to_publish_its_port(app):
    app.config.update(SESSION_IMAGES=[{"name": "lab/ssh:latest", "port": 2222, "label": "SSH", "http": False,
                                       "secret": "password"}])
    booking = SimpleNamespace(id=8, image="lab/ssh:latest", cpu_cores=1, memory_gb=1.0, gpu_count=0,
                              session_secret="pw")
    loaded = agent_schemas.StartContainerSchema(max_cpu_cores=2, max_memory_gb=4).load(
        lifecycle.start_payload(booking))
    assert loaded["publish"] is True and loaded["port"] == 2222
    assert loaded["env"]["SESSION_PASSWORD"] == "pw"


def test_permanent_errors_agree():
    assert agent_client.PERMANENT_ERROR_CODES == agent_errors.PERMANENT_ERROR_CODES
    every_agent_code = {cls.code for cls in agent_errors._subclasses(agent_errors.AgentError)}
    assert agent_client.PERMANENT_ERROR_CODES <= every_agent_code


@pytest.fixture
def agent_client_app(tmp_path):
    """The agent's app; validation answers before any call to an engine."""
    config = make_config(docker_env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})
    return create_agent_app(config).test_client()


def test_both_sides_answer_validation_errors_in_one_shape(agent_client_app, client, student_headers, node):
    agent_body = agent_client_app.post("/start_container", headers=AUTH,
                                       json={"booking_id": 1, "image": "lab/x", "cpu_cores": "2",
                                             "memory_gb": 1}).get_json()
    controller_body = client.post("/api/student/book", headers=student_headers,
                                  json={"start_time": "2030-01-01T10:00:00+00:00",
                                        "end_time": "2030-01-01T12:00:00+00:00", "cpu_cores": "2",
                                        "memory_gb": 1}).get_json()
    for body in (agent_body, controller_body):
        assert set(body) == {"error", "message", "details"}
        assert body["error"] == "validation_error"
        assert isinstance(body["details"]["cpu_cores"], list)
        assert all(isinstance(message, str) for message in body["details"]["cpu_cores"])


def test_the_agent_reads_every_field_the_controller_can_send():
    # The booking fields the controller forwards are plain numbers on both sides.
    controller_fields = controller_schemas.ResourceRequestSchema().fields
    agent_fields = agent_schemas.StartContainerSchema(max_cpu_cores=1, max_memory_gb=1).fields
    for name in ("cpu_cores", "memory_gb", "gpu_count"):
        assert isinstance(controller_fields[name], ma_fields.Number)
        assert isinstance(agent_fields[name], ma_fields.Number)
