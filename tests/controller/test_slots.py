"""The earliest-slot finder: the earliest windows in which the lab could take
a request, counting repacking; bad input is a 4xx; and on small random
schedules a brute-force, minute-by-minute oracle proves its earliest answer
is a real window and never later than the true earliest."""

import itertools
import random
from datetime import datetime, timedelta

import numpy as np
import pytest

from controller.models import utcnow
from tests.controller.helpers import assert_error, iso

HOUR = timedelta(hours=1)
URL = "/api/student/slots"


def minute(moment):
    return moment.replace(second=0, microsecond=0)


def test_the_earliest_window_is_after_the_booking_that_fills_the_node(client, student_headers, factory):
    node = factory.agent(cpu_cores=8)
    start = minute(utcnow()) + HOUR
    factory.booking(factory.user(), cpu_cores=8, status="approved", agent_id=node.id, pinned=True,
                    start_time=start, end_time=start + 2 * HOUR)
    response = client.post(URL, headers=student_headers, json={
        "cpu_cores": 4, "memory_gb": 4, "duration": 90, "not_before": iso(start)})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["complete"] is True
    first = body["windows"][0]
    assert (first["start_time"], first["repack"]) == (iso(start + 2 * HOUR), False)
    assert first["end_time"] == iso(start + 2 * HOUR + timedelta(minutes=90))


def test_a_window_that_needs_repacking_comes_first_and_says_so(client, student_headers, factory):
    a = factory.agent(cpu_cores=8)
    b = factory.agent(cpu_cores=8)
    start = minute(utcnow()) + 3 * HOUR
    factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=a.id,
                    start_time=start, end_time=start + 2 * HOUR)
    factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=b.id,
                    start_time=start + HOUR, end_time=start + 3 * HOUR)
    body = client.post(URL, headers=student_headers, json={
        "cpu_cores": 8, "memory_gb": 4, "duration": 180, "not_before": iso(start)}).get_json()
    assert body["windows"][0] == {"start_time": iso(start), "end_time": iso(start + 3 * HOUR), "repack": True}
    assert body["windows"][1]["start_time"] == iso(start + 2 * HOUR)  # node a, without moving anything


def test_a_window_that_fits_as_things_stand_is_offered_once_and_not_as_a_repack(client, student_headers, factory):
    """Where the request fits at `not_before` without moving anything, that
    window is the first answer, flagged as needing no repack, and no start is
    offered twice."""
    a = factory.agent(cpu_cores=8)
    factory.agent(cpu_cores=8)
    start = minute(utcnow()) + 3 * HOUR
    factory.booking(factory.user(), cpu_cores=4, status="approved", agent_id=a.id,
                    start_time=start, end_time=start + 2 * HOUR)
    body = client.post(URL, headers=student_headers, json={
        "cpu_cores": 8, "memory_gb": 4, "duration": 60, "not_before": iso(start)}).get_json()
    starts = [w["start_time"] for w in body["windows"]]
    assert body["windows"][0] == {"start_time": iso(start), "end_time": iso(start + HOUR), "repack": False}
    assert len(starts) == len(set(starts)), starts


def test_with_no_not_before_the_earliest_window_is_a_whole_minute_at_least_a_minute_away(
        client, student_headers, factory):
    """A suggestion the student takes a few seconds later is still in the future."""
    factory.agent(cpu_cores=8)
    asked = utcnow()
    body = client.post(URL, headers=student_headers, json={
        "cpu_cores": 2, "memory_gb": 4, "duration": 60}).get_json()
    answered = utcnow()
    first = datetime.fromisoformat(body["windows"][0]["start_time"])
    # The server's clock read lies between ours: its answer between their minutes + 2.
    assert minute(asked) + timedelta(minutes=2) <= first <= minute(answered) + timedelta(minutes=2)
    assert first - answered > timedelta(0) and first - asked >= timedelta(minutes=1), (asked, first)


@pytest.mark.parametrize(("change", "field"), [
    ({"not_before": 5, "not_after": 1}, "not_after"),
    ({"cpu_cores": 64}, "cpu_cores"),
    ({"gpu_count": 3}, "gpu_count"),
    ({"duration": 5}, "duration"),
    ({"duration": 60 * 24 * 10}, "duration"),
    ({"not_after": 24 * 400}, "not_after"),
    ({"not_before": 1, "not_after": 1.5}, "not_after"),
    ({"cpu_cores": "4"}, "cpu_cores"),
    ({"surprise": 1}, "surprise"),
])
def test_impossible_requests_get_a_422_naming_the_field(client, student_headers, factory, change, field):
    factory.agent(cpu_cores=8, gpu_count=1)
    payload = {"cpu_cores": 2, "memory_gb": 4, "duration": 60}
    for key, value in change.items():
        payload[key] = iso(utcnow() + value * HOUR) if key.startswith("not_") else value
    body = assert_error(client.post(URL, headers=student_headers, json=payload), 422)
    assert field in body["details"], body


def test_the_finder_needs_a_login(client, factory):
    factory.agent()
    assert_error(client.post(URL, json={"cpu_cores": 2, "memory_gb": 4, "duration": 60}), 401)


