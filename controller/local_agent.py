"""The embedded default's own node: when a Docker engine answers on this
machine, `python -m controller.app` starts a node agent beside it on
127.0.0.1 and registers it as the node `local`, so a newcomer sees a booking
become a real container on one machine. Off with `LOCAL_AGENT=false`."""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import secrets
import signal
import subprocess
import sys
import time

import docker
import psutil
import requests

from controller.errors import CapacityExceeded
from controller.extensions import db
from controller.models import Agent, AgentStatus
from controller.services import agents

log = logging.getLogger(__name__)
NODE_NAME = "local"


def docker_answers() -> bool:
    try:
        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
        return True
    except Exception:
        return False


def _die_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM when the controller dies, so
    no agent outlives it even after a SIGKILL."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start(app) -> subprocess.Popen | None:
    """Start the local agent and register it; None when there is no engine
    or the feature is off."""
    if os.environ.get("LOCAL_AGENT", "auto").lower() in ("0", "false", "no", "off"):
        return None
    if not docker_answers():
        print("  No Docker engine answers here: no local node (bookings wait for a registered node).")
        return None
    port = int(os.environ.get("LOCAL_AGENT_PORT", "5001"))
    token = secrets.token_urlsafe(24)
    images = ",".join(image["name"] for image in app.config["SESSION_IMAGES"])
    env = {**os.environ, "AGENT_HOST": "127.0.0.1", "AGENT_PORT": str(port), "AGENT_TOKEN": token,
           "AGENT_PUBLIC_HOST": "127.0.0.1", "AGENT_PUBLISH_ADDRESS": "127.0.0.1", "AGENT_NODE_ID": NODE_NAME,
           "AGENT_IMAGE_ALLOWLIST": os.environ.get("AGENT_IMAGE_ALLOWLIST", images)}
    process = subprocess.Popen([sys.executable, "-m", "agent.app"], env=env, preexec_fn=_die_with_parent)
    atexit.register(process.terminate)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{url}/livez", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.1)
    with app.app_context():
        register(url, token)
    print(f"  Local node agent on {url} (registered as node '{NODE_NAME}')", flush=True)
    return process


def register(url: str, token: str) -> Agent:
    """Create or refresh the `local` node with this machine's size, through
    the same node service as the API and the CLI (audited; a resize that
    would over-book the node's future bookings is refused and the old size
    kept, with a warning)."""
    size = {"cpu_cores": os.cpu_count() or 1,
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)}
    agent = db.session.scalar(db.select(Agent).where(Agent.name == NODE_NAME))
    if agent is None:
        return agents.register_agent(None, name=NODE_NAME, url=url, token=token, tags=["local"],
                                     wol_port=9, **size)
    reachable = {"url": url, "token": token}
    if agent.status != AgentStatus.MAINTENANCE:
        reachable["status"] = AgentStatus.ONLINE.value
    agent = agents.update_agent(agent.id, None, **reachable)
    try:
        return agents.update_agent(agent.id, None, **size)
    except CapacityExceeded as error:
        log.warning("local node keeps its size: %s", error.message)
        print(f"  The local node keeps its registered size: {error.message}", flush=True)
        return agent
