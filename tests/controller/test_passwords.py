"""Passwords: a user changes their own, an admin resets one, a forgotten
password is reset by a single-use expiring mailed link; login limits count
failures per username and per IP+username under a generous per-IP ceiling."""

import hashlib
import re
from datetime import timedelta

import pytest

from controller.extensions import db
from controller.models import AuditEvent, PasswordResetToken, utcnow
from controller.security import PROXY_COOKIE, PROXY_COOKIE_PATH, proxy_cookie_user
from controller.services import notifications
from tests.controller import mailsink
from tests.controller.conftest import PASSWORD
from tests.controller.helpers import assert_error

smtp_sink = mailsink.smtp_sink  # fixture
NEW = "a-brand-new-password"


def login(client, username, password, ip="127.0.0.1"):
    return client.post("/api/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_user_changes_their_password_and_their_other_tokens_are_revoked(client, student):
    old = login(client, student.username, PASSWORD).get_json()
    other_device = login(client, student.username, PASSWORD).get_json()
    response = client.post("/api/auth/password", headers=auth(old["access_token"]),
                           json={"current_password": PASSWORD, "new_password": NEW})
    assert response.status_code == 200
    fresh = response.get_json()
    assert client.get("/api/auth/me", headers=auth(fresh["access_token"])).status_code == 200
    for stale in (old, other_device):
        assert_error(client.get("/api/auth/me", headers=auth(stale["access_token"])), 401, "token_revoked")
        assert_error(client.post("/api/auth/refresh", headers=auth(stale["refresh_token"])), 401, "token_revoked")
    assert client.post("/api/auth/refresh", headers=auth(fresh["refresh_token"])).status_code == 200
    assert_error(login(client, student.username, PASSWORD), 401)
    assert login(client, student.username, NEW).status_code == 200


def test_changing_a_password_needs_the_current_one(client, student):
    tokens = login(client, student.username, PASSWORD).get_json()
    body = assert_error(client.post("/api/auth/password", headers=auth(tokens["access_token"]),
                                    json={"current_password": "wrong-one", "new_password": NEW}), 422)
    assert "current_password" in body["details"]
    assert client.get("/api/auth/me", headers=auth(tokens["access_token"])).status_code == 200  # nothing revoked


@pytest.mark.parametrize("body", [
    {"current_password": PASSWORD, "new_password": "short"},
    {"current_password": PASSWORD},
    {"new_password": NEW},
    {"current_password": PASSWORD, "new_password": "x" * 300},
    {"current_password": PASSWORD, "new_password": NEW, "admin": True},
])
def test_bad_password_changes_are_422(client, student_headers, body):
    assert_error(client.post("/api/auth/password", headers=student_headers, json=body), 422)


def test_changing_a_password_needs_a_login(client):
    assert client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW}
                       ).status_code == 401


def test_an_admin_resets_a_users_password(client, factory, student, admin, admin_headers):
    tokens = login(client, student.username, PASSWORD).get_json()
    response = client.post(f"/api/admin/users/{student.id}/password", headers=admin_headers,
                           json={"new_password": NEW})
    assert response.status_code == 200 and "password" not in response.get_json()
    assert_error(client.get("/api/auth/me", headers=auth(tokens["access_token"])), 401, "token_revoked")
    assert login(client, student.username, NEW).status_code == 200
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "password_reset_by_admin"))
    assert event.actor_id == admin.id and event.entity_id == student.id
    assert NEW not in str(event.before) + str(event.after)


def test_only_admins_reset_passwords_and_bad_input_is_refused(client, factory, student, student_headers,
                                                              admin_headers):
    other = factory.user()
    assert_error(client.post(f"/api/admin/users/{other.id}/password", headers=student_headers,
                             json={"new_password": NEW}), 403)
    assert_error(client.post(f"/api/admin/users/{other.id}/password", headers=admin_headers,
                             json={"new_password": "short"}), 422)
    assert_error(client.post("/api/admin/users/99999/password", headers=admin_headers,
                             json={"new_password": NEW}), 404)


def forgot(client, email, ip="127.0.0.1"):
    return client.post("/api/auth/forgot-password", json={"email": email}, environ_base={"REMOTE_ADDR": ip})


def mailed_token(smtp_sink, count=1) -> str:
    message = smtp_sink.wait_for(count)[count - 1]
    return re.search(r"/reset-password#token=([A-Za-z0-9_-]+)", message.get_content()).group(1)


def test_a_forgotten_password_is_reset_by_a_single_use_mailed_link(app, client, student, smtp_sink):
    app.config["PUBLIC_URL"] = "https://lab.example"
    known, unknown = forgot(client, student.email.upper()), forgot(client, "nobody@lab.test")
    # The answer does not tell whether the address has an account.
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert notifications.send_due() == {"sent": 1}
    assert smtp_sink.wait_for(1)[0]["To"] == student.email
    token = mailed_token(smtp_sink)
    assert "https://lab.example/reset-password#token=" in smtp_sink.messages[0].get_content()
    stored = db.session.scalar(db.select(PasswordResetToken))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept

    before = login(client, student.username, PASSWORD).get_json()
    assert client.post("/api/auth/reset-password", json={"token": token, "new_password": NEW}).status_code == 200
    assert login(client, student.username, NEW).status_code == 200
    assert_error(client.get("/api/auth/me", headers=auth(before["access_token"])), 401, "token_revoked")
    body = assert_error(client.post("/api/auth/reset-password", json={"token": token, "new_password": PASSWORD}),
                        422, "invalid_reset_token")
    assert "already been used" in body["message"]
    assert login(client, student.username, NEW).status_code == 200


