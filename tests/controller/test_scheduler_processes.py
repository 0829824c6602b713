"""The scheduler across real controller processes: a restart in the middle
of a booking, and two controllers at once, each start and stop performed
exactly once."""

import time
from datetime import timedelta

import pytest

from controller.extensions import db
from controller.models import AuditEvent, Booking, SchedulerLeader
from tests.processes import ControllerProcess

S = timedelta(seconds=1)


@pytest.fixture
def controllers(database_url, session_image, tmp_path):
    started = []

    def launch(name: str) -> ControllerProcess:
        process = ControllerProcess(database_url, session_image, tmp_path / f"{name}.log")
        started.append(process)
        return process

    yield launch
    for process in started:
        process.stop()


def booking_status(booking_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


# Each move once; the prepare job makes the container ahead when the
# controller is up before the booking's start (then the start unpauses it).
RAN_ONCE = (["session_prepared", "started", "completed"],
            ["session_prepared", "container_prepared", "started", "completed"])


def audit_actions(booking_id: int) -> list[str]:
    db.session.expire_all()
    return [e.action for e in db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.entity_type == "booking", AuditEvent.entity_id == booking_id)
        .order_by(AuditEvent.id))]


def test_a_controller_restarted_mid_booking_still_stops_it_at_the_end(lab, factory, session_image, controllers,
                                                                       docker_client):
    booking = factory.approved(lab, session_image, start_in=3 * S, duration=8 * S)
    first = controllers("first")
    wait_for(lambda: booking_status(booking.id) == "active", 30, "the start")
    first.kill()  # no clean shutdown: the advisory lock goes with its connection
    second = controllers("second")
    wait_for(lambda: booking_status(booking.id) == "completed", 40, "the stop after the restart")
    assert docker_client.containers.list(all=True, filters={"name": f"^/booking-{booking.id}$"}) == []
    assert audit_actions(booking.id) in RAN_ONCE
    db.session.expire_all()
    assert int(db.session.get(SchedulerLeader, 1).holder.rsplit(":", 1)[1]) in second.pids()


def test_two_controllers_at_once_start_and_stop_each_booking_exactly_once(lab, factory, session_image, controllers):
    bookings = [factory.approved(lab, session_image, start_in=(3 + i) * S, duration=4 * S) for i in range(4)]
    controllers("a")
    controllers("b")
    ids = [b.id for b in bookings]
    wait_for(lambda: all(booking_status(i) == "completed" for i in ids), 60, "all bookings to complete")
    for booking_id in ids:
        assert audit_actions(booking_id) in RAN_ONCE
    late = [(db.session.get(Booking, i).started_at - db.session.get(Booking, i).start_time).total_seconds()
            for i in ids]
    print(f"\nstart lateness with two controllers (s): {[round(x, 2) for x in late]}")
    assert all(0 <= x < 10 for x in late)
