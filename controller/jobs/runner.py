"""The in-process scheduler, with exactly one leader across processes.

APScheduler 3 cannot share a job store between processes, so every
controller process (gunicorn worker or replica) runs an elector thread, and
only the process holding the leader lock runs the APScheduler jobs:

- Postgres: `pg_try_advisory_lock` on a dedicated connection outside the
  pool. The lock lives as long as that connection, so a leader that dies
  releases it and another process takes over within one election interval.
- SQLite (the embedded default): an exclusive `flock` on a file beside the
  database, which the kernel releases when the process dies.

The jobs are the table in `controller.jobs`; each run is recorded in
`scheduler_jobs`. All state lives in the database and every job is
idempotent, so a takeover neither loses nor repeats an action. Never start
this before a fork (no gunicorn `--preload`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from controller.extensions import db
from controller.jobs import CONTAINER_JOBS, JOBS, JobSpec, run_recorded
from controller.models import SchedulerLeader, utcnow
from controller.services import scheduler_status

log = logging.getLogger(__name__)

# Runs start this long after a second boundary (clock reads and the query's
# own `now` must be past a start time set on the boundary).
TICK_OFFSET_MS = 20


class PostgresLock:
    """A session advisory lock on its own connection (never a pooled one)."""

    def __init__(self, url: str, key: int):
        self.engine = create_engine(url, poolclass=NullPool)
        self.key = key
        self.connection = None

    def try_acquire(self) -> bool:
        try:
            self.connection = self.engine.connect()
            got = self.connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            self.connection.commit()
        except Exception:
            log.warning("scheduler election: database unreachable", exc_info=True)
            self.release()
            return False
        if not got:
            self.release()
        return bool(got)

    def still_held(self) -> bool:
        try:
            self.connection.execute(text("SELECT 1"))
            self.connection.commit()
            return True
        except Exception:
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()  # closing the session releases the lock
            except Exception:
                pass
        self.connection = None


class FileLock:
    """An exclusive flock beside the SQLite file."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = None

    def try_acquire(self) -> bool:
        self.handle = open(self.path, "a+")  # noqa: SIM115 (held for the process's leadership)
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            self.release()
            return False

    def still_held(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
        self.handle = None


def leader_lock(app: Flask):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        return PostgresLock(url, app.config["SCHEDULER_LOCK_KEY"])
    database = make_url(url).database or "memory"
    return FileLock(Path(f"{database}.scheduler.lock"))


class SchedulerService:
    """Elects a leader and, while leading, runs the jobs."""

    def __init__(self, app: Flask):
        self.app = app
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self.lock = leader_lock(app)
        self.scheduler: BackgroundScheduler | None = None
        self.container_guard = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._elect_forever, name="scheduler-elector", daemon=True)

    @property
    def is_leader(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        self._step_down()

    def _elect_forever(self) -> None:
        interval = float(self.app.config["SCHEDULER_ELECTION_SECONDS"])
        while not self.stopping.is_set():
            try:
                if self.is_leader:
                    if self.lock.still_held():
                        self._heartbeat()
                    else:
                        log.warning("scheduler leadership lost", extra={"holder": self.identity})
                        self._step_down()
                elif self.lock.try_acquire():
                    self._lead()
            except Exception:
                log.exception("scheduler election failed")
            self.stopping.wait(interval)

    def _lead(self) -> None:
        log.info("scheduler leader elected", extra={"holder": self.identity})
        self._heartbeat(new_leader=True)
        # A thread per job: jobs waiting on the container guard each hold one.
        scheduler = BackgroundScheduler(timezone="UTC", executors={
            "default": {"type": "threadpool", "max_workers": len(JOBS) + 2}}, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
        for job in JOBS:
            seconds = float(self.app.config[job.interval_setting])
            scheduler.add_job(self._run, "interval", seconds=seconds, args=[job], id=job.name,
                              name=job.name, next_run_time=first_run(seconds))
        scheduler.start()
        self.scheduler = scheduler

    def _step_down(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        self.lock.release()

    def _heartbeat(self, new_leader: bool = False) -> None:
        with self.app.app_context():
            now = utcnow()
            row = db.session.get(SchedulerLeader, 1)
            if row is None:
                row = SchedulerLeader(id=1, holder=self.identity, since=now, heartbeat_at=now)
                db.session.add(row)
            if new_leader or row.holder != self.identity:
                row.holder, row.since = self.identity, now
            row.heartbeat_at = now
            db.session.commit()
            db.session.remove()

    def _run(self, job: JobSpec) -> None:
        """Run one job in an app context and record how it went."""
        guard = self.container_guard if job.name in CONTAINER_JOBS else None
        if guard is not None:
            guard.acquire()
        try:
            with self.app.app_context():
                run_recorded(job)
        finally:
            if guard is not None:
                guard.release()


def first_run(interval_seconds: float) -> datetime:
    """Runs of whole-second intervals land just after each second boundary,
    where booking start times lie (the UI books in minutes), so a booking
    waits at most a few milliseconds for the tick, not up to a whole interval."""
    now = utcnow()
    if interval_seconds < 1 or interval_seconds != int(interval_seconds):
        return now
    return now.replace(microsecond=0) + timedelta(seconds=1, milliseconds=TICK_OFFSET_MS)


def start_scheduler(app: Flask) -> SchedulerService | None:
    """Start the elector for this process when the scheduler is enabled."""
    if not app.config["SCHEDULER_ENABLED"]:
        return None
    service = SchedulerService(app)
    app.extensions["scheduler_service"] = service
    service.start()
    return service


def describe(app: Flask) -> dict:
    """The scheduler as an admin sees it: whether it is on, which process
    leads, the last run of each job and the next actions."""
    service: SchedulerService | None = app.extensions.get("scheduler_service")
    return scheduler_status.status(
        enabled=bool(app.config["SCHEDULER_ENABLED"]),
        this_process={"holder": service.identity if service else None,
                      "is_leader": bool(service and service.is_leader)},
        intervals={spec.name: float(app.config[spec.interval_setting]) for spec in JOBS},
    )
