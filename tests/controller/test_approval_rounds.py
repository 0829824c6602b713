"""Approval rounds (APPROVAL_MODE=rounds): a request its policy approves that
starts later is held, pending, for the round that decides it (its owner sees
when); one starting sooner is decided at once; a round weighs the pending
requests together, so one large request does not crowd out two that arrive
after it; nothing is ever over-booked and nothing approved is ever dropped;
bad settings stop the controller with a clear message."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from bench.replay import overbooked
from controller.config import ConfigError, check_config
from controller.extensions import db
from controller.models import AuditEvent, Booking, utcnow
from controller.services import approval_rounds, bookings
from tests.controller.conftest import bearer
from tests.controller.helpers import iso
from tests.controller.test_policies import auto_policy, set_default

HOUR = timedelta(hours=1)


@pytest.fixture
def rounds(app):
    """Rounds on: decided 6 h before the start, rounds every 2 h, every
    request held whatever its size."""
    app.config.update(APPROVAL_MODE="rounds", APPROVAL_DECIDE_HOURS=6, APPROVAL_ROUND_MINUTES=120,
                      APPROVAL_ROUND_LOOKAHEAD_HOURS=72, APPROVAL_ROUND_TIME_LIMIT_MS=2000,
                      APPROVAL_ROUND_CORE_HOUR_WEIGHT=5, APPROVAL_AT_ONCE_MAX_CORES=0)
    set_default(auto_approve=True)  # every request inside the auto bounds
    return app


def tomorrow(hour: int) -> datetime:
    """`hour` o'clock UTC the day after tomorrow: always more than a day away."""
    day = (utcnow() + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(hours=hour)


def book(client, user, start: datetime, hours: float, cores: int) -> dict:
    response = client.post("/api/student/book", headers=bearer(user), json={
        "start_time": iso(start), "end_time": iso(start + timedelta(hours=hours)),
        "cpu_cores": cores, "memory_gb": cores})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def run_round(moment: datetime) -> dict:
    """`approval_rounds.run_round` at `moment`, without its lock timing."""
    result = approval_rounds.run_round(moment)
    result.pop("locked_ms", None)
    return result


def status_of(booking_id: int) -> tuple[str, int | None]:
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    return booking.status, booking.agent_id


def test_a_request_starting_later_is_held_and_decided_at_its_round(rounds, client, factory, node):
    student = factory.user()
    held = book(client, student, tomorrow(14), 2, 4)
    assert held["status"] == "pending" and held["agent_id"] is None
    decide_at = tomorrow(8)  # 6 h before, on the 2-hour grid
    assert datetime.fromisoformat(held["decided_by"]) == decide_at
    (event,) = db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity_id == held["id"],
                                                              AuditEvent.action == "held_for_round"))
    assert event.after["decide_at"] is not None and event.actor_id is None
    admin = factory.admin()
    history = client.get(f"/api/admin/bookings/{held['id']}", headers=bearer(admin)).get_json()["events"]
    assert [(e["action"], e["actor"]) for e in history] == [("created", student.username),
                                                            ("held_for_round", "policy")]
    assert run_round(decide_at - timedelta(minutes=1)) == {}  # not due yet
    assert bookings.retry_auto_approvals() == {}  # the retry leaves it to its round
    assert status_of(held["id"]) == ("pending", None)
    assert run_round(decide_at) == {"approved": 1, "left_for_admin": 0, "moved": 0}
    assert status_of(held["id"]) == ("approved", node.id)
    mine = client.get(f"/api/student/bookings/{held['id']}", headers=bearer(student)).get_json()
    assert (mine["status"], mine["decided_by"]) == ("approved", None)
    assert run_round(decide_at + HOUR) == {}  # nothing twice


def test_a_request_starting_within_the_hold_is_decided_at_once(rounds, client, factory, node):
    soon = (utcnow() + 3 * HOUR).replace(microsecond=0)
    body = book(client, factory.user(), soon, 1, 2)
    assert (body["status"], body["agent_id"], body["decided_by"]) == ("approved", node.id, None)


def test_small_requests_are_decided_at_once_and_larger_ones_wait(rounds, client, factory, node):
    rounds.config["APPROVAL_AT_ONCE_MAX_CORES"] = 2
    small = book(client, factory.user(), tomorrow(14), 2, 2)
    larger = book(client, factory.user(), tomorrow(14), 2, 3)
    assert (small["status"], small["decided_by"]) == ("approved", None)
    assert larger["status"] == "pending" and larger["decided_by"]


def test_a_round_applies_nothing_when_the_lab_changed_while_it_solved(rounds, client, factory, node,
                                                                     monkeypatch, database_url):
    """The selection runs without locks; if a booking arrived on the node
    meanwhile, the round applies nothing, and the next run decides again
    from what is there now."""
    held = book(client, factory.user(), tomorrow(14), 2, 4)
    choose = approval_rounds.placement.choose_batch

    def meanwhile(*args, **kwargs):
        answer = choose(*args, **kwargs)
        factory.booking(factory.user(), status="approved", agent_id=node.id, cpu_cores=6, memory_gb=6,
                        start_time=tomorrow(14), end_time=tomorrow(16))
        return answer

    monkeypatch.setattr(approval_rounds.placement, "choose_batch", meanwhile)
    assert run_round(tomorrow(8)) == {"changed": True}
    assert status_of(held["id"]) == ("pending", None)
    monkeypatch.setattr(approval_rounds.placement, "choose_batch", choose)
    assert run_round(tomorrow(8)) == {"approved": 0, "left_for_admin": 1, "moved": 0}
    assert overbooked(database_url) == 0


