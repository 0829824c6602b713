"""Memory of one controller under a burst of correct logins (issue 11, item 12).

Starts the real controller (`python -m controller.app`, as `make run` does)
on 127.0.0.1 against a scratch Postgres database, logs in once to warm it
up, samples its resident memory (RSS, every process of its tree) while idle
for a second: the baseline. Then fires N logins at the same instant from N
threads, each with the right password, sampling RSS all along, and checks
every one was answered 200 with working tokens for that user (and a wrong
password still 401). Prints peak/idle and fails when the peak exceeds the
stated ceiling: idle + MAX_CONCURRENT_HASHES x 19 MiB (argon2's memory per
hash) + 64 MiB for the threads and buffers of the burst.

    .venv/bin/python bench/login_burst.py [-n 100] [--root DIR]

`--root` runs another checkout's controller (e.g. an older commit exported
with `git archive`) with the same procedure, for a before/after figure; its
verdict against the ceiling is printed but only this tree's counts.

Needs PostgreSQL on 127.0.0.1:5432 (a scratch database is created and
dropped); all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil
import psycopg2
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from controller.services.accounts import MAX_CONCURRENT_HASHES  # noqa: E402
from tests.processes import free_port, wait_http  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
MIB = 1024 * 1024
ARGON2_MIB = 19
BURST_SLACK_MIB = 64
ADMIN, PASSWORD = "admin", "burst-password-1"


def ceiling_mib(idle_mib: float) -> float:
    """The most the burst may take the controller's memory to."""
    return idle_mib + MAX_CONCURRENT_HASHES * ARGON2_MIB + BURST_SLACK_MIB


