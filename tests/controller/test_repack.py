"""Placement policy and repacking: approved bookings that have not started
move to make room (audited, never changing their window or size), pinned,
starting and active ones never do; the same for extensions and maintenance;
and the solver's plans, checked against an independent sweep."""

import random
from datetime import timedelta

import pytest

from controller.extensions import db
from controller.models import AuditEvent, Booking, Policy, utcnow
from controller.services import bookings, repack
from tests.controller.helpers import approve, assert_error

HOUR = timedelta(hours=1)


def moved_events(booking_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.entity_id == booking_id, AuditEvent.action == "moved")))


def two_half_full_nodes(factory, **fields):
    """Two 8-core nodes, each holding an approved 4-core booking over the same window."""
    a = factory.agent(name="node-a", cpu_cores=8)
    b = factory.agent(name="node-b", cpu_cores=8)
    start = utcnow() + 3 * HOUR
    on_a = factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=a.id,
                           start_time=start, end_time=start + 2 * HOUR, **fields)
    on_b = factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=b.id,
                           start_time=start + HOUR, end_time=start + 3 * HOUR, **fields)
    return a, b, on_a, on_b, start


def test_approval_moves_an_unstarted_booking_to_make_room(client, admin_headers, factory):
    a, b, on_a, on_b, start = two_half_full_nodes(factory)
    before = {(x.id, x.start_time, x.end_time, x.cpu_cores, x.image) for x in (on_a, on_b)}
    big = factory.booking(factory.user(), cpu_cores=8, start_time=start, end_time=start + 3 * HOUR)
    response = approve(client, admin_headers, big.id)
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    nodes = {db.session.get(Booking, x.id).agent_id for x in (on_a, on_b)}
    assert len(nodes) == 1 and response.get_json()["agent_id"] not in nodes
    assert {(x.id, x.start_time, x.end_time, x.cpu_cores, x.image)
            for x in (db.session.get(Booking, on_a.id), db.session.get(Booking, on_b.id))} == before
    (event,) = moved_events(on_a.id) + moved_events(on_b.id)
    assert event.after["note"].startswith("moved from node-")
    assert event.after["note"].endswith(f"to make room for #{big.id}")
    assert event.before["agent_id"] != event.after["agent_id"]


@pytest.mark.parametrize("blocker", ["pinned", "within_lead_time", "prepared", "active"])
def test_repacking_never_moves_pinned_starting_or_active_bookings(client, admin_headers, factory, blocker):
    fields = {"pinned": {"pinned": True}, "prepared": {"session_secret": "s" * 32},
              "within_lead_time": {}, "active": {}}[blocker]
    a, b, on_a, on_b, start = two_half_full_nodes(factory, **fields)
    if blocker in ("within_lead_time", "active"):
        for booking, offset in ((on_a, 0), (on_b, 1)):
            booking.start_time = utcnow() + timedelta(minutes=5 if blocker == "within_lead_time" else -5)
            booking.end_time = start + (2 + offset) * HOUR
            booking.status = "active" if blocker == "active" else "approved"
        db.session.commit()
    big = factory.booking(factory.user(), cpu_cores=8, start_time=start, end_time=start + 3 * HOUR)
    body = assert_error(approve(client, admin_headers, big.id), 409, "capacity_exceeded")
    assert body["details"]["repack"] == "no_room"
    assert moved_events(on_a.id) + moved_events(on_b.id) == []


def test_repacking_that_runs_out_of_time_says_it_gave_up(client, admin_headers, factory, app):
    app.config.update(REPACK_TIME_LIMIT_MS=0, REPACK_EXACT_MAX=0)
    a, b, on_a, on_b, start = two_half_full_nodes(factory)
    big = factory.booking(factory.user(), cpu_cores=8, start_time=start, end_time=start + 3 * HOUR)
    body = assert_error(approve(client, admin_headers, big.id), 409, "capacity_exceeded")
    assert body["details"]["repack"] == "gave_up" and "gave up" in body["message"]


def test_the_greedy_repacks_when_the_set_is_too_large_for_the_exact_solver(client, admin_headers, factory, app):
    app.config.update(REPACK_EXACT_MAX=0)
    a, b, on_a, on_b, start = two_half_full_nodes(factory)
    big = factory.booking(factory.user(), cpu_cores=8, start_time=start, end_time=start + 3 * HOUR)
    assert approve(client, admin_headers, big.id).status_code == 200