def test_on_arrival_mode_approves_at_once_whatever_the_start(app, client, factory, node):
    auto_policy()
    body = book(client, factory.user(), tomorrow(14), 2, 2)
    assert (body["status"], body["decided_by"]) == ("approved", None)


def test_a_round_takes_two_requests_rather_than_the_one_that_would_block_them(rounds, client, factory, node):
    """One 8-core node. A big request (8 cores, 10:00-14:00, decided at 04:00)
    arrives first; two of 4 cores for 12:00-14:00 (decided at 06:00) after it.
    On arrival the big one would be taken and both small ones refused; the
    round at 04:00 weighs all three and keeps the room for the two."""
    big = book(client, factory.user(), tomorrow(10), 4, 8)
    small = [book(client, factory.user(), tomorrow(12), 2, 4) for _ in range(2)]
    assert run_round(tomorrow(4)) == {"approved": 0, "left_for_admin": 1, "moved": 0}
    assert status_of(big["id"]) == ("pending", None)
    left = db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity_id == big["id"],
                                                          AuditEvent.action == "left_for_admin")).one()
    assert "waits for an admin" in left.after["note"]
    assert [status_of(s["id"]) for s in small] == [("pending", None)] * 2  # not due yet: still held
    assert run_round(tomorrow(6)) == {"approved": 2, "left_for_admin": 0, "moved": 0}
    assert [status_of(s["id"]) for s in small] == [("approved", node.id)] * 2
    assert status_of(big["id"]) == ("pending", None)  # an admin may still decide it


def test_rounds_never_overbook_and_never_drop_an_approved_booking(rounds, client, factory, database_url):
    """A random day on two nodes, with bookings approved beforehand (movable):
    at every round, everything approved before is still approved, and an
    independent SQL sweep finds no node holding more than it has."""
    rng = random.Random(13)
    nodes = [factory.agent(name="node-a", cpu_cores=8, memory_gb=32),
             factory.agent(name="node-b", cpu_cores=16, memory_gb=64)]
    for i in range(6):
        start = tomorrow(8 + 2 * i)
        factory.booking(factory.user(), status="approved", agent_id=nodes[i % 2].id, cpu_cores=4,
                        memory_gb=4, start_time=start, end_time=start + 3 * HOUR)
    requests = []
    for _ in range(30):
        start = tomorrow(rng.randrange(8, 30))
        requests.append(book(client, factory.user(), start, rng.randint(1, 6), rng.choice((1, 2, 4, 8, 12))))
    assert all(r["status"] == "pending" and r["decided_by"] for r in requests)
    approved_before: set[int] = set(db.session.scalars(db.select(Booking.id).where(Booking.status == "approved")))
    moment = tomorrow(0)
    while moment < tomorrow(30):
        approval_rounds.run_round(moment)
        db.session.expire_all()
        approved_now = set(db.session.scalars(db.select(Booking.id).where(Booking.status == "approved")))
        assert approved_before <= approved_now, "a round dropped an approved booking"
        assert overbooked(database_url) == 0
        approved_before = approved_now
        moment += 2 * HOUR
    assert not db.session.scalars(db.select(Booking).where(Booking.status == "pending",
                                                           Booking.decide_at.is_not(None))).all()
    assert len(approved_before) > 6  # some were taken


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("APPROVAL_MODE", "sometimes", "APPROVAL_MODE is 'sometimes'; use one of on_arrival, rounds."),
    ("APPROVAL_ROUND_MINUTES", 0, "APPROVAL_ROUND_MINUTES is 0; it must be a number of at least 1."),
    ("APPROVAL_DECIDE_HOURS", -1, "APPROVAL_DECIDE_HOURS is -1; it must be a number of at least 0."),
    ("APPROVAL_ROUND_LOOKAHEAD_HOURS", "a day", "APPROVAL_ROUND_LOOKAHEAD_HOURS is 'a day'; it must be a number."),
    ("APPROVAL_ROUND_CORE_HOUR_WEIGHT", float("nan"), "APPROVAL_ROUND_CORE_HOUR_WEIGHT is nan;"),
    ("APPROVAL_AT_ONCE_MAX_CORES", -1, "APPROVAL_AT_ONCE_MAX_CORES is -1; it must be a number of at least 0."),
])
def test_bad_approval_round_settings_stop_the_controller_with_a_clear_message(app, setting, value, message):
    config = dict(app.config, **{setting: value})
    with pytest.raises(ConfigError) as error:
        check_config(config)
    assert str(error.value).startswith(message)
    app.config[setting] = value
    with pytest.raises(ConfigError):
        approval_rounds.run_round()


def test_decide_at_is_the_last_round_boundary_at_least_the_hold_before_the_start(rounds):
    now = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)
    assert approval_rounds.decide_at(datetime(2027, 1, 5, 15, 30, tzinfo=UTC), now) == datetime(
        2027, 1, 5, 8, 0, tzinfo=UTC)
    assert approval_rounds.decide_at(datetime(2027, 1, 4, 7, 0, tzinfo=UTC), now) is None  # at once
