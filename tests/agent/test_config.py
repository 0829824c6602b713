"""The agent refuses to start half-configured."""

import pytest

from agent.app import create_app
from agent.config import AgentConfig, ConfigError

GOOD_TOKEN = "t" * 32


def test_token_is_required():
    with pytest.raises(ConfigError, match="AGENT_TOKEN"):
        AgentConfig.from_env({})
    with pytest.raises(ConfigError, match="AGENT_TOKEN"):
        create_app({})


def test_insecure_dev_flag_allows_no_token():
    config = AgentConfig.from_env({"AGENT_INSECURE_DEV": "1"})
    assert config.token is None
    assert not config.auth_required


def test_a_token_always_wins_over_the_insecure_flag():
    config = AgentConfig.from_env({"AGENT_INSECURE_DEV": "1", "AGENT_TOKEN": GOOD_TOKEN})
    assert config.auth_required


def test_defaults():
    config = AgentConfig.from_env({"AGENT_TOKEN": GOOD_TOKEN})
    assert (config.host, config.port) == ("0.0.0.0", 5001)
    assert config.port_range == (20000, 20999)
    assert config.image_allowlist == ()
    assert config.public_host
    assert config.docker_host is None


def test_values_are_read_from_the_environment():
    config = AgentConfig.from_env(
        {
            "AGENT_TOKEN": GOOD_TOKEN,
            "AGENT_HOST": "127.0.0.1",
            "AGENT_PORT": "5002",
            "AGENT_PORT_RANGE": "21000-21099",
            "AGENT_PUBLIC_HOST": "node7.lab",
            "AGENT_IMAGE_ALLOWLIST": "lab/jupyter, lab/*:cuda-* ,",
            "DOCKER_HOST": "unix:///run/other.sock",
            "AGENT_STOP_TIMEOUT": "5",
        }
    )
    assert (config.host, config.port, config.port_range) == ("127.0.0.1", 5002, (21000, 21099))
    assert config.public_host == "node7.lab"
    assert config.image_allowlist == ("lab/jupyter", "lab/*:cuda-*")
    assert config.docker_host == "unix:///run/other.sock"
    assert config.stop_timeout == 5


@pytest.mark.parametrize(
    "env",
    [
        {"AGENT_TOKEN": "short"},
        {"AGENT_PORT": "http"},
        {"AGENT_PORT": "70000"},
        {"AGENT_PORT_RANGE": "20000"},
        {"AGENT_PORT_RANGE": "2000-1000"},
        {"AGENT_PORT_RANGE": "80-90"},
        {"AGENT_HOST": "not-an-ip"},
        {"AGENT_INSECURE_DEV": "maybe"},
        {"AGENT_MAX_MEMORY_GB": "-1"},
        {"AGENT_STOP_TIMEOUT": "-3"},
        {"AGENT_TLS_CERT": "/etc/hostname"},
        {"AGENT_TLS_CERT": "/etc/hostname", "AGENT_TLS_KEY": "/nonexistent/agent.key"},
    ],
    ids=lambda env: "-".join(f"{k}={v}" for k, v in env.items()),
)
def test_bad_values_are_refused(env):
    with pytest.raises(ConfigError):
        AgentConfig.from_env({"AGENT_TOKEN": GOOD_TOKEN, **env})