def test_an_expired_reset_link_is_refused(client, student, smtp_sink):
    forgot(client, student.email)
    notifications.send_due()
    token = mailed_token(smtp_sink)
    db.session.execute(db.update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    body = assert_error(client.post("/api/auth/reset-password", json={"token": token, "new_password": NEW}),
                        422, "invalid_reset_token")
    assert "expired" in body["message"]
    assert login(client, student.username, PASSWORD).status_code == 200


@pytest.mark.parametrize("tamper", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t + "x",
                                    lambda t: t[1:], lambda t: "garbage"])
def test_a_tampered_reset_link_is_refused(client, student, smtp_sink, tamper):
    forgot(client, student.email)
    notifications.send_due()
    token = mailed_token(smtp_sink)
    body = assert_error(client.post("/api/auth/reset-password",
                                    json={"token": tamper(token), "new_password": NEW}), 422, "invalid_reset_token")
    assert "not valid" in body["message"]
    assert login(client, student.username, PASSWORD).status_code == 200


def test_a_new_link_and_a_reset_use_up_every_older_link(client, student, smtp_sink):
    forgot(client, student.email)
    forgot(client, student.email)
    notifications.send_due()
    first, second = mailed_token(smtp_sink, 1), mailed_token(smtp_sink, 2)
    assert client.post("/api/auth/reset-password", json={"token": second, "new_password": NEW}).status_code == 200
    assert_error(client.post("/api/auth/reset-password", json={"token": first, "new_password": PASSWORD}),
                 422, "invalid_reset_token")


@pytest.mark.parametrize("body", [{"email": "not-an-address"}, {}, {"email": "a@b.test", "x": 1}])
def test_bad_forgot_password_requests_are_422(client, body):
    assert_error(client.post("/api/auth/forgot-password", json=body), 422)


def test_forgot_password_is_rate_limited_per_address_and_per_ip(app, client, student):
    app.config["FORGOT_RATE_LIMIT"] = "2 per hour"
    statuses = [forgot(client, student.email, ip=f"127.0.0.{i + 1}").status_code for i in range(3)]
    assert statuses == [202, 202, 429]  # per address, from any IP
    statuses = [forgot(client, f"x{i}@lab.test", ip="127.0.1.1").status_code for i in range(3)]
    assert statuses == [202, 202, 429]  # per IP, whatever the address
    limited = forgot(client, "y@lab.test", ip="127.0.1.1")
    assert int(limited.headers["Retry-After"]) > 0


def test_login_failures_are_limited_per_username_from_any_address(app, client, student):
    app.config["LOGIN_USERNAME_RATE_LIMIT"] = "3 per minute"
    statuses = [login(client, student.username, "wrong-pass", ip=f"127.0.0.{i + 1}").status_code for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    limited = login(client, student.username, PASSWORD, ip="127.0.0.99")
    body = assert_error(limited, 429, "rate_limited")
    assert "Too many" in body["message"]
    assert 0 < int(limited.headers["Retry-After"]) <= 60


def test_a_class_behind_one_address_logs_in_while_one_student_keeps_failing(app, client, factory, student):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    nat = "127.0.0.21"
    assert [login(client, student.username, "wrong-pass", ip=nat).status_code for _ in range(5)] == [
        401, 401, 401, 429, 429]
    classmates = [factory.user() for _ in range(12)]
    assert {login(client, c.username, PASSWORD, ip=nat).status_code for c in classmates} == {200}
    # Right passwords do not count against the limit.
    assert {login(client, classmates[0].username, PASSWORD, ip=nat).status_code for _ in range(6)} == {200}
    # The failing student is limited from that address only.
    assert login(client, student.username, PASSWORD, ip="127.0.0.22").status_code == 200


def test_all_attempts_from_one_address_meet_a_generous_ceiling(app, client, factory):
    app.config["LOGIN_IP_RATE_LIMIT"] = "4 per minute"
    users = [factory.user() for _ in range(5)]
    statuses = [login(client, u.username, PASSWORD, ip="127.0.0.27").status_code for u in users]
    assert statuses == [200, 200, 200, 200, 429]
    assert login(client, users[4].username, PASSWORD, ip="127.0.0.28").status_code == 200


def test_a_password_change_also_ends_the_session_proxy_cookie(app, client, student):
    tokens = login(client, student.username, PASSWORD).get_json()
    cookie = client.get_cookie(PROXY_COOKIE, path=PROXY_COOKIE_PATH).value

    def cookie_user():
        with app.test_request_context("/sessions/1/", headers={"Cookie": f"{PROXY_COOKIE}={cookie}"}):
            return proxy_cookie_user()

    assert cookie_user().id == student.id
    assert client.post("/api/auth/password", headers=auth(tokens["access_token"]),
                       json={"current_password": PASSWORD, "new_password": NEW}).status_code == 200
    db.session.expire_all()
    assert cookie_user() is None
