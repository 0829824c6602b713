"""Node facts for GET /health: CPU, memory, disk (psutil), Docker, GPUs (NVML).

Nothing here raises: a missing NVIDIA driver gives `gpus: []`, an engine that
does not answer gives `docker.reachable: false` and `status: "degraded"`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

import psutil

from agent import __version__
from agent.errors import AgentError

log = logging.getLogger(__name__)

_nvml_lock = threading.Lock()
_nvml_ready: bool | None = None  # None: not tried yet


def prime_cpu_percent() -> None:
    """psutil's first cpu_percent(interval=None) is 0.0; call once at start-up."""
    psutil.cpu_percent(interval=None)


def _nvml():
    """The initialised pynvml module, or None when no NVIDIA driver is usable."""
    global _nvml_ready
    with _nvml_lock:
        try:
            import pynvml
        except ImportError:
            return None
        if _nvml_ready is None:
            try:
                pynvml.nvmlInit()
                _nvml_ready = True
            except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, …
                log.info("no usable NVIDIA driver: %s", exc)
                _nvml_ready = False
        return pynvml if _nvml_ready else None


def list_gpus() -> list[dict]:
    """Every GPU NVML sees, in index order; [] without GPUs or driver. Never raises."""
    nvml = _nvml()
    if nvml is None:
        return []
    gpus = []
    try:
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            try:
                utilization = nvml.nvmlDeviceGetUtilizationRates(handle).gpu
            except nvml.NVMLError:
                utilization = None
            name = nvml.nvmlDeviceGetName(handle)
            uuid = nvml.nvmlDeviceGetUUID(handle)
            gpus.append(
                {
                    "index": index,
                    "uuid": uuid.decode() if isinstance(uuid, bytes) else uuid,
                    "name": name.decode() if isinstance(name, bytes) else name,
                    "memory_total_bytes": memory.total,
                    "memory_used_bytes": memory.used,
                    "utilization_percent": utilization,
                }
            )
    except Exception as exc:
        log.warning("NVML query failed: %s", exc)
        return []
    return gpus


def node_facts(runtime) -> dict:
    """Everything GET /health reports. Never raises."""
    config = runtime.config
    memory = psutil.virtual_memory()
    try:
        disk_usage = psutil.disk_usage(config.disk_path)
        disk = {
            "path": config.disk_path,
            "total_bytes": disk_usage.total,
            "free_bytes": disk_usage.free,
            "percent": disk_usage.percent,
        }
    except OSError as exc:
        disk = {"path": config.disk_path, "error": str(exc)}
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None

    docker_facts: dict = {"reachable": False, "version": None, "api_version": None, "error": None}
    containers = {"running_managed": None}
    gpu_owners: dict[str, str] = {}
    images: list[str] | None = None
    try:
        docker_facts.update(runtime.ping(), reachable=True)
        containers["running_managed"] = runtime.count_running_managed()
        gpu_owners = runtime.gpu_assignments()
        images = runtime.session_images()
    except AgentError as exc:
        docker_facts["error"] = exc.message

    gpus = [dict(gpu, booking_id=gpu_owners.get(gpu["uuid"])) for gpu in list_gpus()]
    return {
        "status": "ok" if docker_facts["reachable"] else "degraded",
        "agent_version": __version__,
        "hostname": socket.gethostname(),
        "public_host": config.public_host,
        "cpu": {
            "count": psutil.cpu_count(logical=True),
            "count_physical": psutil.cpu_count(logical=False),
            "percent": psutil.cpu_percent(interval=None),
            "load_avg": load,
        },
        "memory": {
            "total_bytes": memory.total,
            "available_bytes": memory.available,
            "percent": memory.percent,
        },
        "disk": disk,
        "docker": docker_facts,
        "containers": containers,
        "gpus": gpus,
        # Allowed images present here; None when the engine cannot be asked.
        "images": images,
        "limits": {
            "max_cpu_cores": config.max_cpu_cores,
            "max_memory_gb": config.max_memory_gb,
            "port_range": list(config.port_range),
            "image_allowlist": list(config.image_allowlist),
        },
    }
