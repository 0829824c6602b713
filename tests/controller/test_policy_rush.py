"""A rush of 200 students booking at once under auto-approval, over real HTTP
against Postgres: no node is ever over-booked (checked by the concurrency
tests' independent SQL sweep) and each student's policy holds although
their own two requests race each other."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests

from controller.extensions import db
from controller.models import Booking, Policy, User, utcnow
from controller.services.policies import default_policy, week_of
from tests.controller.conftest import bearer
from tests.controller.helpers import iso
from tests.controller.test_concurrency import overbooked_instants

STUDENTS = 200


def test_two_hundred_students_rushing_auto_approval_never_overbook_and_each_policy_holds(
        app, live_server, database_url, factory):
    app.config["DB_LOCK_TIMEOUT_MS"] = 60_000  # queue for the node locks rather than give up
    for _ in range(2):
        factory.agent(cpu_cores=8, memory_gb=64)
    # Half the lab: at most one open booking. The other half: 3 hours a week.
    # Both auto-approve up to 2 cores and 2 hours.
    auto = {"auto_approve": True, "auto_max_cpu_cores": 2, "auto_max_duration_hours": 2, "auto_max_gpu_count": 0}
    one_open = Policy(name="one open", max_open_bookings=1, **auto)
    db.session.add(one_open)
    default = default_policy()
    default.max_hours_per_week = 3
    for key, value in auto.items():
        setattr(default, key, value)
    db.session.commit()
    students = [factory.user(policy_id=one_open.id if n % 2 else None) for n in range(STUDENTS)]
    # Two windows in one week, apart: each student asks for both at once.
    first = week_of(utcnow())[1] + timedelta(hours=10)  # next Monday 10:00 UTC
    windows = [(first, first + timedelta(hours=2)), (first + timedelta(hours=4), first + timedelta(hours=6))]
    jobs = [(student.id, bearer(student), window) for student in students for window in windows]
    barrier = threading.Barrier(len(jobs))

    def book(job):
        user_id, headers, (start, end) = job
        barrier.wait(timeout=120)
        response = requests.post(f"{live_server}/api/student/book", headers=headers, timeout=300, json={
            "start_time": iso(start), "end_time": iso(end), "cpu_cores": 2, "memory_gb": 4})
        return user_id, response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(book, jobs))

    statuses = Counter(status for _, status, _ in results)
    assert set(statuses) <= {201, 409}, statuses
    refusals = Counter(body["details"].get("rule") for _, status, body in results if status == 409)
    created = Counter(user_id for user_id, status, _ in results if status == 201)
    # Each policy held: exactly one booking per student, the other refused by their own rule.
    assert sorted(created.values()) == [1] * STUDENTS, Counter(created.values())
    assert refusals == {"max_open_bookings": STUDENTS // 2, "max_hours_per_week": STUDENTS // 2}, refusals
    # Nothing over-booked, and the nodes filled exactly: 2 nodes x 8 cores / 2 cores = 8 per window.
    over, peak = overbooked_instants(database_url)
    db.session.expire_all()
    approved = Counter(b.start_time for b in db.session.scalars(db.select(Booking).where(Booking.status == "approved")))
    pending = db.session.scalar(db.select(db.func.count(Booking.id)).where(Booking.status == "pending"))
    print(f"\npolicy rush: {len(jobs)} requests from {STUDENTS} students, {sum(created.values())} created, "
          f"{sum(approved.values())} auto-approved, {pending} left pending, refusals {dict(refusals)}, peak {peak:.2f}")
    assert over == [] and peak == 1.0
    assert sorted(approved.values()) == [8, 8]
    assert pending == STUDENTS - 16
    by_policy = Counter(db.session.get(User, b.user_id).policy_id for b in db.session.scalars(db.select(Booking)))
    assert by_policy == {one_open.id: STUDENTS // 2, None: STUDENTS // 2}
