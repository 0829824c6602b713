"""What the scheduler did and will do next, for the admins' overview."""

from __future__ import annotations

from controller.extensions import db
from controller.models import SchedulerJob, SchedulerLeader
from controller.services import lifecycle, notifications

RUN_FIELDS = ("last_started_at", "last_finished_at", "last_ok", "last_error", "last_result", "runs")


def status(*, enabled: bool, this_process: dict, intervals: dict[str, float]) -> dict:
    """The leader, the last run of each job (in the order of `intervals`,
    job name to seconds) and the next starts, stops and wakes."""
    runs = {row.name: row for row in db.session.scalars(db.select(SchedulerJob))}
    return {
        "enabled": enabled,
        "leader": db.session.get(SchedulerLeader, 1),
        "this_process": this_process,
        "jobs": [
            {"name": name, "interval_seconds": seconds,
             **({field: getattr(runs[name], field) for field in RUN_FIELDS} if name in runs else {"runs": 0})}
            for name, seconds in intervals.items()
        ],
        "next_actions": lifecycle.next_actions(),
        "mail": notifications.backlog(),
    }
