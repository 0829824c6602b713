"""Faults while bookings run, across real processes (a gunicorn controller
with its scheduler, a real agent, the real engine), each with a bound on how
long the lab takes to converge:

- Postgres restarts just before bookings start (every connection of the
  controller, its advisory lock's included, is cut and refused for 2 s);
- Postgres is down across the bookings' start times (8 s);
- the agent is killed while a session runs and comes back after its end;
- the controller is killed (master and worker at once) while sessions run.

Every booking starts once and stops once, whatever happened, and no
container is left behind. Postgres is never stopped (it is shared): its
restart is simulated on this run's database only, with
`ALLOW_CONNECTIONS false` and `pg_terminate_backend`. The convergence
figures are printed (pytest -s)."""

import os
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy.exc import OperationalError

from controller.extensions import db
from controller.models import AuditEvent, Booking
from tests.controller.conftest import _admin_execute
from tests.processes import ControllerProcess

S = timedelta(seconds=1)
# FAULT_LOG_LEVEL=DEBUG: the controllers log their agent calls (in the test's tmp_path).
DEBUG_ENV = {"LOG_LEVEL": os.environ["FAULT_LOG_LEVEL"]} if os.environ.get("FAULT_LOG_LEVEL") else {}
# Convergence bounds (seconds), well above what this machine measures (see the
# printed figures) so a loaded CI machine passes, and well below "never".
START_AFTER_RECOVERY = 15
STOP_AFTER_AGENT_BACK = 20
STOP_AFTER_CONTROLLER_BACK = 15


@pytest.fixture
def controller(database_url, session_image, tmp_path):
    started = []

    def launch(name: str = "controller") -> ControllerProcess:
        process = ControllerProcess(database_url, session_image, tmp_path / f"{name}.log", **DEBUG_ENV)
        started.append(process)
        return process

    yield launch
    for process in started:
        process.stop()


def read(query, retries: int = 50):
    """A query from the test's side, riding out the outage it caused."""
    for _ in range(retries):
        try:
            db.session.expire_all()
            return query()
        except OperationalError:
            db.session.rollback()
            db.engine.dispose()
            time.sleep(0.2)
    raise AssertionError("the database did not come back")


def wait_for(predicate, timeout: float, what: str, ids=()) -> float:
    """Seconds waited until `predicate()` held."""
    began = time.monotonic()
    while time.monotonic() < began + timeout:
        if read(predicate):
            return time.monotonic() - began
        time.sleep(0.2)
    states = read(lambda: [(i, status(i), actions(i)) for i in ids])
    raise AssertionError(f"timed out after {timeout} s waiting for {what}: {states}")


def status(booking_id: int) -> str:
    return db.session.get(Booking, booking_id).status


def actions(booking_id: int) -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.entity_type == "booking", AuditEvent.entity_id == booking_id).order_by(AuditEvent.id)))


def assert_started_and_stopped_once(booking_ids, docker_client) -> None:
    for booking_id in booking_ids:
        done = read(lambda booking_id=booking_id: actions(booking_id))
        assert done.count("started") == 1 and done.count("completed") == 1, (booking_id, done)
        assert docker_client.containers.list(all=True, filters={"name": f"^/booking-{booking_id}$"}) == []


def database_outage(database_url: str, seconds: float) -> tuple[float, float]:
    """Refuse new connections to this run's database and cut every open one
    for `seconds` (what a Postgres restart does to its clients). Returns the
    outage's start and end (time.time())."""
    name = database_url.rsplit("/", 1)[1]
    began = time.time()
    _admin_execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        _admin_execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        time.sleep(seconds)
    finally:
        _admin_execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    db.engine.dispose()  # the test's own pooled connections were cut too
    return began, time.time()


def lateness(booking_ids, since=None) -> list[float]:
    """Seconds from each booking's start (or from `since`, if later) to its
    container's start."""
    def compute():
        values = []
        for booking_id in booking_ids:
            booking = db.session.get(Booking, booking_id)
            origin = max(booking.start_time.timestamp(), since or 0)
            values.append(round(booking.started_at.timestamp() - origin, 2))
        return values
    return read(compute)


