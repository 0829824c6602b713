"""Smoke run of bench/lifecycle_start_latency.py: a real controller process
with its scheduler, two real agents and the engine; four bookings starting in
the same second are prepared ahead and all run. Latencies are printed, never
asserted (the bench itself reports them against a bare `docker run`)."""

import pytest

from bench import lifecycle_start_latency as bench
from tests.processes import docker_client_or_none
from tests.support import require

pytestmark = pytest.mark.docker


def test_sessions_starting_together_are_prepared_ahead_and_all_run(capsys):
    client = docker_client_or_none()
    require(client is not None, "a Docker engine")
    figures = bench.run(client, count=4, prepare=3, deadline=60)
    with capsys.disabled():
        print()
        bench.report("start latency smoke", figures, verbose=True)
    assert len(figures["latencies"]) == len(figures["bare"]) == 4
    assert figures["prepared"] == 4
