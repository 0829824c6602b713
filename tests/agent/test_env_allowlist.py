"""A container's environment holds only names on the node's allow-list
(AGENT_ENV_ALLOWLIST, by default what the controller sends): the loader's
variables and anything else are refused with 422 naming the variable, before
any container is touched."""

import pytest

from agent.app import create_app
from agent.config import DEFAULT_ENV_ALLOWLIST, AgentConfig, ConfigError
from tests.agent.conftest import AUTH, TOKEN, make_config

VALID = {"booking_id": 42, "image": "lab-test/busybox:latest", "cpu_cores": 1, "memory_gb": 0.5}
DANGEROUS = ["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PATH", "PYTHONPATH", "BASH_ENV", "NODE_OPTIONS",
             "GCONV_PATH", "HOSTNAME_FOR_FUN"]


@pytest.fixture
def client(tmp_path):
    """The agent without an engine: validation answers before Docker is called."""
    return create_app(make_config(docker_env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})).test_client()


@pytest.mark.parametrize("name", DANGEROUS)
def test_a_variable_off_the_allowlist_is_refused_with_422_naming_it(client, name):
    response = client.post("/start_container", headers=AUTH,
                           json={**VALID, "env": {"SESSION_TOKEN": "s3cret", name: "/tmp/evil.so"}})

    assert response.status_code == 422, response.json
    assert response.json["error"] == "validation_error"
    assert list(response.json["details"]["env"]) == [name]
    assert "AGENT_ENV_ALLOWLIST" in response.json["details"]["env"][name][0]


def test_the_default_allowlist_admits_every_variable_the_controller_sends():
    assert set(DEFAULT_ENV_ALLOWLIST) == {"SESSION_TOKEN", "SESSION_BASE_URL", "JUPYTER_TOKEN", "NOTEBOOK_ARGS",
                                          "SESSION_PASSWORD"}
    assert AgentConfig.from_env({"AGENT_TOKEN": TOKEN}).env_allowlist == DEFAULT_ENV_ALLOWLIST


def test_the_operator_sets_the_allowlist():
    config = AgentConfig.from_env({"AGENT_TOKEN": TOKEN, "AGENT_ENV_ALLOWLIST": "SESSION_TOKEN, TZ ,"})

    assert config.env_allowlist == ("SESSION_TOKEN", "TZ")


@pytest.mark.parametrize("value", ["SESSION_TOKEN,LD_PRELOAD", "ld_library_path", "PATH", "DYLD_INSERT_LIBRARIES",
                                   "BAD-NAME"])
def test_the_allowlist_cannot_admit_the_loaders_variables(value):
    with pytest.raises(ConfigError, match="AGENT_ENV_ALLOWLIST"):
        AgentConfig.from_env({"AGENT_TOKEN": TOKEN, "AGENT_ENV_ALLOWLIST": value})


def test_a_node_with_a_wider_allowlist_accepts_its_names(tmp_path):
    config = make_config(docker_env={"DOCKER_HOST": f"unix://{tmp_path}/no.sock"}, env_allowlist=("SESSION_TOKEN", "TZ"))
    response = create_app(config).test_client().post(
        "/start_container", headers=AUTH, json={**VALID, "env": {"TZ": "Europe/Paris", "JUPYTER_TOKEN": "x"}})

    assert response.status_code == 422
    assert list(response.json["details"]["env"]) == ["JUPYTER_TOKEN"]
