"""Time-aware capacity: the rules, through the API, and a randomised check of
the sweep against brute force."""

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from controller.extensions import db
from controller.models import utcnow
from controller.services.placement import Resources, evaluate
from tests.controller.helpers import approve, assert_error

HOUR = timedelta(hours=1)


def test_back_to_back_windows_share_capacity(client, admin_headers, factory):
    factory.agent(cpu_cores=4)
    first = factory.booking(factory.user(), cpu_cores=4, start_in=HOUR, duration=HOUR)
    second = factory.booking(factory.user(), cpu_cores=4, start_time=first.end_time, end_time=first.end_time + HOUR)
    assert approve(client, admin_headers, first.id).status_code == 200
    assert approve(client, admin_headers, second.id).status_code == 200


def test_a_one_minute_overlap_does_not_fit(client, admin_headers, factory):
    factory.agent(cpu_cores=4)
    first = factory.booking(factory.user(), cpu_cores=4, start_in=HOUR, duration=HOUR)
    overlap_start = first.end_time - timedelta(minutes=1)
    second = factory.booking(factory.user(), cpu_cores=4, start_time=overlap_start, end_time=overlap_start + HOUR)
    assert approve(client, admin_headers, first.id).status_code == 200
    body = assert_error(approve(client, admin_headers, second.id), 409, "capacity_exceeded")
    assert "No node has room" in body["message"]
    db.session.refresh(second)
    assert (second.status, second.agent_id) == ("pending", None)


@pytest.mark.parametrize("resource", ["cpu_cores", "memory_gb", "gpu_count"])
def test_every_resource_is_bounded(client, admin_headers, factory, resource):
    factory.agent(cpu_cores=4, memory_gb=8, gpu_count=1)
    need = {"cpu_cores": 1, "memory_gb": 1, "gpu_count": 0}
    need[resource] = {"cpu_cores": 3, "memory_gb": 5, "gpu_count": 1}[resource]
    first = factory.booking(factory.user(), **need)
    second = factory.booking(factory.user(), **need)
    assert approve(client, admin_headers, first.id).status_code == 200
    assert_error(approve(client, admin_headers, second.id), 409, "capacity_exceeded")


def test_fractional_memory_adds_up_exactly(client, admin_headers, factory):
    factory.agent(cpu_cores=64, memory_gb=0.3)
    ids = [factory.booking(factory.user(), cpu_cores=1, memory_gb=0.1).id for _ in range(4)]
    statuses = [approve(client, admin_headers, i).status_code for i in ids]
    assert statuses == [200, 200, 200, 409]


def test_pending_bookings_hold_nothing(client, admin_headers, factory):
    factory.agent(cpu_cores=4)
    for _ in range(3):
        factory.booking(factory.user(), cpu_cores=4)
    target = factory.booking(factory.user(), cpu_cores=4)
    assert approve(client, admin_headers, target.id).status_code == 200


def test_cancelled_and_rejected_bookings_release_capacity(client, admin_headers, factory):
    node = factory.agent(cpu_cores=4)
    holder = factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=node.id)
    waiting = factory.booking(factory.user(), cpu_cores=4)
    assert_error(approve(client, admin_headers, waiting.id), 409, "capacity_exceeded")
    client.post(f"/api/admin/bookings/{holder.id}/cancel", headers=admin_headers, json={})
    assert approve(client, admin_headers, waiting.id).status_code == 200


def test_approval_picks_the_least_loaded_node(client, admin_headers, factory, app):
    app.config["PLACEMENT_POLICY"] = "spread"  # the default best_fit has its own tests (test_repack.py)
    busy = factory.agent(name="busy", cpu_cores=8)
    quiet = factory.agent(name="quiet", cpu_cores=8)
    factory.booking(factory.user(), cpu_cores=6, status="approved", agent_id=busy.id)
    booking = factory.booking(factory.user(), cpu_cores=2)
    assert approve(client, admin_headers, booking.id).get_json()["agent_id"] == quiet.id


def test_least_loaded_looks_at_the_peak_over_the_window(client, admin_headers, factory, app):
    """`a` is empty now but full later in the window; `b` is half used throughout."""
    app.config["PLACEMENT_POLICY"] = "spread"
    a = factory.agent(name="a", cpu_cores=8)
    b = factory.agent(name="b", cpu_cores=8)
    start = utcnow() + HOUR
    factory.booking(factory.user(), cpu_cores=6, status="approved", agent_id=a.id,
                    start_time=start + 2 * HOUR, end_time=start + 3 * HOUR)
    factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=b.id,
                    start_time=start, end_time=start + 4 * HOUR)
    booking = factory.booking(factory.user(), cpu_cores=2, start_time=start, end_time=start + 4 * HOUR)
    assert approve(client, admin_headers, booking.id).get_json()["agent_id"] == b.id


