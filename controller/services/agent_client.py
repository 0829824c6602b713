"""The controller's side of the agent API: one place that talks HTTP to the
nodes, with timeouts and the node's token, and turns every failure into
`AgentUnreachable` (network, timeout, 5xx) or `AgentRefused` (a 4xx answer
with the agent's error code)."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from controller.models import Agent

_session = requests.Session()
# Enough kept connections per node for a class's sessions starting at once.
_session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
_session.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=64))

# The agent's error codes that no retry of the same call can fix (the agent
# declares the same set as `agent.errors.PERMANENT_ERROR_CODES`; the contract
# test holds the two together).
PERMANENT_ERROR_CODES = frozenset({"image_not_allowed", "image_not_present", "validation_error",
                                   "docker_rejected", "no_gpus", "invalid_request"})
# What the controller may ask of one node; the agent accepts at least this.
MAX_GPU_COUNT = 16
# The least memory (GiB) the agent starts a container with (`agent.schemas.MIN_MEMORY_GB`):
# no booking may ask for less, whatever BOOKING_MIN_MEMORY_GB says.
MIN_MEMORY_GB = 1 / 64


class AgentCallFailed(Exception):
    def __init__(self, message: str, code: str = "agent_error", status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class AgentUnreachable(AgentCallFailed):
    """The node did not answer, or answered 5xx: worth retrying."""


class AgentRefused(AgentCallFailed):
    """The node answered no (4xx): retrying the same call may still help
    (a port or GPU freed), unless `is_permanent` says otherwise."""


def is_permanent(error: AgentCallFailed) -> bool:
    """Whether retrying the call that failed with `error` cannot help."""
    return isinstance(error, AgentRefused) and error.code in PERMANENT_ERROR_CODES


@dataclass(frozen=True)
class AgentEndpoint:
    """What is needed to call one node, detached from the database session so
    calls can run in worker threads."""

    agent_id: int
    name: str
    url: str
    token: str | None

    @classmethod
    def of(cls, agent: Agent) -> AgentEndpoint:
        return cls(agent.id, agent.name, agent.url.rstrip("/"), agent.token)


def _call(endpoint: AgentEndpoint, method: str, path: str, timeout: float, json=None) -> dict:
    headers = {"Authorization": f"Bearer {endpoint.token}"} if endpoint.token else {}
    try:
        response = _session.request(method, f"{endpoint.url}{path}", json=json, headers=headers,
                                     timeout=timeout)
    except requests.RequestException as exc:
        raise AgentUnreachable(f"Node {endpoint.name} did not answer: {type(exc).__name__}",
                               "agent_unreachable") from exc
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code >= 500:
        raise AgentUnreachable(
            f"Node {endpoint.name} failed: {body.get('message') or response.status_code}",
            body.get("error", "agent_error"), response.status_code)
    if response.status_code >= 400:
        raise AgentRefused(
            f"Node {endpoint.name} refused: {body.get('message') or response.status_code}",
            body.get("error", "agent_refused"), response.status_code)
    return body


def health(endpoint: AgentEndpoint, timeout: float) -> dict:
    """The node's health facts (`GET /health`)."""
    return _call(endpoint, "GET", "/health", timeout)


def start_container(endpoint: AgentEndpoint, payload: dict, timeout: float,
                    start_in: float | None = None) -> dict:
    """Start (or find) the booking's container; the agent makes this idempotent.
    With `start_in` (seconds, at most 10) the agent holds the start until then."""
    if start_in is None:
        return _call(endpoint, "POST", "/start_container", timeout, json=payload)
    return _call(endpoint, "POST", "/start_container", timeout + start_in,
                 json={**payload, "start_in": round(start_in, 3)})


def prepare_container(endpoint: AgentEndpoint, payload: dict, timeout: float) -> dict:
    """Make the booking's container ahead of its start, paused; a later
    `start_container` with the same payload unpauses it. Idempotent."""
    return _call(endpoint, "POST", "/start_container", timeout, json={**payload, "prepare": True})


def stop_container(endpoint: AgentEndpoint, name: str, stop_timeout: int, timeout: float) -> dict:
    """Stop and remove a managed container; an already gone one is success."""
    return _call(endpoint, "POST", f"/stop_container/{name}", timeout + stop_timeout,
                 json={"timeout": stop_timeout})


def containers(endpoint: AgentEndpoint, timeout: float, controller_id: str) -> list[dict]:
    """The node's managed containers of this controller (and older ones that
    name no controller), without usage figures, which are slow."""
    path = f"/containers?usage=0&controller={controller_id}"
    return _call(endpoint, "GET", path, timeout).get("containers", [])
