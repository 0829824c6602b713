"""Helpers shared by every test suite."""

import os

import pytest


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(available: bool, what: str) -> None:
    """Skip on a laptop without `what`, but fail under CI=true: CI must never
    go green by silently skipping a suite that needs Docker or a browser."""
    if available:
        return
    if running_in_ci():
        pytest.fail(f"{what} is required under CI=true but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")
