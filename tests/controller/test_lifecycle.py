"""The booking lifecycle on real parts: Postgres, a real agent process and
the real Docker engine. Windows are seconds long; booking ids start at a
random offset so container names never collide with another run's."""

import threading
import time
from datetime import timedelta

import requests

from controller.extensions import db
from controller.models import Agent, AuditEvent, Booking, utcnow
from controller.services import agent_client, lifecycle
from controller.utils import wol
from tests.controller.conftest import bearer
from tests.processes import UdpListener, free_port

S = timedelta(seconds=1)


def approved(factory, node, image, start_in=2 * S, duration=4 * S, **fields):
    return factory.approved(node, image, start_in, duration, **fields)


def tick_until(predicate, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lifecycle.tick()
        db.session.expire_all()
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached")


def sleep_until(moment):
    time.sleep(max(0.0, (moment - utcnow()).total_seconds()))


def test_a_booking_runs_from_start_to_end_with_its_limits(lab, factory, session_image, docker_client):
    booking = approved(factory, lab, session_image, start_in=2 * S, duration=4 * S)
    assert lifecycle.tick() == {}  # not yet
    sleep_until(booking.start_time)
    tick_until(lambda: db.session.get(Booking, booking.id).status == "active")
    booking = db.session.get(Booking, booking.id)
    assert booking.container_name == lifecycle.container_name(booking.id)
    assert (booking.access_host, booking.access_port > 0) == ("127.0.0.1", True)
    attrs = docker_client.api.inspect_container(booking.container_name)
    assert attrs["State"]["Running"] is True
    assert attrs["HostConfig"]["NanoCpus"] == 1_000_000_000
    assert attrs["HostConfig"]["Memory"] == 2**28
    assert requests.get(f"http://127.0.0.1:{booking.access_port}/", timeout=5).status_code in (200, 404)
    student_view = bearer(booking.user)
    sleep_until(booking.end_time)
    tick_until(lambda: db.session.get(Booking, booking.id).status == "completed")
    assert docker_client.containers.list(all=True, filters={"name": f"^/{booking.container_name}$"}) == []
    actions = [e.action for e in db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.entity_id == booking.id).order_by(AuditEvent.id))]
    assert actions == ["session_prepared", "started", "completed"]
    assert student_view  # the student could see it: covered by the student API tests


def test_an_agent_that_is_down_leads_to_retries_then_failed_with_capacity_released(
        app, client, admin_headers, lab, factory, session_image):
    dead = factory.agent(name="dead", url=f"http://127.0.0.1:{free_port()}", token="x" * 20, cpu_cores=1,
                         memory_gb=1)
    booking = approved(factory, dead, session_image, start_in=0.5 * S, duration=60 * S)
    sleep_until(booking.start_time)
    lifecycle.tick()
    db.session.expire_all()
    first = db.session.get(Booking, booking.id)
    assert (first.status, first.start_attempts) == ("approved", 1) and "did not answer" in first.last_error
    tick_until(lambda: db.session.get(Booking, booking.id).status == "failed", timeout=15)
    failed = db.session.get(Booking, booking.id)
    assert failed.start_attempts >= 2 and "could not be started on node dead" in failed.failure_reason
    retries = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_id == booking.id, AuditEvent.action == "start_retry"))
    assert retries == failed.start_attempts - 1
    # Its capacity is free again: a booking of the whole node fits in the same window.
    other = factory.booking(factory.user(), cpu_cores=1, memory_gb=1, start_time=failed.start_time + 5 * S,
                            end_time=failed.end_time)
    response = client.post(f"/api/admin/approve/{other.id}", headers=admin_headers, json={"agent_id": dead.id})
    assert response.status_code == 200


def test_an_image_the_node_refuses_fails_at_once(lab, factory):
    booking = approved(factory, lab, "not-allowed/image:1", start_in=0.2 * S)
    sleep_until(booking.start_time)
    tick_until(lambda: db.session.get(Booking, booking.id).status == "failed", timeout=10)
    assert db.session.get(Booking, booking.id).start_attempts == 1


def test_admin_cancelling_an_active_booking_stops_it_at_once(client, admin_headers, lab, factory, session_image,
                                                             docker_client):
    booking = approved(factory, lab, session_image, start_in=0.2 * S, duration=120 * S)
    sleep_until(booking.start_time)
    tick_until(lambda: db.session.get(Booking, booking.id).status == "active")
    assert client.post(f"/api/admin/bookings/{booking.id}/cancel", headers=admin_headers, json={}).status_code == 200
    lifecycle.tick()
    db.session.expire_all()
    cancelled = db.session.get(Booking, booking.id)
    assert cancelled.status == "cancelled" and cancelled.stopped_at is not None
    name = lifecycle.container_name(booking.id)
    assert docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}) == []


