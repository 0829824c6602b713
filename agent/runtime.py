"""The Docker boundary: every call to the engine goes through `DockerRuntime`.

Guarantees, whatever the route:
- the agent only ever stops, removes, restarts or reports containers that
  carry `lab.booking.managed=true`; anything else is refused (`NotManaged`,
  `NameConflict`), never touched;
- Docker's errors are translated once, in `_docker`: 404 → `ContainerGone`,
  409 → `DockerConflict`, other 4xx → `DockerRejected`, 5xx / connection
  errors → `DockerUnavailable`, so `start` and `stop` are idempotent;
- each booking gets exclusive host ports and GPUs: allocation and creation
  happen under one lock, against the labels of every managed container.

Modelled on jupyterhub/dockerspawner (`docker()`, `get_object`, `remove_object`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import docker
import docker.errors
import requests.exceptions
from docker.types import DeviceRequest

from agent.config import AgentConfig
from agent.errors import (
    AgentError,
    BookingConflict,
    ContainerGone,
    DockerConflict,
    DockerRejected,
    DockerUnavailable,
    GpusUnavailable,
    ImageNotAllowed,
    ImageNotPresent,
    NameConflict,
    NoFreePort,
    NoGpus,
    NotManaged,
)

log = logging.getLogger(__name__)

MANAGED_LABEL = "lab.booking.managed"
BOOKING_LABEL = "lab.booking.id"
# Which agent made the container: agents sharing one engine (a compose demo,
# a test machine) must never list or stop each other's sessions.
NODE_LABEL = "lab.booking.node"
# What the SDK raises when the engine cannot be reached at all.
ENGINE_UNREACHABLE = (docker.errors.DockerException, requests.exceptions.RequestException, OSError)
SPEC_LABEL = "lab.booking.spec"
GPUS_LABEL = "lab.booking.gpus"
HOST_PORT_LABEL = "lab.booking.host_port"
CONTAINER_PORT_LABEL = "lab.booking.container_port"
# Which controller installation asked for the container (its id, sent with
# each start): controllers sharing one engine (two test runs on one machine)
# number their bookings alike, so the id is in the name too, and a listing
# asked for one controller leaves the others' containers out.
CONTROLLER_LABEL = "lab.booking.controller"
NAME_PREFIX = "booking-"
_PORT_BUSY_MARKERS = ("port is already allocated", "address already in use")
_START_ATTEMPTS = 5
_STATS_WORKERS = 8
_LOG_CONFIG = {"type": "json-file", "config": {"max-size": "10m", "max-file": "3"}}


@dataclass(frozen=True)
class SessionSpec:
    """What a booking asks for; `fingerprint` identifies it across retries."""

    booking_id: str
    image: str
    cpu_cores: float
    memory_gb: float
    gpu_count: int = 0
    port: int | None = None
    command: tuple[str, ...] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    # Publish the port on the node even on the session network (not HTTP: no proxy carries it).
    publish: bool = False
    # The controller installation's id (None: a controller that sends none).
    controller_id: str | None = None

    @property
    def name(self) -> str:
        return container_name(self.booking_id, self.controller_id)

    @property
    def nano_cpus(self) -> int:
        return round(self.cpu_cores * 1e9)

    @property
    def memory_bytes(self) -> int:
        return round(self.memory_gb * 2**30)

    def fingerprint(self) -> str:
        fields = {
            "image": self.image,
            "nano_cpus": self.nano_cpus,
            "memory_bytes": self.memory_bytes,
            "gpu_count": self.gpu_count,
            "port": self.port,
            "command": list(self.command) if self.command is not None else None,
            "env": dict(sorted(self.env.items())),
        }
        if self.publish:  # only when set: the fingerprints of earlier containers stay valid
            fields["publish"] = True
        canonical = json.dumps(fields, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def container_name(booking_id: str, controller_id: str | None = None) -> str:
    """`booking-<controller id>-<booking id>`, or `booking-<booking id>` for a
    controller that sends no id (and the containers made before ids)."""
    return f"{NAME_PREFIX}{controller_id}-{booking_id}" if controller_id else f"{NAME_PREFIX}{booking_id}"


def image_allowed(image: str, patterns: Iterable[str]) -> bool:
    """True when `image` matches one allow-list entry (exact name or glob).

    An entry without a tag also admits `image:latest`, the name Docker uses
    when no tag is given (so `lab/jupyter` allows `lab/jupyter` and
    `lab/jupyter:latest`, but not `lab/jupyter:dev`).
    """
    candidates = {image}
    if image.endswith(":latest"):
        candidates.add(image[: -len(":latest")])
    elif ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
        candidates.add(f"{image}:latest")
    return any(fnmatch.fnmatchcase(c, p) for c in candidates for p in patterns)


def choose_gpus(available: Iterable[str], in_use: Iterable[str], count: int) -> list[str]:
    """Pick `count` GPU ids from `available` not in `in_use`, in inventory order.

    Raises NoGpus when the node has none, GpusUnavailable when too few are free.
    """
    available = list(available)
    if count <= 0:
        return []
    if not available:
        raise NoGpus(
            f"{count} GPU(s) requested but this node has no GPU (or no NVIDIA driver).",
            {"requested": count, "total": 0},
        )
    busy = set(in_use)
    free = [gpu for gpu in available if gpu not in busy]
    if len(free) < count:
        raise GpusUnavailable(
            f"{count} GPU(s) requested but only {len(free)} of {len(available)} are free.",
            {"requested": count, "free": len(free), "total": len(available)},
        )
    return free[:count]


class DockerRuntime:
    """Start, stop and report booking containers on the local Docker engine.

    The Docker client is created lazily and re-created after a failure to
    connect, so the agent starts (and answers /livez, /health) while the
    engine is down.
    """

    def __init__(
        self,
        config: AgentConfig,
        *,
        gpu_inventory: Callable[[], list[dict]] | None = None,
    ):
        from agent.health import list_gpus

        self.config = config
        self._gpu_inventory = gpu_inventory or list_gpus
        self._client: docker.DockerClient | None = None
        self._client_lock = threading.Lock()
        self._alloc_lock = threading.Lock()
        # One lock per booking: its prepare, start and restart never interleave.
        self._booking_locks: dict[str, threading.Lock] = {}
        self._booking_locks_guard = threading.Lock()

    # ----- the one place that talks to Docker -------------------------------

    @property
    def api(self) -> docker.APIClient:
        """The low-level client. Raises DockerUnavailable when the engine cannot be reached."""
        with self._client_lock:
            if self._client is None:
                # A non-empty mapping, so docker-py reads only these variables and
                # never falls back to os.environ; an empty DOCKER_HOST means the default.
                environment = {"DOCKER_HOST": "", **self.config.docker_env}
                try:
                    self._client = docker.from_env(
                        environment=environment, timeout=self.config.docker_timeout
                    )
                except ENGINE_UNREACHABLE as exc:
                    raise DockerUnavailable(
                        "The Docker engine cannot be reached.",
                        {"docker_host": self.config.docker_host or "default", "reason": str(exc)},
                    ) from None
            return self._client.api

    def _docker(self, method: str, *args, **kwargs):
        """Call `api.<method>(*args, **kwargs)` and translate Docker's errors.

        Raises ContainerGone (404), DockerConflict (409), DockerRejected (other
        4xx) or DockerUnavailable (5xx, connection refused, timeout).
        """
        api = self.api
        try:
            return getattr(api, method)(*args, **kwargs)
        except docker.errors.NotFound as exc:
            raise ContainerGone(_explain(exc), {"operation": method}) from None
        except docker.errors.APIError as exc:
            status = exc.status_code or 500
            if status == 409:
                raise DockerConflict(_explain(exc), {"operation": method}) from None
            if 400 <= status < 500:
                raise DockerRejected(_explain(exc), {"operation": method}) from None
            raise DockerUnavailable(
                f"The Docker engine failed: {_explain(exc)}", {"operation": method}
            ) from None
        except ENGINE_UNREACHABLE as exc:
            raise DockerUnavailable(
                "The Docker engine cannot be reached.",
                {"operation": method, "reason": str(exc)},
            ) from None

    # ----- small queries -----------------------------------------------------

    def ping(self) -> dict:
        """Engine version facts. Raises DockerUnavailable."""
        version = self._docker("version")
        return {
            "version": version.get("Version"),
            "api_version": version.get("ApiVersion"),
            "os": version.get("Os"),
            "kernel": version.get("KernelVersion"),
        }

    def inspect(self, name_or_id: str) -> dict | None:
        """The container whose name (or full id) is exactly `name_or_id`, else None.

        Docker also resolves id prefixes; those are ignored so that a name can
        never select some other container. Raises DockerUnavailable.
        """
        try:
            attrs = self._docker("inspect_container", name_or_id)
        except ContainerGone:
            return None
        if attrs.get("Name", "").lstrip("/") == name_or_id or attrs.get("Id") == name_or_id:
            return attrs
        return None

    def is_managed(self, attrs: Mapping) -> bool:
        """True only for containers this agent created: labelled
        `lab.booking.managed=true` and `lab.booking.node=<AGENT_NODE_ID>`."""
        labels = (attrs.get("Config") or {}).get("Labels") or attrs.get("Labels") or {}
        return labels.get(MANAGED_LABEL) == "true" and labels.get(NODE_LABEL) == self.config.node_id

    def _managed_summaries(self) -> list[dict]:
        """`docker ps -a` rows of every container this agent manages. Raises DockerUnavailable."""
        return self._docker("containers", all=True, filters={
            "label": [f"{MANAGED_LABEL}=true", f"{NODE_LABEL}={self.config.node_id}"]})

    def count_running_managed(self) -> int:
        """Number of managed containers currently running. Raises DockerUnavailable."""
        return sum(1 for c in self._managed_summaries() if c.get("State") == "running")

    def gpu_assignments(self, summaries: list[dict] | None = None) -> dict[str, str]:
        """GPU id → booking id for every managed container (any state), from
        `summaries` (`_managed_summaries()`) when the caller has them."""
        owners: dict[str, str] = {}
        for summary in self._managed_summaries() if summaries is None else summaries:
            labels = summary.get("Labels") or {}
            for gpu in filter(None, labels.get(GPUS_LABEL, "").split(",")):
                owners[gpu] = labels.get(BOOKING_LABEL, "")
        return owners

    def session_images(self) -> list[str]:
        """The tags of the images present on this node that the allow-list
        admits: what sessions can start here (the agent never pulls).

        Raises DockerUnavailable.
        """
        tags = {tag for image in self._docker("images") or [] for tag in image.get("RepoTags") or []}
        return sorted(tag for tag in tags if tag != "<none>:<none>"
                      and image_allowed(tag, self.config.image_allowlist))

    def image_status(self, image: str) -> dict:
        """Whether `image` is allowed here and present locally (the agent never pulls).

        Raises DockerUnavailable.
        """
        allowed = image_allowed(image, self.config.image_allowlist)
        try:
            attrs = self._docker("inspect_image", image)
        except ContainerGone:
            attrs = None
        except DockerRejected:  # an invalid reference is simply not present
            attrs = None
        return {
            "image": image,
            "allowed": allowed,
            "present": attrs is not None,
            "usable": allowed and attrs is not None,
            "id": attrs.get("Id") if attrs else None,
            "tags": attrs.get("RepoTags") or [] if attrs else [],
            "size_bytes": attrs.get("Size") if attrs else None,
        }

    # ----- start ---------------------------------------------------------------

    def start(self, spec: SessionSpec, *, prepare: bool = False,
              not_before: float | None = None) -> tuple[dict, bool]:
        """Make the booking's container run; return (description, created).

        Idempotent: if the booking's container (`spec.name`) exists, is managed and was made with
        the same spec, it is returned as is when running, unpaused when it was
        prepared, and started again in place (same container, files, port and
        GPUs) when it had exited; a dead container is replaced. Otherwise a
        new container is created with the booked limits, hardened, on a free
        host port and free GPUs.

        With `prepare`, the container is made ahead of the booking's start:
        created, started and at once paused (frozen, holding its port, GPUs
        and secret), so that the start is only an unpause. A prepare never
        pauses a container that already runs, and repeating it is harmless.
        Calls for one booking are serialised, so a start that arrives while
        its prepare is in flight waits for it and then unpauses.

        `not_before` (a `time.monotonic()` instant) holds the start until
        then, with its checks done, so that at the instant only the unpause
        remains: the controller sends a prepared session's start ahead and
        it runs at its start time to the engine's precision.

        Raises ImageNotAllowed, ImageNotPresent, NameConflict (an unmanaged
        container holds the name), BookingConflict (same booking, other spec),
        NoGpus, GpusUnavailable, NoFreePort, DockerRejected, DockerUnavailable.
        """
        if not image_allowed(spec.image, self.config.image_allowlist):
            raise ImageNotAllowed(
                f"Image {spec.image!r} is not on this node's allow-list.",
                {"image": spec.image, "allowlist": list(self.config.image_allowlist)},
            )
        with self._booking_lock(spec.name):
            # The common case of a prepared session allocates nothing, so it
            # does not wait for the allocation lock other bookings hold.
            existing = self.inspect(spec.name)
            if not_before is not None and not prepare:
                if existing is not None:
                    self._check_same_booking(existing, spec)
                time.sleep(max(0.0, not_before - time.monotonic()))
            if existing is not None:
                adopted = self._adopt(existing, spec, prepare)
                if adopted is not None:
                    return adopted, False
            return self._create_and_start(spec, prepare)

    @contextmanager
    def _booking_lock(self, name: str):
        with self._booking_locks_guard:
            lock = self._booking_locks.setdefault(name, threading.Lock())
        with lock:
            yield

    def _create_and_start(self, spec: SessionSpec, prepare: bool) -> tuple[dict, bool]:
        tried: set[int] = set()
        for _attempt in range(_START_ATTEMPTS):
            # Choosing a port and GPUs and creating the container happen under
            # the lock (the labels of created containers record what they
            # hold); starting it does not, so sessions start in parallel.
            with self._alloc_lock:
                existing = self.inspect(spec.name)
                if existing is not None:
                    adopted = self._adopt(existing, spec, prepare)
                    if adopted is not None:
                        return adopted, False
                if not self.image_status(spec.image)["present"]:
                    raise ImageNotPresent(
                        f"Image {spec.image!r} is allowed but not present on this node;"
                        " an administrator must load or pull it first.",
                        {"image": spec.image},
                    )
                summaries = self._managed_summaries()
                gpus = choose_gpus(
                    [gpu["uuid"] for gpu in self._gpu_inventory()],
                    self.gpu_assignments(summaries),
                    spec.gpu_count,
                )
                published = spec.port and (spec.publish or not self.config.session_network)
                host_port = self._free_port(summaries, tried) if published else None
                try:
                    container_id = self._create(spec, host_port, gpus)
                except DockerConflict:
                    # Another process created the same name meanwhile: adopt it.
                    existing = self.inspect(spec.name)
                    if existing is None:
                        raise
                    adopted = self._adopt(existing, spec, prepare)
                    if adopted is None:
                        raise
                    return adopted, False
            try:
                self._docker("start", container_id)
            except DockerConflict:
                pass  # a concurrent start of the same booking got there first
            except (DockerRejected, DockerUnavailable) as exc:
                self._remove_quietly(container_id)
                if host_port is not None and _port_busy(exc):
                    tried.add(host_port)
                    continue
                raise
            if prepare:
                try:
                    self._docker("pause", container_id)
                except DockerConflict:
                    pass  # its process already exited: the start will run it again
            return self.describe(self.inspect(container_id) or {"Id": container_id}), True
        raise NoFreePort("Could not bind a host port after several attempts.", {"tried": sorted(tried)})

    def _check_same_booking(self, attrs: dict, spec: SessionSpec) -> None:
        """Raise NameConflict unless the agent made this container, and
        BookingConflict unless it was made with this spec."""
        if not self.is_managed(attrs):
            raise NameConflict(
                f"A container named {spec.name!r} exists and is not managed by the agent;"
                " it was left untouched.",
                {"name": spec.name},
            )
        labels = attrs["Config"].get("Labels") or {}
        if labels.get(SPEC_LABEL) != spec.fingerprint():
            raise BookingConflict(
                f"Booking {spec.booking_id} already runs with another image or limits; stop it first.",
                {"name": spec.name, "image": attrs["Config"].get("Image")},
            )

    def _adopt(self, attrs: dict, spec: SessionSpec, prepare: bool = False) -> dict | None:
        """Reuse the booking's existing container, or return None when it was removed.

        A start unpauses a prepared container and starts a created or exited
        one; a prepare leaves any container that exists as it is.
        """
        self._check_same_booking(attrs, spec)
        state = attrs.get("State") or {}
        status = state.get("Status")
        if status in ("dead", "removing"):  # start afresh
            self._remove_quietly(attrs["Id"])
            return None
        if prepare or (status == "running" and not state.get("Paused")) or status == "restarting":
            return self.describe(attrs)
        if status == "paused" or state.get("Paused"):
            try:
                self._docker("unpause", attrs["Id"])
            except DockerConflict:
                pass  # unpaused meanwhile: already in the wanted state
            # Running now: describe it without another round trip to the engine.
            return self.describe({**attrs, "State": {**state, "Status": "running", "Running": True,
                                                     "Paused": False}})
        log.info("starting %s container %s in place", status, spec.name)
        try:
            self._docker("start", attrs["Id"])
        except DockerConflict:
            pass  # started concurrently: already in the wanted state
        fresh = self.inspect(attrs["Id"])
        if fresh is None:
            return None
        return self.describe(fresh)

    def _create(self, spec: SessionSpec, host_port: int | None, gpus: list[str]) -> str:
        labels = {
            MANAGED_LABEL: "true",
            NODE_LABEL: self.config.node_id,
            BOOKING_LABEL: spec.booking_id,
            SPEC_LABEL: spec.fingerprint(),
            GPUS_LABEL: ",".join(gpus),
        }
        if spec.controller_id:
            labels[CONTROLLER_LABEL] = spec.controller_id
        port_bindings = None
        if spec.port is not None:
            labels[CONTAINER_PORT_LABEL] = str(spec.port)
        if spec.port is not None and host_port is not None:
            labels[HOST_PORT_LABEL] = str(host_port)
            port_bindings = {f"{spec.port}/tcp": (self.config.publish_address, host_port)}
        device_requests = (
            [DeviceRequest(driver="nvidia", device_ids=gpus, capabilities=[["gpu"]])] if gpus else None
        )
        host_config = self._docker(
            "create_host_config",
            nano_cpus=spec.nano_cpus,
            mem_limit=spec.memory_bytes,
            memswap_limit=spec.memory_bytes,
            pids_limit=self.config.pids_limit,
            security_opt=["no-new-privileges"],
            cap_drop=["ALL"],
            privileged=False,
            init=True,
            port_bindings=port_bindings,
            # A published session (not HTTP) is reached on the node, so it stays off the
            # session network (an internal network publishes nothing).
            network_mode=None if spec.publish else self.config.session_network,
            device_requests=device_requests,
            log_config=_LOG_CONFIG,
            binds=None,
            mounts=None,
        )
        created = self._docker(
            "create_container",
            spec.image,
            command=list(spec.command) if spec.command else None,
            name=spec.name,
            labels=labels,
            environment=dict(spec.env),
            ports=[(spec.port, "tcp")] if spec.port else None,
            host_config=host_config,
            detach=True,
        )
        return created["Id"]

    def _free_port(self, summaries: list[dict], tried: set[int]) -> int:
        """A host port of the range used by no managed container and bindable now."""
        low, high = self.config.port_range
        used = set(tried)
        for summary in summaries:
            label = (summary.get("Labels") or {}).get(HOST_PORT_LABEL)
            if label and label.isdigit():
                used.add(int(label))
            used.update(p["PublicPort"] for p in summary.get("Ports") or [] if "PublicPort" in p)
        span = high - low + 1
        offset = random.randrange(span)
        for i in range(span):
            port = low + (offset + i) % span
            if port not in used and _bindable(self.config.publish_address, port):
                return port
        raise NoFreePort(f"Every host port in {low}-{high} is taken.", {"port_range": [low, high]})

    # ----- stop ----------------------------------------------------------------

    def stop(self, name: str, timeout: int | None = None) -> dict:
        """Stop the managed container `name` gracefully, then remove it.

        SIGTERM, then SIGKILL after `timeout` seconds (default: the config's
        stop timeout). Idempotent: a container already gone gives
        `already_gone: true`. Raises NotManaged (the container was not created
        by the agent; it is left untouched) or DockerUnavailable.
        """
        timeout = self.config.stop_timeout if timeout is None else timeout
        attrs = self.inspect(name)
        if attrs is None:
            return {
                "name": name,
                "id": None,
                "stopped": False,
                "removed": False,
                "already_gone": True,
            }
        if not self.is_managed(attrs):
            raise NotManaged(
                f"Container {name!r} was not created by the agent; it was left untouched.",
                {"name": name},
            )
        container_id = attrs["Id"]
        state = attrs.get("State") or {}
        # A prepared (paused) container never ran its session: removing it
        # with force is its stop, as a frozen process cannot take SIGTERM.
        was_running = bool(state.get("Running")) and not state.get("Paused")
        try:
            if was_running:
                self._docker("stop", container_id, timeout=timeout)
            removed = self._remove_quietly(container_id)
        except ContainerGone:
            removed = False
        return {
            "name": name,
            "id": container_id,
            "stopped": was_running,
            "removed": removed,
            "already_gone": False,
        }

    def _remove_quietly(self, container_id: str) -> bool:
        """Force-remove a container; True if this call removed it, False if already gone."""
        try:
            self._docker("remove_container", container_id, v=True, force=True)
        except ContainerGone:
            return False
        except DockerConflict:  # removal already in progress
            return False
        return True

    # ----- reporting -----------------------------------------------------------

    def describe(self, attrs: Mapping) -> dict:
        """The agent's public view of one managed container (from inspect data)."""
        config = attrs.get("Config") or {}
        labels = config.get("Labels") or {}
        host_config = attrs.get("HostConfig") or {}
        state = attrs.get("State") or {}
        host_port = _published_port(attrs) or _int_or_none(labels.get(HOST_PORT_LABEL))
        container_port = _int_or_none(labels.get(CONTAINER_PORT_LABEL))
        started = state.get("StartedAt")
        name = (attrs.get("Name") or "").lstrip("/")
        # On the session network the proxy reaches the container by name.
        on_network = self.config.session_network and host_port is None
        host, port = (name, container_port) if on_network else (self.config.public_host, host_port)
        return {
            "id": attrs.get("Id"),
            "name": name,
            "booking_id": labels.get(BOOKING_LABEL),
            "controller_id": labels.get(CONTROLLER_LABEL),
            "image": config.get("Image"),
            "status": state.get("Status"),
            # Made ahead of its start and not started yet (the agent pauses
            # containers only when it prepares them).
            "prepared": state.get("Status") in ("created", "paused"),
            "exit_code": state.get("ExitCode") if state.get("Status") == "exited" else None,
            "oom_killed": bool(state.get("OOMKilled")),
            "created_at": attrs.get("Created"),
            "started_at": None if not started or started.startswith("0001-") else started,
            "host": host,
            "port": port,
            "container_port": container_port,
            "cpu_cores": (host_config.get("NanoCpus") or 0) / 1e9,
            "memory_gb": (host_config.get("Memory") or 0) / 2**30,
            "gpus": [g for g in labels.get(GPUS_LABEL, "").split(",") if g],
        }

    def list_managed(self, usage: bool = True, controller_id: str | None = None) -> list[dict]:
        """Every managed container (any state), with one-shot resource usage when asked.

        With `controller_id`, only that controller's containers and those that
        name no controller (made before controllers sent their id): never
        another controller's. Usage comes from Docker's one-shot stats (no
        two-sample wait), fetched in parallel; a container that vanishes
        meanwhile is skipped. Raises DockerUnavailable.
        """
        described = []
        for summary in self._managed_summaries():
            owner = (summary.get("Labels") or {}).get(CONTROLLER_LABEL)
            if controller_id and owner and owner != controller_id:
                continue
            attrs = self.inspect(summary["Id"])
            if attrs is not None and self.is_managed(attrs):
                described.append(self.describe(attrs))
        if usage:
            running = [d for d in described if d["status"] == "running"]
            if running:
                with ThreadPoolExecutor(max_workers=min(_STATS_WORKERS, len(running))) as pool:
                    for item, stats in zip(
                        running, pool.map(lambda d: self._usage(d["id"]), running), strict=True
                    ):
                        item["usage"] = stats
        for item in described:
            item.setdefault("usage", None)
        return described

    def _usage(self, container_id: str) -> dict | None:
        try:
            stats = self._docker("stats", container_id, stream=False, one_shot=True)
        except AgentError:
            return None
        memory = stats.get("memory_stats") or {}
        mem_stats = memory.get("stats") or {}
        cache = mem_stats.get("total_inactive_file", mem_stats.get("inactive_file", 0))
        cpu = (stats.get("cpu_stats") or {}).get("cpu_usage") or {}
        return {
            "cpu_seconds": (cpu.get("total_usage") or 0) / 1e9,
            "memory_bytes": max((memory.get("usage") or 0) - (cache or 0), 0),
            "memory_limit_bytes": memory.get("limit"),
            "pids": (stats.get("pids_stats") or {}).get("current"),
        }


def _explain(exc: docker.errors.APIError) -> str:
    explanation = exc.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors="replace")
    return str(explanation or exc)


def _port_busy(exc: AgentError) -> bool:
    return any(marker in exc.message for marker in _PORT_BUSY_MARKERS)


def _bindable(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def _published_port(attrs: Mapping) -> int | None:
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for bindings in ports.values():
        for binding in bindings or []:
            if binding.get("HostPort", "").isdigit():
                return int(binding["HostPort"])
    return None


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