def test_a_postgres_restart_just_before_the_starts_delays_them_boundedly(lab, factory, session_image, controller,
                                                                          docker_client, database_url):
    controller()
    bookings = [factory.approved(lab, session_image, start_in=(4 + i) * S, duration=4 * S) for i in range(3)]
    ids = [b.id for b in bookings]
    db.session.commit()
    time.sleep(2.5)
    _, back = database_outage(database_url, 2)

    wait_for(lambda: all(status(i) == "completed" for i in ids), 60, "every booking to complete", ids)

    late = lateness(ids, since=back)
    print(f"\npostgres restart (2 s, 1.5 s before the first start): start after recovery (s) {late}")
    assert all(x <= START_AFTER_RECOVERY for x in late), late
    assert_started_and_stopped_once(ids, docker_client)


def test_postgres_down_across_the_starts_starts_them_once_after_it_returns(lab, factory, session_image, controller,
                                                                           docker_client, database_url):
    process = controller()
    # Their windows outlast the outage (a window that passes whole is expired, not started).
    bookings = [factory.approved(lab, session_image, start_in=(3 + i) * S, duration=12 * S) for i in range(3)]
    ids = [b.id for b in bookings]
    db.session.commit()
    time.sleep(1)
    seen = {}

    def probe_health():
        answer = requests.get(f"http://127.0.0.1:{process.port}/api/health", timeout=5)
        seen[answer.status_code] = answer.json()

    name = database_url.rsplit("/", 1)[1]
    _admin_execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        _admin_execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        time.sleep(1)
        probe_health()  # what an operator sees meanwhile
        time.sleep(7)
    finally:
        _admin_execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    back = time.time()
    db.engine.dispose()

    wait_for(lambda: all(status(i) == "completed" for i in ids), 60, "every booking to complete", ids)

    assert seen[503]["error"] == "service_unavailable" and seen[503]["details"] == {"database": "down"}
    late = lateness(ids, since=back)
    print(f"\npostgres down 8 s across three starts: start after recovery (s) {late}")
    assert all(x <= START_AFTER_RECOVERY for x in late), late
    assert_started_and_stopped_once(ids, docker_client)


def test_an_agent_killed_across_a_sessions_end_stops_it_once_it_returns(lab, factory, session_image, controller,
                                                                       docker_client, agent_process):
    controller()
    booking = factory.approved(lab, session_image, start_in=3 * S, duration=4 * S)
    db.session.commit()
    wait_for(lambda: status(booking.id) == "active", 30, "the start")
    agent_process.kill()
    try:
        end = booking.end_time.timestamp()
        time.sleep(max(0.0, end - time.time()) + 3)  # the end passes with the agent down
        assert read(lambda: status(booking.id)) == "active"
    finally:
        agent_process.start()
    back = time.time()

    waited = wait_for(lambda: status(booking.id) == "completed", STOP_AFTER_AGENT_BACK, "the stop after the return")
    past_end = round(back + waited - end, 2)
    print(f"\nagent down from during the session to 3 s past its end: stopped {waited:.2f} s after the agent "
          f"returned ({past_end} s past the end)")
    assert_started_and_stopped_once([booking.id], docker_client)


def test_a_killed_controller_restarted_stops_its_sessions_and_starts_the_next(lab, factory, session_image,
                                                                               controller, docker_client):
    first = controller("first")
    running = factory.approved(lab, session_image, start_in=3 * S, duration=6 * S)
    upcoming = factory.approved(lab, session_image, start_in=10 * S, duration=12 * S)
    db.session.commit()
    wait_for(lambda: status(running.id) == "active", 30, "the first start")
    first.kill()
    time.sleep(max(0.0, running.end_time.timestamp() - time.time()) + 1)  # its end passes while it is down
    began = time.time()
    controller("second")

    wait_for(lambda: status(running.id) == "completed", STOP_AFTER_CONTROLLER_BACK, "the overdue stop",
             [running.id, upcoming.id])
    stopped = time.time() - began  # the new process's own start included
    wait_for(lambda: status(upcoming.id) == "completed", 60, "the next booking", [upcoming.id])
    past_end = round(began + stopped - running.end_time.timestamp(), 2)
    print(f"\ncontroller killed mid-session, restarted 1 s past its end: stopped {stopped:.2f} s after the "
          f"restart began ({past_end} s past the end); next start late by {lateness([upcoming.id])} s")
    assert stopped <= STOP_AFTER_CONTROLLER_BACK
    assert all(x <= START_AFTER_RECOVERY for x in lateness([upcoming.id]))
    assert_started_and_stopped_once([running.id, upcoming.id], docker_client)