def test_extension_moves_the_stop(client, admin_headers, lab, factory, session_image):
    booking = approved(factory, lab, session_image, start_in=0.2 * S, duration=3 * S)
    sleep_until(booking.start_time)
    tick_until(lambda: db.session.get(Booking, booking.id).status == "active")
    client.post(f"/api/admin/extend/{booking.id}", headers=admin_headers, json={"minutes": 1})
    sleep_until(booking.start_time + 4 * S)
    lifecycle.tick()
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "active"


def test_reconcile_stops_orphans_and_ends_bookings_whose_container_died(lab, factory, session_image, docker_client):
    running = approved(factory, lab, session_image, start_in=0.2 * S, duration=120 * S)
    orphaned = approved(factory, lab, session_image, start_in=0.2 * S, duration=120 * S)
    sleep_until(running.start_time)
    tick_until(lambda: db.session.get(Booking, running.id).status == "active"
               and db.session.get(Booking, orphaned.id).status == "active")
    # The orphan: its booking is over in the database but its container still runs.
    gone = db.session.get(Booking, orphaned.id)
    gone.status, gone.stopped_at = "completed", utcnow()
    db.session.commit()
    docker_client.containers.get(lifecycle.container_name(running.id)).kill()
    assert lifecycle.reconcile() == {"orphans_stopped": 1, "died": 1}
    db.session.expire_all()
    died = db.session.get(Booking, running.id)
    assert died.status == "failed" and "exited early" in died.failure_reason
    assert docker_client.containers.list(all=True, filters={"name": f"^/{lifecycle.container_name(orphaned.id)}$"}) == []


def test_health_checks_mark_nodes_and_flag_bookings_at_risk(client, admin_headers, lab, factory, session_image):
    silent = factory.agent(name="silent", url=f"http://127.0.0.1:{free_port()}", token="y" * 20)
    at_risk = approved(factory, silent, session_image, start_in=3600 * S)
    assert lifecycle.check_health() == {"online": 1, "offline": 1}
    db.session.expire_all()
    real = db.session.get(Agent, lab.id)
    assert real.status == "online" and real.last_seen is not None
    assert real.last_health["docker"]["reachable"] is True
    assert any(image.split(":")[0] == session_image.split(":")[0] for image in real.last_health["images"])
    assert db.session.get(Agent, silent.id).status == "offline"
    body = client.get(f"/api/admin/bookings/{at_risk.id}", headers=admin_headers).get_json()
    assert body["at_risk"] is True
    change = db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_id == silent.id,
                                                           AuditEvent.action == "status_changed"))
    assert (change.before["status"], change.after["status"]) == ("online", "offline")


def test_wake_on_lan_packet_reaches_a_loopback_listener_once_per_interval(app, factory, session_image):
    listener = UdpListener()
    try:
        mac = "0a:1b:2c:3d:4e:5f"
        node = factory.agent(name="sleepy", status="offline", mac_address=mac, broadcast_address="127.0.0.1",
                             wol_port=listener.port)
        app.config.update(WOL_LEAD_MINUTES=10, WOL_RESEND_SECONDS=120)
        approved(factory, node, session_image, start_in=5 * 60 * S)
        approved(factory, node, session_image, start_in=60 * 60 * S)  # outside the lead: no extra packet
        assert lifecycle.wake_nodes() == {"sent": 1}
        packet = listener.receive(timeout=5)
        assert packet == b"\xff" * 6 + bytes.fromhex("0a1b2c3d4e5f") * 16
        assert packet == wol.magic_packet(mac)
        assert lifecycle.wake_nodes() == {"sent": 0}
        assert listener.receive(timeout=0.5) is None
        db.session.expire_all()
        assert db.session.get(Agent, node.id).last_wol_at is not None
    finally:
        listener.close()


def test_no_wake_for_nodes_that_are_online_or_not_wakeable(app, factory, session_image):
    listener = UdpListener()
    try:
        online = factory.agent(status="online", mac_address="0a:1b:2c:3d:4e:50", broadcast_address="127.0.0.1",
                               wol_port=listener.port)
        approved(factory, online, session_image, start_in=60 * S)
        assert lifecycle.wake_nodes() == {"sent": 0}
        assert listener.receive(timeout=0.3) is None
    finally:
        listener.close()


