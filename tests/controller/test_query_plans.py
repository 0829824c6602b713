"""The hot queries use their indexes at 100k bookings, and the kept status
totals stay equal to a count of the bookings.

A scratch database is migrated as in production and seeded with COPY
(bench/seed.py: 50 nodes, 2,000 students, 100k bookings spread over the
past year and the 30-day horizon, so some 3,000 hold capacity), then each hot endpoint is called once through the
app while its SQL is captured, and every captured SELECT on bookings is
EXPLAINed: none may read bookings with a sequential scan, and each names the
index it is meant to use."""

from datetime import timedelta

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import event

from bench.scale import bearer, make_app
from bench.seed import scratch_database, seed_bookings, seed_lab
from controller.extensions import db
from controller.models import Booking, BookingTotal, utcnow


@pytest.fixture(scope="module")
def big_lab():
    """An app on a migrated scratch database holding 100k bookings."""
    with scratch_database("plans") as url:
        app = make_app(url)
        with app.app_context():
            upgrade()
            conn = db.engine.raw_connection()
            try:
                seed_lab(conn.driver_connection)
                seed_bookings(conn.driver_connection, 100_000)
            finally:
                conn.close()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def plans_of(app, call) -> list[tuple[str, list[dict]]]:
    """(statement, plan nodes) of every SELECT on bookings that `call` issues,
    and of every INSERT ... SELECT, bare or in a WITH (a booking's insert
    checks the student's overlap in its SELECT, and on Postgres writes its
    audit row in the same statement); EXPLAIN without ANALYZE runs none."""
    captured = []

    def capture(_conn, cursor, statement, parameters, _context, _many):
        words = statement.lstrip().upper()
        reads = words.startswith("SELECT") or (words.startswith(("INSERT", "WITH")) and "\nFROM BOOKINGS" in words)
        if reads and "bookings" in statement:
            captured.append(psycopg.ClientCursor(cursor.connection).mogrify(statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            response = call(app.test_client())
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        assert response.status_code < 300, response.get_data(as_text=True)
        result = []
        for statement in captured:
            plan = db.session.execute(db.text("EXPLAIN (FORMAT JSON) " + statement.replace(":", r"\:")))
            (document,) = plan.scalar_one()
            result.append((statement, list(_plan_nodes(document["Plan"]))))
        db.session.rollback()
    return result


def indexes_on_bookings(plans) -> set[str]:
    """The bookings indexes the plans read (a Bitmap Index Scan names no relation)."""
    return {node["Index Name"] for _, nodes in plans for node in nodes
            if node.get("Index Name", "").startswith(("ix_bookings_", "bookings_"))}


def assert_no_seq_scan_on_bookings(plans) -> None:
    for statement, nodes in plans:
        scans = [n["Node Type"] for n in nodes if n.get("Relation Name") == "bookings"]
        assert "Seq Scan" not in scans, statement


def student_token(app):
    with app.app_context():
        student_id = db.session.execute(db.text("SELECT min(id) FROM users WHERE role = 'student'")).scalar()
        return bearer(student_id, "student")


def admin_token(app):
    with app.app_context():
        return bearer(db.session.execute(db.text("SELECT id FROM users WHERE role = 'admin'")).scalar(), "admin")


def test_admin_stats_reads_the_holding_window_index_and_the_kept_totals(big_lab):
    plans = plans_of(big_lab, lambda c: c.get("/api/admin/stats", headers=admin_token(big_lab)))
    assert_no_seq_scan_on_bookings(plans)
    # Utilisation now and over the 7 days: the GiST index; live counts: the status index.
    assert {"ix_bookings_holding_window", "ix_bookings_status_start"} <= indexes_on_bookings(plans)
    assert not any("GROUP BY bookings.status" in s and "completed" in s for s, _ in plans)


def test_admin_list_default_sort_reads_one_page_from_the_start_index(big_lab):
    plans = plans_of(big_lab, lambda c: c.get("/api/admin/bookings", headers=admin_token(big_lab)))
    assert_no_seq_scan_on_bookings(plans)
    # The page from the start index, the total from the kept totals and the
    # live statuses' counts (the status index).
    assert indexes_on_bookings(plans) == {"ix_bookings_start_id", "ix_bookings_status_start"}
    assert not any(n["Node Type"] == "Sort" for _, nodes in plans for n in nodes)


def test_availability_reads_only_the_window_from_the_gist_index(big_lab):
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    body = {"start_time": start.isoformat(), "end_time": (start + timedelta(hours=2)).isoformat(),
            "cpu_cores": 4, "memory_gb": 8}
    plans = plans_of(big_lab, lambda c: c.post("/api/student/availability", headers=student_token(big_lab),
                                               json=body))
    assert_no_seq_scan_on_bookings(plans)
    assert indexes_on_bookings(plans) == {"ix_bookings_holding_window"}


def test_booking_checks_the_students_overlap_on_the_user_index(big_lab):
    start = (utcnow() + timedelta(days=29)).replace(hour=3, minute=0, second=0, microsecond=0)
    with big_lab.app_context():
        student_id = db.session.execute(db.text(
            "SELECT id FROM users WHERE role = 'student' AND id NOT IN (SELECT user_id FROM bookings "
            "WHERE start_time >= :s) LIMIT 1"), {"s": start - timedelta(days=1)}).scalar()
        headers = bearer(student_id, "student")
    body = {"start_time": start.isoformat(), "end_time": (start + timedelta(hours=1)).isoformat(),
            "cpu_cores": 2, "memory_gb": 4}
    plans = plans_of(big_lab, lambda c: c.post("/api/student/book", headers=headers, json=body))
    assert_no_seq_scan_on_bookings(plans)
    assert "ix_bookings_user_status" in indexes_on_bookings(plans)


def test_approve_places_with_the_gist_index(big_lab):
    with big_lab.app_context():
        pending = db.session.execute(db.text(
            "SELECT id FROM bookings WHERE status = 'pending' AND start_time > now() + interval '1 day' "
            "ORDER BY start_time LIMIT 1")).scalar()
    plans = plans_of(big_lab, lambda c: c.post(f"/api/admin/approve/{pending}", headers=admin_token(big_lab),
                                               json={}))
    assert_no_seq_scan_on_bookings(plans)
    assert "ix_bookings_holding_window" in indexes_on_bookings(plans)


def test_kept_totals_equal_a_count_after_inserts_moves_deletes_and_truncate(big_lab):
    def totals_match():
        kept = dict(db.session.execute(db.select(BookingTotal.status, BookingTotal.n)).all())
        counted = dict(db.session.execute(db.text(
            "SELECT status, count(*) FROM bookings GROUP BY status")).all())
        assert set(kept) == {"completed", "rejected", "cancelled", "failed"}
        assert all(kept[s] == counted.get(s, 0) for s in kept), (kept, counted)
        return kept

    with big_lab.app_context():
        before = totals_match()
        ids = db.session.execute(db.text(
            "SELECT id FROM bookings WHERE status = 'pending' ORDER BY id LIMIT 3")).scalars().all()
        db.session.execute(db.update(Booking).where(Booking.id.in_(ids[:2])).values(status="cancelled"))
        db.session.execute(db.update(Booking).where(Booking.id == ids[2]).values(purpose="touched"))
        db.session.flush()
        assert totals_match()["cancelled"] == before["cancelled"] + 2
        db.session.execute(db.delete(Booking).where(Booking.id == ids[0]))
        db.session.flush()
        assert totals_match()["cancelled"] == before["cancelled"] + 1
        db.session.rollback()
        assert totals_match() == before
        # The last test of the module: truncating leaves every total at zero.
        db.session.execute(db.text("TRUNCATE bookings, audit_events CASCADE"))
        assert set(totals_match().values()) == {0}
        db.session.rollback()
