import time
from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token

from controller.extensions import db
from controller.models import AuditEvent, RevokedToken, User
from tests.controller.conftest import PASSWORD
from tests.controller.helpers import assert_error


def register(client, **overrides):
    payload = {"username": "alice", "email": "alice@lab.test", "password": "s3cret-pass"}
    payload.update(overrides)
    return client.post("/api/auth/register", json=payload)


def test_register_creates_a_student_and_logs_in(client):
    response = register(client)
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["role"] == "student" and body["user"]["username"] == "alice"
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json()["username"] == "alice"
    user = db.session.scalar(db.select(User).where(User.username == "alice"))
    assert user.password_hash.startswith("$argon2id$")
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_type == "user")).action == "created"


def test_register_cannot_make_an_admin(client):
    assert_error(register(client, role="admin"), 422, "validation_error")
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "short"}, "password"),
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "x" * 65}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password": 12345678}, "password"),
        ({"password": "p" * 300}, "password"),
    ],
)
def test_register_rejects_bad_fields(client, overrides, field):
    body = assert_error(register(client, **overrides), 422, "validation_error")
    assert field in body["details"]
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


@pytest.mark.parametrize("overrides", [{"username": "ALICE"}, {"email": "ALICE@lab.test", "username": "bob"}])
def test_register_refuses_taken_username_or_email_case_insensitively(client, overrides):
    assert register(client).status_code == 201
    assert_error(register(client, **overrides), 409, "conflict")


def test_login_returns_tokens_and_user(client, student):
    response = client.post("/api/auth/login", json={"username": student.username, "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["access_token"] and body["refresh_token"]
    assert body["user"] == {**body["user"], "id": student.id, "role": "student"}


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_login_with_bad_credentials_is_refused(client, student, password):
    response = client.post("/api/auth/login", json={"username": student.username, "password": password})
    assert response.status_code in (401, 422)


def test_login_of_unknown_user_and_wrong_password_answer_alike(client, student):
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
    wrong = client.post("/api/auth/login", json={"username": student.username, "password": "nope-nope"})
    assert assert_error(unknown, 401, "invalid_credentials") == assert_error(wrong, 401, "invalid_credentials")


def test_disabled_user_cannot_log_in_or_use_a_token(client, factory):
    user = factory.user(is_active=False)
    headers = {"Authorization": "Bearer " + create_access_token(identity=str(user.id))}
    body = assert_error(client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD}),
                        403, "account_disabled")
    assert "disabled" in body["message"]
    # Without the password nothing tells that the account exists.
    assert_error(client.post("/api/auth/login", json={"username": user.username, "password": "wrong-pass"}),
                 401, "invalid_credentials")
    assert_error(client.get("/api/auth/me", headers=headers), 401, "account_disabled")


def test_refresh_gives_a_new_access_token(client, student):
    tokens = client.post("/api/auth/login", json={"username": student.username, "password": PASSWORD}).get_json()
    response = client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert response.status_code == 200
    new_access = response.get_json()["access_token"]
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {new_access}"}).status_code == 200


def test_access_token_cannot_refresh_and_refresh_token_cannot_access(client, student):
    tokens = client.post("/api/auth/login", json={"username": student.username, "password": PASSWORD}).get_json()
    assert_error(client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {tokens['access_token']}"}),
                 401, "invalid_token")
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}),
                 401, "invalid_token")


@pytest.mark.parametrize("store", ["redis", "database"])
def test_logout_revokes_access_and_refresh_tokens(app, client, student, redis_client, store):
    if store == "database":
        app.config["REDIS_URL"] = None
    tokens = client.post("/api/auth/login", json={"username": student.username, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = client.post("/api/auth/logout", headers=headers, json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    assert_error(client.get("/api/auth/me", headers=headers), 401, "token_revoked")
    assert_error(client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}),
                 401, "token_revoked")
    in_db = db.session.scalar(db.select(db.func.count()).select_from(RevokedToken))
    assert in_db == (2 if store == "database" else 0)
    if store == "redis":
        assert len(redis_client.keys("booking:revoked:*")) >= 2


def test_logout_refuses_someone_elses_refresh_token_and_revokes_nothing(client, factory):
    alice, bob = factory.user(), factory.user()
    alice_tokens = client.post("/api/auth/login", json={"username": alice.username, "password": PASSWORD}).get_json()
    bob_tokens = client.post("/api/auth/login", json={"username": bob.username, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {alice_tokens['access_token']}"}
    assert_error(client.post("/api/auth/logout", headers=headers, json={"refresh_token": bob_tokens["refresh_token"]}),
                 422)
    assert client.get("/api/auth/me", headers=headers).status_code == 200


def test_expired_token_answers_token_expired(client, student):
    token = create_access_token(identity=str(student.id), expires_delta=timedelta(seconds=-1))
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}), 401, "token_expired")


# A worker keeps what verifying an access token returned (VerifiedClaimsJWTManager):
# what it kept must never let through a token the full check would refuse.

def test_a_token_accepted_before_is_refused_once_it_expires(client, student):
    token = create_access_token(identity=str(student.id), expires_delta=timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    time.sleep(2.1)
    assert_error(client.get("/api/auth/me", headers=headers), 401, "token_expired")


def test_a_token_accepted_before_is_refused_once_the_signing_key_changes(app, client, student):
    token = create_access_token(identity=str(student.id))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    app.config["JWT_SECRET_KEY"] = "a-rotated-secret-" + "y" * 40
    assert_error(client.get("/api/auth/me", headers=headers), 401, "invalid_token")


def test_a_token_altered_after_it_was_accepted_is_refused(client, student):
    token = create_access_token(identity=str(student.id))
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {tampered}"}), 401, "invalid_token")


def test_a_token_accepted_before_is_refused_after_a_password_change(client, student):
    tokens = client.post("/api/auth/login", json={"username": student.username, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    student.token_version = (student.token_version or 0) + 1
    db.session.commit()
    assert_error(client.get("/api/auth/me", headers=headers), 401, "token_revoked")


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer ", "Basic abc", "Token x.y.z"])
def test_malformed_authorization_is_401(client, header):
    assert client.get("/api/auth/me", headers={"Authorization": header}).status_code == 401


def test_token_signed_with_another_key_is_refused(app, client, student):
    import jwt as pyjwt

    forged = pyjwt.encode({"sub": str(student.id), "type": "access", "jti": "x", "fresh": False},
                          "another-secret-key-of-enough-length-123", algorithm="HS256")
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}), 401, "invalid_token")


# Login limits (per username, per IP+username, the per-IP ceiling): tests/controller/test_passwords.py


def test_registration_is_rate_limited_per_ip(app, client):
    app.config["REGISTER_RATE_LIMIT"] = "2 per hour"
    statuses = [register(client, username=f"user{i}", email=f"user{i}@lab.test").status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 2