# --- the oracle ------------------------------------------------------------

def oracle_feasible(nodes, bookings, need, start, length, base) -> bool:
    """Minute by minute over every assignment of the movable bookings that
    overlap the window (the rest stay): can some node take the request?"""
    span = int((max([b["end"] for b in bookings] + [start + length]) - base).total_seconds() // 60) + 1

    def usage(b):
        row = np.zeros(span, dtype=int)
        row[int((b["start"] - base).total_seconds() // 60):int((b["end"] - base).total_seconds() // 60)] = b["cpu"]
        return row

    request = usage({"start": start, "end": start + length, "cpu": need})
    overlapping = [b for b in bookings if b["start"] < start + length and b["end"] > start]
    moving = [b for b in overlapping if not b["pinned"]]
    staying = [b for b in bookings if b not in moving]
    fixed = {n: sum((usage(b) for b in staying if b["node"] == n), np.zeros(span, dtype=int)) for n in nodes}
    for target in nodes:
        if need > nodes[target]:
            continue
        for assignment in itertools.product(list(nodes), repeat=len(moving)):
            load = {n: fixed[n].copy() for n in nodes}
            load[target] += request
            for b, n in zip(moving, assignment, strict=True):
                load[n] += usage(b)
            if all((load[n] <= nodes[n]).all() for n in nodes):
                return True
    return False


@pytest.mark.parametrize("seed", range(12))
def test_the_earliest_answer_is_never_later_than_the_true_earliest(client, student_headers, factory, seed):
    rng = random.Random(seed)
    sizes = rng.choice([(4, 8), (8, 8), (4, 4, 8)])
    agents = [factory.agent(cpu_cores=cores, memory_gb=64) for cores in sizes]
    nodes = {a.id: a.cpu_cores for a in agents}
    base = minute(utcnow()) + 2 * HOUR
    bookings: list[dict] = []
    for _ in range(rng.randint(4, 8)):
        start = base + timedelta(minutes=30 * rng.randrange(0, 12))
        b = {"start": start, "end": start + timedelta(minutes=30 * rng.randint(1, 6)),
             "cpu": rng.randint(1, 4), "node": rng.choice(list(nodes)), "pinned": rng.random() < 0.25}
        others = [o for o in bookings if o["node"] == b["node"]]
        t = b["start"]
        while t < b["end"]:  # keep the schedule valid as it stands
            if b["cpu"] + sum(o["cpu"] for o in others if o["start"] <= t < o["end"]) > nodes[b["node"]]:
                break
            t += timedelta(minutes=30)
        else:
            bookings.append(b)
            factory.booking(factory.user(), cpu_cores=b["cpu"], memory_gb=1, status="approved", agent_id=b["node"],
                            pinned=b["pinned"], start_time=b["start"], end_time=b["end"])
    need = rng.randint(max(nodes.values()) - 3, max(nodes.values()))
    length = timedelta(minutes=rng.choice([30, 60, 90, 150]))
    not_after = base + 8 * HOUR
    response = client.post(URL, headers=student_headers, json={
        "cpu_cores": need, "memory_gb": 1, "duration": int(length.total_seconds() // 60),
        "not_before": iso(base), "not_after": iso(not_after)})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["complete"] is True
    truth = next((base + timedelta(minutes=m) for m in range(int((not_after - length - base).total_seconds() // 60) + 1)
                  if oracle_feasible(nodes, bookings, need, base + timedelta(minutes=m), length, base)), None)
    if truth is None:
        assert body["windows"] == []
        return
    found = body["windows"][0]["start_time"]
    assert found <= iso(truth), (found, iso(truth))
    offset = next(base + timedelta(minutes=m) for m in range(0, 24 * 60) if iso(base + timedelta(minutes=m)) == found)
    assert oracle_feasible(nodes, bookings, need, offset, length, base)


# --- the availability strip --------------------------------------------------

def test_the_strip_shows_the_labs_free_cores_and_gpus_per_hour_and_no_one_s_bookings(
        client, student_headers, factory):
    a = factory.agent(cpu_cores=8, gpu_count=1)
    factory.agent(cpu_cores=16, gpu_count=0)
    factory.agent(cpu_cores=32, gpu_count=2, status="maintenance")  # takes no bookings: not counted
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    factory.booking(factory.user(), cpu_cores=6, gpu_count=1, status="approved", agent_id=a.id,
                    start_time=hour + 2 * HOUR + timedelta(minutes=30), end_time=hour + 4 * HOUR)
    factory.booking(factory.user(), cpu_cores=4, status="pending",  # pending holds nothing
                    start_time=hour + 2 * HOUR, end_time=hour + 3 * HOUR)
    body = client.get("/api/student/capacity", headers=student_headers).get_json()
    assert (body["total_cpu_cores"], body["total_gpus"]) == (24, 1)
    hours = body["hours"]
    assert len(hours) == 7 * 24 and hours[0]["start_time"] == iso(hour)
    assert [(h["free_cpu_cores"], h["free_gpus"]) for h in hours[1:5]] == [(24, 1), (18, 0), (18, 0), (24, 1)]
    assert set(hours[0]) == {"start_time", "free_cpu_cores", "free_gpus"}
