"""The seed's name for the scheduler's entry point; the runner lives in
`controller.jobs.runner` and the jobs in `controller.jobs`."""

from controller.jobs.runner import start_scheduler

__all__ = ["start_scheduler"]
