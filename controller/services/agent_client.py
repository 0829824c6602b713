"""The controller's side of the agent API: one place that talks HTTP to the
nodes, with timeouts and the node's token, and turns every failure into
`AgentUnreachable` (network, timeout, 5xx) or `AgentRefused` (a 4xx answer
with the agent's error code)."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from flask import current_app

from controller.models import Agent

_session = requests.Session()


class AgentCallFailed(Exception):
    def __init__(self, message: str, code: str = "agent_error", status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class AgentUnreachable(AgentCallFailed):
    """The node did not answer, or answered 5xx: worth retrying."""


class AgentRefused(AgentCallFailed):
    """The node answered no (4xx): retrying the same call will not help."""


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
    except ValueError:
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


def _timeout() -> float:
    return float(current_app.config["AGENT_TIMEOUT_SECONDS"])


def health(endpoint: AgentEndpoint, timeout: float) -> dict:
    """The node's health facts (`GET /health`)."""
    return _call(endpoint, "GET", "/health", timeout)


def start_container(endpoint: AgentEndpoint, payload: dict, timeout: float) -> dict:
    """Start (or find) the booking's container; the agent makes this idempotent."""
    return _call(endpoint, "POST", "/start_container", timeout, json=payload)


def stop_container(endpoint: AgentEndpoint, name: str, stop_timeout: int, timeout: float) -> dict:
    """Stop and remove a managed container; an already gone one is success."""
    return _call(endpoint, "POST", f"/stop_container/{name}", timeout + stop_timeout,
                 json={"timeout": stop_timeout})


def containers(endpoint: AgentEndpoint, timeout: float) -> list[dict]:
    """The node's managed containers (without usage figures, which are slow)."""
    return _call(endpoint, "GET", "/containers?usage=0", timeout).get("containers", [])