def test_approving_onto_a_named_node_pins_the_booking(client, admin_headers, factory):
    node = factory.agent(cpu_cores=8)
    booking = factory.booking(factory.user())
    body = approve(client, admin_headers, booking.id, agent_id=node.id).get_json()
    assert body["pinned"] is True
    other = factory.booking(factory.user())
    assert approve(client, admin_headers, other.id).get_json()["pinned"] is False


def test_admin_pins_and_unpins_a_booking(client, admin_headers, student_headers, factory):
    a, b, on_a, on_b, start = two_half_full_nodes(factory)
    url = f"/api/admin/bookings/{on_a.id}/pin"
    assert client.post(url, headers=admin_headers, json={"pinned": True}).get_json()["pinned"] is True
    assert client.post(url, headers=student_headers, json={"pinned": False}).status_code == 403
    assert_error(client.post(url, headers=admin_headers, json={"pinned": "yes"}), 422)
    pending = factory.booking(factory.user())
    assert_error(client.post(f"/api/admin/bookings/{pending.id}/pin", headers=admin_headers,
                             json={"pinned": True}), 409, "invalid_transition")
    assert client.post(url, headers=admin_headers, json={"pinned": False}).get_json()["pinned"] is False


def test_extension_moves_a_later_booking_off_the_node(client, admin_headers, factory):
    a = factory.agent(name="node-a", cpu_cores=8)
    factory.agent(name="node-b", cpu_cores=8)
    start = utcnow() + 2 * HOUR
    extended = factory.booking(factory.user(), cpu_cores=6, status="approved", agent_id=a.id,
                               start_time=start, end_time=start + 2 * HOUR)
    later = factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=a.id,
                            start_time=start + 2 * HOUR, end_time=start + 4 * HOUR)
    response = client.post(f"/api/admin/extend/{extended.id}", headers=admin_headers, json={"minutes": 60})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert db.session.get(Booking, later.id).agent_id != a.id
    assert moved_events(later.id)[0].after["note"].endswith(f"to make room for extending #{extended.id}")


def test_maintenance_moves_future_bookings_instead_of_leaving_them_at_risk(client, admin_headers, factory):
    a = factory.agent(name="node-a", cpu_cores=8)
    b = factory.agent(name="node-b", cpu_cores=8)
    start = utcnow() + 2 * HOUR
    future = factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=a.id,
                             start_time=start, end_time=start + HOUR)
    pinned = factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=a.id, pinned=True,
                             start_time=start, end_time=start + HOUR)
    response = client.post(f"/api/admin/agents/{a.id}/status", headers=admin_headers, json={"status": "maintenance"})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert db.session.get(Booking, future.id).agent_id == b.id
    assert "node-a went into maintenance" in moved_events(future.id)[0].after["note"]
    assert db.session.get(Booking, pinned.id).agent_id == a.id
    listed = client.get("/api/admin/bookings", headers=admin_headers).get_json()["items"]
    assert {item["id"]: item["at_risk"] for item in listed} == {future.id: False, pinned.id: True}


@pytest.mark.parametrize(("policy", "expected"), [("best_fit", "fuller"), ("spread", "emptier")])
def test_placement_policy_setting_switches_the_rule(client, admin_headers, factory, app, policy, expected):
    app.config["PLACEMENT_POLICY"] = policy
    nodes = {name: factory.agent(name=name, cpu_cores=8) for name in ("emptier", "fuller")}
    factory.booking(factory.user(), cpu_cores=6, status="approved", agent_id=nodes["fuller"].id)
    booking = factory.booking(factory.user(), cpu_cores=2)
    assert approve(client, admin_headers, booking.id).get_json()["agent_id"] == nodes[expected].id


def test_best_fit_keeps_gpu_nodes_for_gpu_requests(client, admin_headers, factory):
    factory.agent(name="gpu", cpu_cores=8, gpu_count=2)
    cpu = factory.agent(name="cpu", cpu_cores=16)
    booking = factory.booking(factory.user(), cpu_cores=2)
    assert approve(client, admin_headers, booking.id).get_json()["agent_id"] == cpu.id


