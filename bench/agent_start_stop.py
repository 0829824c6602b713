"""Start/stop latency through the agent against bare `docker run -d` / `docker rm -f`.

Runs the real agent (`python -m agent.app`) on 127.0.0.1 and, in the same run,
the Docker CLI on the same local test image, then prints p50/p95 of each and
the agent/bare ratios. Bounded: at most 50 cycles and --deadline seconds.

    .venv/bin/python bench/agent_start_stop.py [-n 10] [--deadline 120]

Needs a Docker engine and busybox-static; traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
import time
from pathlib import Path

import docker
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402
from tests.dockerimages import BUSYBOX_HTTP_PORT, ensure_busybox_image  # noqa: E402
from tests.processes import AgentProcess  # noqa: E402

MAX_CYCLES = 50
BENCH_LABEL = "lab.bench=agent_start_stop"



def run(cycles: int, deadline_s: float) -> dict[str, list[float]]:
    client = docker.from_env(timeout=60)
    image = ensure_busybox_image(client)
    agent = AgentProcess("lab-test/*")
    auth = {"Authorization": f"Bearer {agent.token}"}
    run_id = secrets.token_hex(4)
    timings: dict[str, list[float]] = {
        k: [] for k in ("agent_start", "agent_stop", "bare_start", "bare_stop")
    }
    url = agent.url
    end = time.monotonic() + deadline_s
    try:
        for i in range(cycles):
            if time.monotonic() > end:
                print(f"deadline reached after {i} cycles", file=sys.stderr)
                break
            body = {
                "booking_id": f"bench-{run_id}-{i}",
                "image": image,
                "cpu_cores": 0.5,
                "memory_gb": 0.25,
                "port": BUSYBOX_HTTP_PORT,
            }
            t0 = time.perf_counter()
            started = requests.post(f"{url}/start_container", headers=auth, json=body, timeout=60)
            timings["agent_start"].append(time.perf_counter() - t0)
            started.raise_for_status()
            t0 = time.perf_counter()
            stopped = requests.post(
                f"{url}/stop_container/{started.json()['name']}", headers=auth, timeout=60
            )
            timings["agent_stop"].append(time.perf_counter() - t0)
            stopped.raise_for_status()

            t0 = time.perf_counter()
            container_id = subprocess.run(
                [
                    "docker",
                    "run",
                    "-d",
                    "--label",
                    BENCH_LABEL,
                    "-p",
                    f"127.0.0.1::{BUSYBOX_HTTP_PORT}",
                    image,
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout.strip()
            timings["bare_start"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run(["docker", "rm", "-f", container_id], check=True, capture_output=True, timeout=60)
            timings["bare_stop"].append(time.perf_counter() - t0)
    finally:
        agent.stop()
        for container in client.containers.list(all=True, filters={"label": BENCH_LABEL}):
            container.remove(force=True)
        for container in client.containers.list(all=True, filters={"name": f"bench-{run_id}-"}):
            if container.labels.get("lab.booking.managed") == "true":
                container.remove(force=True)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--cycles", type=int, default=10)
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds, whole run")
    args = parser.parse_args()
    cycles = max(1, min(args.cycles, MAX_CYCLES))
    timings = run(cycles, args.deadline)
    n = len(timings["agent_start"])
    print(f"{n} cycles, image lab-test/busybox, published port on 127.0.0.1")
    print(f"{'':24}{'p50 ms':>10}{'p95 ms':>10}")
    stats = {}
    for key, label in (
        ("agent_start", "agent start_container"),
        ("bare_start", "docker run -d"),
        ("agent_stop", "agent stop_container"),
        ("bare_stop", "docker rm -f"),
    ):
        values = timings[key]
        stats[key] = (percentile(values, 50) * 1000, percentile(values, 95) * 1000)
        print(f"{label:24}{stats[key][0]:>10.1f}{stats[key][1]:>10.1f}")
    for what in ("start", "stop"):
        agent, bare = stats[f"agent_{what}"], stats[f"bare_{what}"]
        print(f"ratio agent/bare {what}: p50 {agent[0] / bare[0]:.2f}x, p95 {agent[1] / bare[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
