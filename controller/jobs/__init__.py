"""The scheduler's jobs: one table of data (name, interval setting, the
service function it runs), and `run_recorded`, which runs one and keeps how
it went in `scheduler_jobs`. `controller.jobs.runner` runs them, in exactly
one process at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from controller.extensions import db
from controller.models import SchedulerJob, utcnow
from controller.services import approval_rounds, bookings, lifecycle, notifications

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    interval_setting: str
    run: Callable[[], dict]


JOBS = (
    JobSpec("tick", "SCHEDULER_TICK_SECONDS", lifecycle.tick),
    # Its own job, outside the container guard: slow prepares never delay a start.
    JobSpec("prepare", "SCHEDULER_TICK_SECONDS", lifecycle.prepare_sessions),
    JobSpec("start_prepared", "SCHEDULER_TICK_SECONDS", lifecycle.start_prepared),
    JobSpec("health", "HEALTH_CHECK_SECONDS", lifecycle.check_health),
    JobSpec("wake", "WOL_CHECK_SECONDS", lifecycle.wake_nodes),
    JobSpec("reconcile", "RECONCILE_SECONDS", lifecycle.reconcile),
    JobSpec("reminders", "REMINDER_CHECK_SECONDS", notifications.queue_reminders),
    JobSpec("mail", "MAIL_SEND_SECONDS", notifications.send_due),
    # Pending bookings a policy approves by itself, tried again as room frees.
    JobSpec("auto_approve", "AUTO_APPROVE_RETRY_SECONDS", bookings.retry_auto_approvals),
    # With APPROVAL_MODE=rounds: the held requests whose round is due, decided together.
    JobSpec("approval_round", "APPROVAL_ROUND_CHECK_SECONDS", approval_rounds.run_round),
)
# These act on running containers; they never run at the same time.
CONTAINER_JOBS = {"tick", "start_prepared", "reconcile"}


def run_recorded(job: JobSpec) -> dict | None:
    """Run `job.run` and keep its start, end, outcome and error in `scheduler_jobs`."""
    started = utcnow()
    result, error = None, None
    try:
        result = job.run()
    except Exception as exc:
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"
        log.exception("scheduler job failed", extra={"job": job.name})
    try:
        row = db.session.get(SchedulerJob, job.name) or SchedulerJob(name=job.name, runs=0)
        row.last_started_at, row.last_finished_at = started, utcnow()
        row.last_ok, row.last_error = error is None, error
        if result:  # an idle run keeps the last interesting result
            row.last_result = result
        row.runs = (row.runs or 0) + 1
        db.session.add(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record a scheduler run", extra={"job": job.name})
    finally:
        db.session.remove()
    return result
