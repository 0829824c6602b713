"""The agent's HTTP API: `create_app(config)` and the `python -m agent.app` entry point.

Every endpoint but GET /livez needs `Authorization: Bearer <AGENT_TOKEN>`.
Routes parse input with a schema, call one runtime method and return JSON;
errors leave in the one shape of `agent.errors`.
"""

from __future__ import annotations

import hmac
import logging
import sys
import time
from collections.abc import Mapping

from flask import Flask, jsonify, request
from marshmallow import ValidationError

from agent import __version__
from agent.config import AgentConfig, ConfigError
from agent.errors import (
    InvalidRequest,
    Unauthorized,
    ValidationFailed,
    field_errors,
    register_error_handlers,
)
from agent.health import node_facts, prime_cpu_percent
from agent.runtime import DockerRuntime, SessionSpec
from agent.schemas import CONTAINER_NAME_RE, CONTROLLER_ID_RE, StartContainerSchema, StopContainerSchema

log = logging.getLogger("agent")

PUBLIC_PATHS = frozenset({"/livez"})  # a wrong method there still gets its 405
MAX_BODY_BYTES = 64 * 1024
MAX_IMAGE_REF = 255


def create_app(
    config: AgentConfig | Mapping[str, str] | None = None,
    *,
    runtime: DockerRuntime | None = None,
) -> Flask:
    """Build the agent app.

    `config` is an AgentConfig, or a mapping read like the environment, or
    None for os.environ. Raises ConfigError when no token is configured and
    AGENT_INSECURE_DEV is not set.
    """
    if not isinstance(config, AgentConfig):
        config = AgentConfig.from_env(config)
    config.validate()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["agent_config"] = config
    app.extensions["agent_runtime"] = runtime or DockerRuntime(config)
    register_error_handlers(app)
    _register_auth(app, config)
    _register_routes(app)
    prime_cpu_percent()
    return app


def _runtime() -> DockerRuntime:
    from flask import current_app

    return current_app.extensions["agent_runtime"]


def _register_auth(app: Flask, config: AgentConfig) -> None:
    expected = (config.token or "").encode()

    @app.before_request
    def _require_token():
        if request.path in PUBLIC_PATHS or not config.auth_required:
            return None
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), expected):
            raise Unauthorized("A valid 'Authorization: Bearer <token>' header is required.")
        return None


def _json_object(*, optional: bool = False) -> dict:
    if optional and not request.get_data(cache=True):
        return {}
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:  # the parser's own limit; silent=True catches only ValueError
        raise InvalidRequest("The JSON body is nested too deeply to read.") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def _load(schema, body: dict) -> dict:
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise ValidationFailed("The request body is invalid.", field_errors(exc.messages)) from None


def _register_routes(app: Flask) -> None:
    config: AgentConfig = app.extensions["agent_config"]

    @app.get("/livez")
    def livez():
        """Liveness probe; needs no token and says nothing about the node."""
        return jsonify(status="ok")

    @app.get("/health")
    def health():
        """Node facts: CPU, memory, disk, Docker, managed containers, GPUs."""
        return jsonify(node_facts(_runtime()))

    @app.post("/start_container")
    def start_container():
        """Start (or return) the container of a booking with the booked limits;
        with `prepare`, make it ahead of the start, paused; with `start_in`,
        start it that many seconds after the request arrived."""
        schema = StartContainerSchema(max_cpu_cores=config.max_cpu_cores, max_memory_gb=config.max_memory_gb,
                                      env_allowlist=config.env_allowlist)
        received = time.monotonic()
        data = _load(schema, _json_object())
        spec = SessionSpec(
            booking_id=data["booking_id"],
            image=data["image"],
            cpu_cores=data["cpu_cores"],
            memory_gb=data["memory_gb"],
            gpu_count=data["gpu_count"],
            port=data["port"],
            command=tuple(data["command"]) if data["command"] else None,
            env=data["env"],
            publish=data["publish"],
            controller_id=data["controller_id"],
        )
        not_before = None if data["start_in"] is None else received + data["start_in"]
        container, created = _runtime().start(spec, prepare=data["prepare"], not_before=not_before)
        return jsonify(dict(container, created=created)), 201 if created else 200

    @app.post("/stop_container/<name>")
    def stop_container(name: str):
        """Stop and remove a managed container; succeeds if it is already gone."""
        if not CONTAINER_NAME_RE.match(name):
            raise ValidationFailed("Invalid container name.", {"name": ["Not a managed container name."]})
        data = _load(StopContainerSchema(), _json_object(optional=True))
        return jsonify(_runtime().stop(name, timeout=data["timeout"]))

    @app.get("/containers")
    def containers():
        """Managed containers with booking id, status, start time and usage; with
        `?controller=<id>`, none of another controller's."""
        usage = request.args.get("usage", "1").lower() not in ("0", "false", "no")
        controller_id = request.args.get("controller") or None
        if controller_id is not None and not CONTROLLER_ID_RE.match(controller_id):
            raise ValidationFailed("Invalid controller id.", {"controller": ["Not a controller id."]})
        return jsonify(containers=_runtime().list_managed(usage=usage, controller_id=controller_id))

    @app.post("/test_image/<path:image>")
    def test_image(image: str):
        """Whether an image is present on this node and allowed by its allow-list."""
        if len(image) > MAX_IMAGE_REF or any(ch.isspace() for ch in image):
            raise ValidationFailed("Invalid image reference.", {"image": ["Not a valid image reference."]})
        return jsonify(_runtime().image_status(image))


def serve(config: AgentConfig) -> None:
    """Serve the agent with gunicorn: one worker process (the port and GPU
    allocation lock lives in it), several threads."""
    from gunicorn.app.base import BaseApplication

    host = f"[{config.host}]" if ":" in config.host else config.host

    class _AgentServer(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", [f"{host}:{config.port}"])
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", config.threads)
            self.cfg.set("timeout", max(60, config.docker_timeout * 2 + config.stop_timeout))
            self.cfg.set("graceful_timeout", 15)
            self.cfg.set("accesslog", "-")
            self.cfg.set("proc_name", "lab-agent")
            # No control socket: gunicorn's default path is shared by every instance of the user.
            self.cfg.set("control_socket_disable", True)
            if config.tls_cert:
                self.cfg.set("certfile", config.tls_cert)
                self.cfg.set("keyfile", config.tls_key)

        def load(self):
            return create_app(config)

    _AgentServer().run()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = AgentConfig.from_env()
    except ConfigError as exc:
        print(f"agent: configuration error: {exc}", file=sys.stderr)
        return 2
    if not config.auth_required:
        log.warning(
            "AGENT_INSECURE_DEV=1 and no AGENT_TOKEN: every endpoint is open to anyone who can"
            " reach %s:%s. Never do this on a lab network.",
            config.host,
            config.port,
        )
    if not config.image_allowlist:
        log.warning("AGENT_IMAGE_ALLOWLIST is empty: every start_container will be refused")
    log.info(
        "lab agent %s on %s:%s, Docker at %s",
        __version__,
        config.host,
        config.port,
        config.docker_host or "the default socket",
    )
    serve(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