@pytest.mark.parametrize(("status", "mac", "broadcast", "eligible"), [
    ("online", None, None, True), ("offline", "aa:bb:cc:dd:ee:ff", "127.0.0.1", True),
    ("offline", None, None, False), ("offline", "aa:bb:cc:dd:ee:ff", None, False),
    ("maintenance", "aa:bb:cc:dd:ee:ff", "127.0.0.1", False),
])
def test_node_eligibility(client, admin_headers, factory, status, mac, broadcast, eligible):
    factory.agent(status=status, mac_address=mac, broadcast_address=broadcast)
    booking = factory.booking(factory.user())
    response = approve(client, admin_headers, booking.id)
    assert response.status_code == (200 if eligible else 409)


def test_explicit_node_in_maintenance_is_refused(client, admin_headers, factory):
    node = factory.agent(status="maintenance")
    booking = factory.booking(factory.user())
    body = assert_error(approve(client, admin_headers, booking.id, agent_id=node.id), 409, "conflict")
    assert "maintenance" in body["message"]


def test_explicit_node_without_room_is_refused(client, admin_headers, factory):
    full = factory.agent(name="full", cpu_cores=2)
    factory.agent(name="roomy", cpu_cores=8)
    booking = factory.booking(factory.user(), cpu_cores=4)
    assert_error(approve(client, admin_headers, booking.id, agent_id=full.id), 409, "capacity_exceeded")


def test_required_tags_restrict_the_nodes(client, admin_headers, factory, student_headers):
    factory.agent(name="plain", cpu_cores=16)
    gpu = factory.agent(name="gpu", cpu_cores=8, tags=["gpu", "a100"])
    from tests.controller.helpers import booking_payload

    created = client.post("/api/student/book", headers=student_headers,
                          json=booking_payload(tags=["a100"])).get_json()
    assert approve(client, admin_headers, created["id"]).get_json()["agent_id"] == gpu.id


def test_extension_rechecks_the_longer_window(client, admin_headers, factory):
    node = factory.agent(cpu_cores=4)
    start = utcnow() + HOUR
    extended = factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=node.id,
                               start_time=start, end_time=start + HOUR)
    factory.booking(factory.user(), cpu_cores=1, status="approved", agent_id=node.id,
                    start_time=start + 90 * timedelta(minutes=1), end_time=start + 3 * HOUR)
    assert client.post(f"/api/admin/extend/{extended.id}", headers=admin_headers,
                       json={"minutes": 30}).status_code == 200
    assert_error(client.post(f"/api/admin/extend/{extended.id}", headers=admin_headers, json={"minutes": 1}),
                 409, "capacity_exceeded")
    db.session.refresh(extended)
    assert extended.end_time == start + 90 * timedelta(minutes=1)


def test_extension_of_pending_or_finished_bookings_is_refused(client, admin_headers, factory):
    for status in ("pending", "completed", "rejected"):
        booking = factory.booking(factory.user(), status=status)
        assert_error(client.post(f"/api/admin/extend/{booking.id}", headers=admin_headers, json={"minutes": 5}),
                     409, "invalid_transition")


def brute_force(node, bookings, need, start, end):
    """Check minute by minute (all test times are whole minutes)."""
    fits, peak = True, 0.0
    total = Resources.of(node)
    t = start
    while t < end:
        usage = need
        for b in bookings:
            if b.start_time <= t < b.end_time:
                usage = usage + Resources.of(b)
        fits = fits and usage.within(total)
        peak = max(peak, usage.utilisation(total))
        t += timedelta(minutes=1)
    return fits, round(peak, 9)


def test_sweep_agrees_with_brute_force_on_random_schedules():
    rng = random.Random(20261127)
    base = datetime(2030, 1, 1, tzinfo=UTC)
    node = SimpleNamespace(cpu_cores=8, memory_gb=16, gpu_count=2)
    for _ in range(300):
        bookings = []
        for _ in range(rng.randint(0, 8)):
            s = base + timedelta(minutes=rng.randint(0, 120))
            bookings.append(SimpleNamespace(start_time=s, end_time=s + timedelta(minutes=rng.randint(1, 90)),
                                            cpu_cores=rng.randint(1, 4), memory_gb=rng.choice([0.5, 1, 2, 4]),
                                            gpu_count=rng.randint(0, 1)))
        start = base + timedelta(minutes=rng.randint(0, 100))
        end = start + timedelta(minutes=rng.randint(1, 90))
        need = Resources(rng.randint(1, 4), rng.choice([512, 1024, 4096]), rng.randint(0, 1))
        placement = evaluate(node, bookings, need, start, end)
        assert (placement.fits, round(placement.peak_utilisation, 9)) == brute_force(node, bookings, need, start, end)