def test_scheduler_state_is_visible_to_admins(client, admin_headers, lab, factory, session_image):
    from controller.jobs import JOBS, run_recorded

    approved(factory, lab, session_image, start_in=600 * S)
    run_recorded(JOBS[0])
    body = client.get("/api/admin/scheduler", headers=admin_headers).get_json()
    assert [job["name"] for job in body["jobs"]] == [spec.name for spec in JOBS]
    assert {"tick", "prepare", "health", "wake", "reconcile"} <= {spec.name for spec in JOBS}
    assert body["jobs"][0]["runs"] == 1 and body["jobs"][0]["last_ok"] is True
    assert len(body["next_actions"]["starts"]) == 1
    assert body["this_process"]["is_leader"] is False


def test_whole_second_jobs_run_just_after_each_second_boundary():
    from controller.jobs.runner import TICK_OFFSET_MS, first_run

    before = utcnow()
    first = first_run(1)
    assert first > before and first - before <= timedelta(seconds=1, milliseconds=TICK_OFFSET_MS)
    assert first.microsecond == TICK_OFFSET_MS * 1000
    assert first_run(0.5) - before < timedelta(seconds=0.5)


# --- sessions prepared ahead of their start -------------------------------

def container_state(docker_client, name):
    return docker_client.api.inspect_container(name)


def session_token(attrs):
    return next(v.partition("=")[2] for v in attrs["Config"]["Env"] if v.startswith("SESSION_TOKEN="))


def test_a_session_is_prepared_paused_before_its_start_and_runs_at_it(lab, factory, session_image, docker_client):
    booking = approved(factory, lab, session_image, start_in=4 * S, duration=60 * S)
    assert lifecycle.prepare_sessions() == {"prepared": 1}
    db.session.expire_all()
    prepared = db.session.get(Booking, booking.id)
    assert prepared.status == "approved" and prepared.container_name == lifecycle.container_name(booking.id)
    attrs = container_state(docker_client, prepared.container_name)
    assert attrs["State"]["Paused"] is True
    assert session_token(attrs) == prepared.session_secret
    assert lifecycle.prepare_sessions() == {}  # repeated: nothing more to do
    assert lifecycle.tick() == {}  # not due yet: it stays paused
    assert container_state(docker_client, prepared.container_name)["State"]["Paused"] is True
    sleep_until(booking.start_time)
    assert lifecycle.tick() == {"started": 1}
    db.session.expire_all()
    started = db.session.get(Booking, booking.id)
    assert started.status == "active" and started.container_id == attrs["Id"]
    running = container_state(docker_client, started.container_name)["State"]
    assert running["Running"] is True and running["Paused"] is False
    assert requests.get(f"http://127.0.0.1:{started.access_port}/", timeout=5).status_code == 200
    actions = [e.action for e in db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.entity_id == booking.id).order_by(AuditEvent.id))]
    assert actions == ["session_prepared", "container_prepared", "started"]


def test_each_prepared_session_gets_its_own_secret_kept_out_of_the_audit(lab, factory, session_image,
                                                                         docker_client):
    first = approved(factory, lab, session_image, start_in=20 * S)
    second = approved(factory, lab, session_image, start_in=20 * S)
    assert lifecycle.prepare_sessions() == {"prepared": 2}
    db.session.expire_all()
    tokens = {b: session_token(container_state(docker_client, lifecycle.container_name(b))) for b in (first.id, second.id)}
    assert tokens[first.id] != tokens[second.id]
    assert all(tokens[b] == db.session.get(Booking, b).session_secret and len(tokens[b]) >= 40 for b in tokens)
    audited = " ".join(str((e.before, e.after)) for e in db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.entity_id.in_(tokens))))
    assert not any(token in audited for token in tokens.values())


def test_cancelling_before_the_start_removes_the_prepared_container(client, lab, factory, session_image,
                                                                    docker_client):
    booking = approved(factory, lab, session_image, start_in=20 * S)
    lifecycle.prepare_sessions()
    name = lifecycle.container_name(booking.id)
    assert container_state(docker_client, name)["State"]["Paused"] is True
    response = client.post(f"/api/student/bookings/{booking.id}/cancel", headers=bearer(booking.user))
    assert response.status_code == 200, response.get_json()
    assert lifecycle.tick() == {"stopped": 1}
    assert docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}) == []
    db.session.expire_all()
    cancelled = db.session.get(Booking, booking.id)
    assert cancelled.status == "cancelled" and cancelled.stopped_at is not None
    assert lifecycle.prepare_sessions() == {} and lifecycle.tick() == {}


