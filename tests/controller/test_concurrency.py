"""Many admins approving at once, over real HTTP against Postgres: no node is
ever over-booked. The check is an independent sweep in plain SQL, sharing no
code with the controller's capacity service."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg2
import requests

from controller.models import utcnow
from tests.controller.conftest import bearer

THREADS = 60


def overbooked_instants(database_url: str) -> tuple[list, float]:
    """Every (node, instant) where approved+active bookings exceed the node,
    checked at each booking start (usage only rises at starts), and the peak
    utilisation seen on any node."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("""
                SELECT a.id, s.start_time, a.cpu_cores, a.memory_gb, a.gpu_count,
                       SUM(b.cpu_cores), SUM(b.memory_gb), SUM(b.gpu_count)
                FROM agents a
                JOIN (SELECT DISTINCT agent_id, start_time FROM bookings
                      WHERE status IN ('approved', 'active')) s ON s.agent_id = a.id
                JOIN bookings b ON b.agent_id = a.id AND b.status IN ('approved', 'active')
                     AND b.start_time <= s.start_time AND b.end_time > s.start_time
                GROUP BY a.id, s.start_time, a.cpu_cores, a.memory_gb, a.gpu_count
            """)
            rows = cur.fetchall()
    finally:
        conn.close()
    over = [r for r in rows if r[5] > r[2] or r[6] > r[3] + 1e-9 or r[7] > r[4]]
    peak = max((max(r[5] / r[2], r[6] / r[3]) for r in rows), default=0.0)
    return over, peak


def approve_all(live_server, headers, booking_ids):
    barrier = threading.Barrier(len(booking_ids))

    def approve(booking_id):
        barrier.wait(timeout=30)
        response = requests.post(f"{live_server}/api/admin/approve/{booking_id}", headers=headers, json={},
                                 timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=len(booking_ids)) as pool:
        return list(pool.map(approve, booking_ids))


def test_concurrent_approvals_of_one_window_fill_the_nodes_exactly(live_server, database_url, factory, admin):
    for _ in range(2):
        factory.agent(cpu_cores=8, memory_gb=64)
    start = utcnow() + timedelta(hours=2)
    ids = [factory.booking(factory.user(), cpu_cores=2, memory_gb=4, start_time=start,
                           end_time=start + timedelta(hours=2)).id for _ in range(THREADS)]
    results = approve_all(live_server, bearer(admin), ids)
    statuses = [status for status, _ in results]
    assert set(statuses) <= {200, 409}
    assert statuses.count(200) == 8, statuses
    assert {body["error"] for status, body in results if status == 409} <= {"capacity_exceeded", "busy"}
    over, peak = overbooked_instants(database_url)
    print(f"\nconcurrency (one window): {statuses.count(200)}/{THREADS} approved, peak utilisation {peak:.2f}")
    assert over == [] and peak == 1.0


def test_concurrent_approvals_of_overlapping_windows_never_overbook(live_server, database_url, factory, admin):
    rng = random.Random(7)
    for cores in (8, 12):
        factory.agent(cpu_cores=cores, memory_gb=24)
    base = utcnow() + timedelta(hours=1)
    ids = []
    for _ in range(THREADS):
        start = base + timedelta(minutes=15 * rng.randint(0, 16))
        ids.append(factory.booking(factory.user(), cpu_cores=rng.randint(1, 4), memory_gb=rng.choice([2, 4, 8]),
                                   start_time=start, end_time=start + timedelta(minutes=30 * rng.randint(1, 6))).id)
    results = approve_all(live_server, bearer(admin), ids)
    statuses = [status for status, _ in results]
    assert set(statuses) <= {200, 409}
    over, peak = overbooked_instants(database_url)
    print(f"\nconcurrency (overlapping windows): {statuses.count(200)}/{THREADS} approved, "
          f"{statuses.count(409)} refused, peak utilisation {peak:.2f}")
    assert over == []
    assert 0 < statuses.count(200) < THREADS


def test_a_student_racing_two_overlapping_requests_gets_one(live_server, factory, student):
    factory.agent()
    start = utcnow() + timedelta(hours=3)
    payload = {"start_time": start.isoformat(), "end_time": (start + timedelta(hours=1)).isoformat(),
               "cpu_cores": 1, "memory_gb": 1}
    headers = bearer(student)
    barrier = threading.Barrier(10)

    def book(_):
        barrier.wait(timeout=30)
        return requests.post(f"{live_server}/api/student/book", headers=headers, json=payload, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(book, range(10)))
    assert sorted(statuses) == [201] + [409] * 9