def admin_sql(sql: str) -> None:
    conn = psycopg2.connect(f"{PG}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


class Controller:
    """`python -m controller.app` of the tree at `root`, scheduler and local agent off."""

    def __init__(self, root: Path, database_url: str, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JWT_SECRET_KEY")}
        env.update(DATABASE_URL=database_url, HOST="127.0.0.1", PORT=str(self.port), LOCAL_AGENT="false",
                   SCHEDULER_ENABLED="false", ADMIN_USERNAME=ADMIN, ADMIN_PASSWORD=PASSWORD,
                   JWT_SECRET_KEY="b" * 48, LOG_LEVEL="WARNING", LOG_JSON="true",
                   # Every login of the burst is the same user from the same address.
                   LOGIN_RATE_LIMIT="100000 per minute", LOGIN_USERNAME_RATE_LIMIT="100000 per minute",
                   LOGIN_IP_RATE_LIMIT="100000 per minute")
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen([sys.executable, "-m", "controller.app"], cwd=root, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(f"{self.url}/api/health", timeout=90)

    def rss(self) -> tuple[int, int]:
        """(largest process, whole tree) resident bytes."""
        try:
            procs = [psutil.Process(self.process.pid)]
            procs += procs[0].children(recursive=True)
        except psutil.NoSuchProcess:
            return 0, 0
        sizes = []
        for proc in procs:
            try:
                sizes.append(proc.memory_info().rss)
            except psutil.NoSuchProcess:
                pass
        return max(sizes, default=0), sum(sizes)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


class Sampler(threading.Thread):
    def __init__(self, controller: Controller, interval: float = 0.01):
        super().__init__(daemon=True)
        self.controller, self.interval = controller, interval
        self.samples: list[tuple[int, int]] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            self.samples.append(self.controller.rss())
            time.sleep(self.interval)

    def stop(self) -> list[tuple[int, int]]:
        self.running = False
        self.join(timeout=5)
        return self.samples


def login(url: str, password: str = PASSWORD) -> requests.Response:
    with requests.Session() as session:
        return session.post(f"{url}/api/auth/login", json={"username": ADMIN, "password": password},
                            timeout=120)


def correct(url: str, response: requests.Response | None) -> bool:
    """A 200 for the admin whose access token works."""
    if response is None or response.status_code != 200:
        return False
    body = response.json()
    if body.get("user", {}).get("username") != ADMIN or not body.get("refresh_token"):
        return False
    me = requests.get(f"{url}/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"},
                      timeout=30)
    return me.status_code == 200 and me.json().get("username") == ADMIN


def burst(controller: Controller, n: int) -> dict:
    """Idle baseline, then `n` simultaneous logins; the figures of one run."""
    if not correct(controller.url, login(controller.url)):  # warm up: imports, pools, first hash
        raise SystemExit("the warm-up login failed; see the controller's log")
    time.sleep(0.5)
    idle = Sampler(controller)
    idle.start()
    time.sleep(1.0)
    idle_samples = idle.stop()
    idle_largest = statistics.median(s[0] for s in idle_samples)
    idle_tree = statistics.median(s[1] for s in idle_samples)

    responses: list[requests.Response | None] = [None] * n
    start = threading.Barrier(n + 1)

    def one(i: int) -> None:
        start.wait()
        try:
            responses[i] = login(controller.url)
        except requests.RequestException:
            responses[i] = None

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    sampler = Sampler(controller)
    sampler.start()
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.monotonic() - began
    time.sleep(0.2)
    samples = sampler.stop()
    statuses: dict[int | None, int] = {}
    for response in responses:
        key = response.status_code if response is not None else None
        statuses[key] = statuses.get(key, 0) + 1
    ok = sum(correct(controller.url, r) for r in responses)
    wrong = login(controller.url, "not-the-password").status_code
    return {"idle_largest": idle_largest, "idle_tree": idle_tree,
            "peak_largest": max(s[0] for s in samples), "peak_tree": max(s[1] for s in samples),
            "after_largest": samples[-1][0], "ok": ok, "n": n, "statuses": statuses,
            "wrong_password": wrong, "seconds": elapsed, "processes": len(psutil.Process(
                controller.process.pid).children(recursive=True)) + 1}


def run(root: Path, n: int) -> dict:
    name = f"bench_login_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_sql(f'CREATE DATABASE "{name}"')
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"{name}.log"
    controller = None
    try:
        controller = Controller(root, f"{PG}/{name}", log_path)
        return burst(controller, n)
    finally:
        if controller is not None:
            controller.stop()
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(label: str, figures: dict) -> bool:
    """Print one run's figures; whether it kept under the ceiling with every login correct."""
    idle, peak = figures["idle_largest"] / MIB, figures["peak_largest"] / MIB
    ceiling = ceiling_mib(idle)
    passed = peak <= ceiling and figures["ok"] == figures["n"] and figures["wrong_password"] == 401
    print(f"{label}: {figures['n']} simultaneous logins in {figures['seconds']:.1f} s, "
          f"{figures['ok']}/{figures['n']} correct (statuses {figures['statuses']}), "
          f"wrong password -> {figures['wrong_password']}")
    print(f"  largest process RSS: idle {idle:.0f} MiB, peak {peak:.0f} MiB = {peak / idle:.2f}x idle, "
          f"after {figures['after_largest'] / MIB:.0f} MiB; ceiling {ceiling:.0f} MiB "
          f"(idle + {MAX_CONCURRENT_HASHES} x {ARGON2_MIB} MiB + {BURST_SLACK_MIB} MiB) -> "
          f"{'under' if peak <= ceiling else 'OVER'}")
    print(f"  whole tree ({figures['processes']} processes): idle {figures['idle_tree'] / MIB:.0f} MiB, "
          f"peak {figures['peak_tree'] / MIB:.0f} MiB = {figures['peak_tree'] / figures['idle_tree']:.2f}x")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100, help="simultaneous logins (at most 200)")
    parser.add_argument("--root", type=Path, action="append", default=[],
                        help="also run this checkout's controller, for comparison (repeatable)")
    args = parser.parse_args()
    n = max(1, min(args.n, 200))
    for other in args.root:
        report(f"{other}", run(other.resolve(), n))
    return 0 if report("this tree", run(ROOT, n)) else 1


if __name__ == "__main__":
    sys.exit(main())