def test_reconcile_leaves_a_prepared_session_alone_and_removes_one_whose_booking_was_cancelled(
        client, admin_headers, lab, factory, session_image, docker_client):
    waiting = approved(factory, lab, session_image, start_in=20 * S)
    cancelled = approved(factory, lab, session_image, start_in=20 * S)
    assert lifecycle.prepare_sessions() == {"prepared": 2}
    response = client.post(f"/api/admin/bookings/{cancelled.id}/cancel", headers=admin_headers, json={})
    assert response.status_code == 200, response.get_json()
    assert lifecycle.reconcile() == {"orphans_stopped": 1, "died": 0}
    assert docker_client.containers.list(all=True, filters={"name": f"^/{lifecycle.container_name(cancelled.id)}$"}) == []
    assert container_state(docker_client, lifecycle.container_name(waiting.id))["State"]["Paused"] is True
    db.session.expire_all()
    assert db.session.get(Booking, waiting.id).status == "approved"


def test_a_failed_prepare_changes_nothing_and_the_start_still_makes_the_container(lab, factory, session_image):
    refused = approved(factory, lab, "not-allowed/image:1", start_in=20 * S)
    assert lifecycle.prepare_sessions() == {"prepare_failed": 1}
    assert lifecycle.prepare_sessions() == {}  # not retried at once
    db.session.expire_all()
    booking = db.session.get(Booking, refused.id)
    assert (booking.status, booking.container_name, booking.start_attempts) == ("approved", None, 0)
    unprepared = approved(factory, lab, session_image, start_in=0.3 * S)
    sleep_until(unprepared.start_time)
    tick_until(lambda: db.session.get(Booking, unprepared.id).status == "active")


def test_a_prepared_session_started_ahead_runs_at_its_start_time_and_not_before(app, lab, factory, session_image,
                                                                                docker_client):
    booking = approved(factory, lab, session_image, start_in=4 * S, duration=60 * S)
    lifecycle.prepare_sessions()
    name = lifecycle.container_name(booking.id)
    assert lifecycle.start_prepared() == {}  # more than a run away: not yet sent
    sleep_until(booking.start_time - 1.2 * S)
    outcome = {}

    def run():
        with app.app_context():
            outcome.update(lifecycle.start_prepared())

    thread = threading.Thread(target=run)
    thread.start()
    sleep_until(booking.start_time - 0.3 * S)
    assert container_state(docker_client, name)["State"]["Paused"] is True
    thread.join(timeout=20)
    assert outcome == {"started": 1}
    assert utcnow() >= booking.start_time
    db.session.expire_all()
    started = db.session.get(Booking, booking.id)
    assert started.status == "active" and started.started_at >= booking.start_time
    assert container_state(docker_client, name)["State"]["Paused"] is False
    assert lifecycle.tick() == {}  # nothing left for the tick


def test_reconcile_leaves_another_controllers_container_and_stops_its_own_older_one(lab, factory, session_image,
                                                                                    docker_client):
    """Another controller whose agent shares this engine and node id numbers
    its bookings alike: its container of a booking with this one's number is
    never listed here, let alone stopped; a container made before controllers
    sent their id (`booking-<id>`) is still this one's to reconcile."""
    over = approved(factory, lab, session_image, start_in=60 * S)
    over.status, over.stopped_at, over.started_at = "completed", utcnow(), utcnow()
    db.session.commit()
    endpoint = agent_client.AgentEndpoint.of(lab)
    payload = lifecycle.start_payload(over)
    try:
        theirs = agent_client.start_container(endpoint, {**payload, "controller_id": "othr"}, timeout=20)
        older = agent_client.start_container(endpoint, {k: v for k, v in payload.items() if k != "controller_id"},
                                             timeout=20)
        assert (theirs["name"], older["name"]) == (f"booking-othr-{over.id}", f"booking-{over.id}")
        listed = agent_client.containers(endpoint, 20, lifecycle.instance_id())
        assert [c["name"] for c in listed] == [older["name"]]
        assert lifecycle.reconcile() == {"orphans_stopped": 1, "died": 0}
        assert docker_client.containers.list(all=True, filters={"name": f"^/{older['name']}$"}) == []
        assert container_state(docker_client, theirs["name"])["State"]["Running"] is True
        assert lifecycle.reconcile() == {"orphans_stopped": 0, "died": 0}
    finally:
        for name in (f"booking-othr-{over.id}", f"booking-{over.id}"):
            for container in docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}):
                container.remove(force=True)