# --- the solver on its own, against an independent sweep ------------------

def overbooked(capacity, fixed, items, node_of) -> bool:
    """Minute by minute: does any node hold more than it has?"""
    occupants = [(f.node, f.start, f.end, f.need) for f in fixed]
    occupants += [(node_of[i.key], i.start, i.end, i.need) for i in items]
    start = min(o[1] for o in occupants)
    end = max(o[2] for o in occupants)
    t = start
    while t < end:
        for node, cap in capacity.items():
            used = [sum(o[3][r] for o in occupants if o[0] == node and o[1] <= t < o[2]) for r in range(3)]
            if any(used[r] > cap[r] for r in range(3)):
                return True
        t += timedelta(minutes=30)
    return False


@pytest.mark.parametrize("seed", range(6))
def test_solver_plans_never_overbook_and_the_exact_one_finds_what_the_greedy_finds_in_fewer_moves(seed):
    rng = random.Random(seed)
    base = utcnow().replace(minute=0, second=0, microsecond=0)
    capacity = {1: (8, 8192, 0), 2: (8, 8192, 0), 3: (16, 16384, 2)}
    items, fixed, held = [], [], {node: [] for node in capacity}
    for key in range(1, 16):  # a valid schedule as it stands: each booking fits where it is
        start = base + rng.randrange(0, 8) * HOUR
        end, need, current = start + rng.randint(1, 3) * HOUR, (rng.randint(1, 6), 1024, 0), rng.choice([1, 2, 3])
        if not repack.peak_fits(held[current], need, capacity[current], start, end):
            continue
        held[current].append((start, end, need))
        if rng.random() < 0.3:
            fixed.append(repack.Fixed(current, start, end, need))
        else:
            items.append(repack.Item(key, start, end, need, (1, 2, 3), current))
    items.insert(0, repack.Item(repack.REQUEST, base + 2 * HOUR, base + 5 * HOUR, (8, 4096, 0), (1, 2, 3)))
    exact, _ = repack._exact(capacity, fixed, items, 5)
    greedy = repack.solve(capacity, fixed, items, seconds=5, exact_max=0)
    for node_of in (exact, greedy.node_of):
        if node_of is not None:
            assert not overbooked(capacity, fixed, items, node_of)
            assert all(node_of[i.key] in i.nodes for i in items)
    assert (exact is None) <= (greedy.node_of is None)  # no plan for the exact solver: none for anyone
    if greedy.node_of is not None:
        moves = sum(node_of != i.current for i in items if i.current is not None for node_of in [exact[i.key]])
        assert moves <= len(greedy.moves)


def test_auto_approval_moves_an_unstarted_booking_to_make_room_like_an_admin(factory):
    """A policy's auto-approval places as an admin's automatic approval does,
    repacking included; the move is audited as made for the auto-approval."""
    a, b, on_a, on_b, start = two_half_full_nodes(factory)
    big = factory.booking(factory.user(), cpu_cores=8, start_time=start, end_time=start + 3 * HOUR)
    policy = db.session.scalars(db.select(Policy)).first()
    assert bookings.approve_by_policy(big.id, policy.id) is True
    db.session.expire_all()
    approved = db.session.get(Booking, big.id)
    assert approved.status == "approved" and approved.approved_by_policy_id == policy.id
    nodes = {db.session.get(Booking, x.id).agent_id for x in (on_a, on_b)}
    assert len(nodes) == 1 and approved.agent_id not in nodes
    (event,) = moved_events(on_a.id) + moved_events(on_b.id)
    assert event.after["note"].endswith(f"to make room for #{big.id} (auto-approved)")
    assert event.actor_id is None


def test_auto_approval_leaves_the_booking_pending_when_repacking_finds_no_room(factory):
    a, b, on_a, on_b, start = two_half_full_nodes(factory, pinned=True)
    big = factory.booking(factory.user(), cpu_cores=8, start_time=start, end_time=start + 3 * HOUR)
    policy = db.session.scalars(db.select(Policy)).first()
    assert bookings.approve_by_policy(big.id, policy.id) is False
    db.session.expire_all()
    assert db.session.get(Booking, big.id).status == "pending"
    assert moved_events(on_a.id) + moved_events(on_b.id) == []
