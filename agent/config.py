"""Agent configuration, read once from the environment.

Every setting has an `AGENT_*` variable (see NODE_SETUP.md); the Docker
endpoint is read the way Docker's own clients read it (`DOCKER_HOST`,
`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`). Bad values raise `ConfigError`
with a message naming the variable, so the agent refuses to start rather
than run half-configured.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

import psutil

MIN_TOKEN_LENGTH = 16
NODE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,63}$")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
_DOCKER_VARS = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT")
# The environment variables a session's container may be given: what the
# controller sends (controller/services/sessions.py start_env). AGENT_ENV_ALLOWLIST
# replaces it; no list may admit a variable that changes how programs load.
DEFAULT_ENV_ALLOWLIST = (
    "SESSION_TOKEN", "SESSION_BASE_URL", "JUPYTER_TOKEN", "NOTEBOOK_ARGS", "SESSION_PASSWORD",
)
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_NEVER_ALLOWED_PREFIXES = ("LD_", "DYLD_")
_NEVER_ALLOWED = {
    "PATH", "GCONV_PATH", "HOSTALIASES", "RESOLV_HOST_CONF", "LOCALDOMAIN", "MALLOC_CHECK_", "BASH_ENV",
    "ENV", "SHELLOPTS", "PS4", "IFS", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PERL5LIB", "PERL5OPT",
    "RUBYOPT", "RUBYLIB", "NODE_OPTIONS", "NODE_PATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "LUA_INIT",
    "GIT_SSH_COMMAND",
}


class ConfigError(ValueError):
    """The environment does not describe a usable agent."""


@dataclass(frozen=True)
class AgentConfig:
    token: str | None
    insecure_dev: bool = False
    host: str = "0.0.0.0"
    port: int = 5001
    # Environment handed to docker.from_env: only the DOCKER_* variables.
    docker_env: Mapping[str, str] = field(default_factory=dict)
    docker_timeout: int = 30
    image_allowlist: tuple[str, ...] = ()
    env_allowlist: tuple[str, ...] = DEFAULT_ENV_ALLOWLIST
    port_range: tuple[int, int] = (20000, 20999)
    publish_address: str = "0.0.0.0"
    public_host: str = field(default_factory=socket.gethostname)
    # A Docker network to put sessions on instead of publishing a host port:
    # a proxy on that network reaches `<container name>:<port>`, nothing else does.
    session_network: str | None = None
    # Marks this agent's containers; set a distinct one per agent sharing an engine.
    node_id: str = "default"
    stop_timeout: int = 10
    pids_limit: int = 4096
    max_cpu_cores: float = field(default_factory=lambda: float(os.cpu_count() or 1))
    max_memory_gb: float = field(default_factory=lambda: round(psutil.virtual_memory().total / 2**30, 3))
    disk_path: str = "/"
    threads: int = 16  # a class's sessions starting at once each hold one until their instant
    tls_cert: str | None = None
    tls_key: str | None = None

    @property
    def docker_host(self) -> str | None:
        return self.docker_env.get("DOCKER_HOST")

    @property
    def auth_required(self) -> bool:
        return not (self.insecure_dev and not self.token)

    def validate(self) -> AgentConfig:
        """Check cross-field rules; return self. Raises ConfigError."""
        if self.token is None and not self.insecure_dev:
            raise ConfigError(
                "AGENT_TOKEN is not set: the agent refuses to start without a token. "
                "Generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                " and give the same value to the controller (or set AGENT_INSECURE_DEV=1 on a"
                " development machine only)."
            )
        if self.token is not None and len(self.token) < MIN_TOKEN_LENGTH:
            raise ConfigError(f"AGENT_TOKEN must be at least {MIN_TOKEN_LENGTH} characters long")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("AGENT_TLS_CERT and AGENT_TLS_KEY must be set together")
        for name, path in (("AGENT_TLS_CERT", self.tls_cert), ("AGENT_TLS_KEY", self.tls_key)):
            if path and not os.access(path, os.R_OK):
                raise ConfigError(f"{name}: cannot read {path}")
        for name in self.env_allowlist:
            if not ENV_NAME_RE.match(name):
                raise ConfigError(f"AGENT_ENV_ALLOWLIST: {name!r} is not a variable name")
            if name.upper().startswith(_NEVER_ALLOWED_PREFIXES) or name.upper() in _NEVER_ALLOWED:
                raise ConfigError(
                    f"AGENT_ENV_ALLOWLIST may not admit {name}: it changes how programs in the "
                    "container load or run"
                )
        low, high = self.port_range
        if not (1024 <= low <= high <= 65535):
            raise ConfigError("AGENT_PORT_RANGE must be LOW-HIGH with 1024 <= LOW <= HIGH <= 65535")
        if not NODE_ID_RE.match(self.node_id):
            raise ConfigError("AGENT_NODE_ID must be 1-63 characters of letters, digits, _ . -")
        if not 1 <= self.port <= 65535:
            raise ConfigError("AGENT_PORT must be between 1 and 65535")
        if self.max_cpu_cores <= 0 or self.max_memory_gb <= 0:
            raise ConfigError("AGENT_MAX_CPU_CORES and AGENT_MAX_MEMORY_GB must be positive")
        if self.stop_timeout < 0 or self.docker_timeout <= 0 or self.pids_limit <= 0:
            raise ConfigError(
                "AGENT_STOP_TIMEOUT must be >= 0, AGENT_DOCKER_TIMEOUT and AGENT_PIDS_LIMIT > 0"
            )
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AgentConfig:
        """Build and validate a config from `environ` (default: os.environ)."""
        env = os.environ if environ is None else environ
        kwargs: dict = {
            "token": env.get("AGENT_TOKEN") or None,
            "insecure_dev": _bool(env, "AGENT_INSECURE_DEV"),
            "docker_env": {k: env[k] for k in _DOCKER_VARS if env.get(k)},
            "image_allowlist": _allowlist(env.get("AGENT_IMAGE_ALLOWLIST", "")),
        }
        if "AGENT_HOST" in env:
            kwargs["host"] = _address(env, "AGENT_HOST")
        if "AGENT_PUBLISH_ADDRESS" in env:
            kwargs["publish_address"] = _address(env, "AGENT_PUBLISH_ADDRESS")
        if env.get("AGENT_PUBLIC_HOST"):
            kwargs["public_host"] = env["AGENT_PUBLIC_HOST"].strip()
        if env.get("AGENT_SESSION_NETWORK"):
            kwargs["session_network"] = env["AGENT_SESSION_NETWORK"].strip()
        if env.get("AGENT_ENV_ALLOWLIST", "").strip():
            kwargs["env_allowlist"] = _allowlist(env["AGENT_ENV_ALLOWLIST"])
        if env.get("AGENT_NODE_ID"):
            kwargs["node_id"] = env["AGENT_NODE_ID"].strip()
        if env.get("AGENT_PORT_RANGE"):
            kwargs["port_range"] = _port_range(env["AGENT_PORT_RANGE"])
        for name, key in (("AGENT_TLS_CERT", "tls_cert"), ("AGENT_TLS_KEY", "tls_key")):
            if env.get(name):
                kwargs[key] = env[name]
        if env.get("AGENT_DISK_PATH"):
            kwargs["disk_path"] = env["AGENT_DISK_PATH"]
        for name, key in (
            ("AGENT_PORT", "port"),
            ("AGENT_DOCKER_TIMEOUT", "docker_timeout"),
            ("AGENT_STOP_TIMEOUT", "stop_timeout"),
            ("AGENT_PIDS_LIMIT", "pids_limit"),
            ("AGENT_THREADS", "threads"),
        ):
            if env.get(name):
                kwargs[key] = _int(env, name)
        for name, key in (
            ("AGENT_MAX_CPU_CORES", "max_cpu_cores"),
            ("AGENT_MAX_MEMORY_GB", "max_memory_gb"),
        ):
            if env.get(name):
                kwargs[key] = _float(env, name)
        return cls(**kwargs).validate()


def _bool(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1 or 0, got {env[name]!r}")


def _int(env: Mapping[str, str], name: str) -> int:
    try:
        return int(env[name])
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {env[name]!r}") from None


def _float(env: Mapping[str, str], name: str) -> float:
    try:
        return float(env[name])
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {env[name]!r}") from None


def _address(env: Mapping[str, str], name: str) -> str:
    value = env[name].strip()
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ConfigError(f"{name} must be an IP address, got {value!r}") from None
    return value


def _port_range(value: str) -> tuple[int, int]:
    low, sep, high = value.partition("-")
    try:
        if not sep:
            raise ValueError
        return int(low), int(high)
    except ValueError:
        raise ConfigError(f"AGENT_PORT_RANGE must look like 20000-20999, got {value!r}") from None


def _allowlist(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())
