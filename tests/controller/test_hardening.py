"""Hostile and careless input (issue 11): NUL bytes, lone surrogates, JSON
nested past any sane depth and times that overflow on conversion each get a
4xx in the one error shape and change nothing; memory the agent would refuse
is refused at booking; search treats `%` and `_` literally; responses that
carry a token are never cached; a short JWT key is refused at start; password
hashing is bounded in memory and old hashes still verify."""

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import argon2
import pytest

from controller import create_app
from controller.config import Config, ConfigError, check_config
from controller.extensions import db
from controller.models import Agent, Booking, User
from controller.services import accounts, agent_client
from controller.services.agent_client import MIN_MEMORY_GB
from tests.controller.conftest import PASSWORD
from tests.controller.helpers import assert_error, booking_payload
from tests.processes import ROOT

DEEP_ARRAY = "[" * 30000 + "]" * 30000  # 60 KB: under the body cap, past the parser's recursion limit
DEEP_OBJECT = '{"":' * 12000 + "1" + "}" * 12000  # 60 KB too
NESTED_200 = '{"a":' * 200 + "1" + "}" * 200  # parses, but no payload here is nested that deep
NUL = "probe\u0000admin"
SURROGATE = "\ud800"


@pytest.fixture
def world(factory, node, admin, student):
    """One pending and one approved booking, so each endpoint has something to act on."""
    pending = factory.booking(student, start_in=timedelta(hours=2))
    approved = factory.booking(factory.user(), start_in=timedelta(hours=5), status="approved", agent_id=node.id)
    return {"pending": pending.id, "approved": approved.id}


def snapshot() -> tuple:
    """Everything an accepted request could have changed."""
    db.session.expire_all()
    rows = []
    for model in (User, Agent, Booking):
        for obj in db.session.scalars(db.select(model).order_by(model.id)):
            rows.append({c.name: getattr(obj, c.name) for c in model.__table__.columns
                         if c.name not in ("last_seen", "last_health")})
    return tuple(str(r) for r in rows)


# Every place a string reaches the database: (method, url template, who, body given the bad string).
STRING_FIELDS = [
    ("login username", "POST", "/api/auth/login", None, lambda s: {"username": s, "password": "x"}),
    ("login password", "POST", "/api/auth/login", None, lambda s: {"username": "admin", "password": s}),
    ("register username", "POST", "/api/auth/register", None,
     lambda s: {"username": s, "email": "a@b.test", "password": "long-enough-1"}),
    ("register password", "POST", "/api/auth/register", None,
     lambda s: {"username": "newbie", "email": "a@b.test", "password": "long-enough-1" + s}),
    ("booking purpose", "POST", "/api/student/book", "student", lambda s: booking_payload(8, purpose=s)),
    ("booking image", "POST", "/api/student/book", "student", lambda s: booking_payload(8, image=s)),
    ("reject reason", "POST", "/api/admin/reject/{pending}", "admin", lambda s: {"reason": s}),
    ("cancel reason", "POST", "/api/admin/bookings/{pending}/cancel", "admin", lambda s: {"reason": s}),
    ("approve notes", "POST", "/api/admin/approve/{pending}", "admin", lambda s: {"notes": s}),
    ("bulk reason", "POST", "/api/admin/bulk", "admin",
     lambda s: {"action": "reject", "ids": [1], "reason": s}),
    ("agent token", "POST", "/api/admin/agents", "admin",
     lambda s: {"name": "n2", "url": "http://127.0.0.1:15999", "token": "tok-" + s + "-12345678",
                "cpu_cores": 4, "memory_gb": 8}),
    ("agent name in a patch", "PATCH", "/api/admin/agents/{node}", "admin", lambda s: {"name": "n" + s}),
    ("logout refresh token", "POST", "/api/auth/logout", "student", lambda s: {"refresh_token": s}),
]


def call(client, method, url, who, headers, world, node, **kwargs):
    url = url.format(node=node.id, **world)
    return client.open(url, method=method, headers=headers.get(who, {}), **kwargs)


@pytest.fixture
def headers(student_headers, admin_headers):
    return {"student": student_headers, "admin": admin_headers}


@pytest.mark.parametrize("bad", [NUL, SURROGATE, "x\udfffy"], ids=["nul", "lone-high-surrogate", "lone-low-surrogate"])
@pytest.mark.parametrize(("case", "method", "url", "who", "body"), STRING_FIELDS, ids=[c[0] for c in STRING_FIELDS])
def test_a_nul_or_lone_surrogate_in_any_string_is_a_4xx_that_changes_nothing(
        client, world, node, headers, case, method, url, who, body, bad):
    before = snapshot()
    response = call(client, method, url, who, headers, world, node, json=body(bad))
    assert_error(response, 422, "validation_error")
    assert snapshot() == before


@pytest.mark.parametrize("url", ["/api/admin/users", "/api/admin/bookings"])
@pytest.mark.parametrize("value", ["\u0000", "a\u0000b"])
def test_a_nul_in_a_search_is_a_4xx(client, admin_headers, world, url, value):
    response = client.get(url, headers=admin_headers, query_string={"q": value})
    body = assert_error(response, 422, "validation_error")
    assert "q" in body["details"]


def test_a_correct_surrogate_pair_is_an_ordinary_character(client, student_headers, node):
    response = client.post("/api/student/book", headers=student_headers,
                           json=booking_payload(purpose="GPU run \U0001F680"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["purpose"] == "GPU run \U0001F680"


DEEP_TARGETS = [
    ("login", "POST", "/api/auth/login", None),
    ("register", "POST", "/api/auth/register", None),
    ("book", "POST", "/api/student/book", "student"),
    ("availability", "POST", "/api/student/availability", "student"),
    ("bulk", "POST", "/api/admin/bulk", "admin"),
    ("approve", "POST", "/api/admin/approve/{pending}", "admin"),
    ("agent", "POST", "/api/admin/agents", "admin"),
]


@pytest.mark.parametrize("raw", [DEEP_ARRAY, DEEP_OBJECT, NESTED_200, '{"purpose": ' + "[" * 100 + "]" * 100 + "}"],
                         ids=["30000-deep-array", "12000-deep-object", "200-deep-object", "100-deep-field"])
@pytest.mark.parametrize(("case", "method", "url", "who"), DEEP_TARGETS, ids=[c[0] for c in DEEP_TARGETS])
def test_deeply_nested_json_is_a_400_that_changes_nothing(client, world, node, headers, case, method, url, who,
                                                            raw):
    before = snapshot()
    response = call(client, method, url, who, headers, world, node, data=raw, content_type="application/json")
    body = assert_error(response, 400, "bad_request")
    assert "nested" in body["message"]
    assert snapshot() == before


OVERFLOWING_TIMES = ["9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59+00:00",
                     "0001-01-01T00:00:00+00:00"]


@pytest.mark.parametrize("moment", OVERFLOWING_TIMES)
@pytest.mark.parametrize(("url", "field"), [("/api/student/book", "start_time"), ("/api/student/book", "end_time"),
                                            ("/api/student/availability", "start_time"),
                                            ("/api/student/availability", "end_time")])
def test_a_time_out_of_range_is_a_422_on_booking_and_availability(client, student_headers, node, url, field, moment):
    before = snapshot()
    response = client.post(url, headers=student_headers, json=booking_payload(**{field: moment}))
    body = assert_error(response, 422, "validation_error")
    assert field in body["details"]
    assert snapshot() == before


@pytest.mark.parametrize("moment", OVERFLOWING_TIMES)
def test_a_time_out_of_range_is_a_422_on_extend_and_bulk_extend(client, admin_headers, world, moment):
    before = snapshot()
    response = client.post(f"/api/admin/extend/{world['approved']}", headers=admin_headers, json={"end_time": moment})
    assert "end_time" in assert_error(response, 422, "validation_error")["details"]
    response = client.post("/api/admin/bulk", headers=admin_headers,
                           json={"action": "extend", "ids": [world["approved"]], "end_time": moment})
    assert "end_time" in assert_error(response, 422, "validation_error")["details"]
    assert snapshot() == before


@pytest.mark.parametrize("moment", OVERFLOWING_TIMES)
@pytest.mark.parametrize("param", ["start_from", "start_to", "overlaps_from", "overlaps_to"])
def test_a_time_out_of_range_is_a_422_in_the_booking_filters(client, admin_headers, world, param, moment):
    response = client.get("/api/admin/bookings", headers=admin_headers, query_string={param: moment})
    assert param in assert_error(response, 422, "validation_error")["details"]


def test_an_ordinary_offset_still_converts_to_utc(client, student_headers, node):
    payload = booking_payload(6)
    west = datetime.fromisoformat(payload["start_time"]).astimezone(timezone(timedelta(hours=-12)))
    response = client.post("/api/student/book", headers=student_headers,
                           json={**payload, "start_time": west.isoformat()})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["start_time"].startswith(payload["start_time"][:19])


# --- memory the agent refuses ---------------------------------------------

@pytest.mark.parametrize("configured_minimum", [0.5, 0.0])
@pytest.mark.parametrize("memory_gb", [0.001, 5e-324, MIN_MEMORY_GB / 2])
@pytest.mark.parametrize("url", ["/api/student/book", "/api/student/availability"])
def test_memory_below_what_the_agent_accepts_is_refused(app, client, student_headers, node, url, memory_gb,
                                                       configured_minimum):
    app.config["BOOKING_MIN_MEMORY_GB"] = configured_minimum
    response = client.post(url, headers=student_headers, json=booking_payload(memory_gb=memory_gb))
    assert "memory_gb" in assert_error(response, 422, "validation_error")["details"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0


def test_the_advertised_minimum_memory_is_never_below_the_agents(app, client, student_headers, node):
    app.config["BOOKING_MIN_MEMORY_GB"] = 0
    limits = client.get("/api/student/options", headers=student_headers).get_json()["limits"]
    assert limits["min_memory_gb"] == MIN_MEMORY_GB
    response = client.post("/api/student/book", headers=student_headers, json=booking_payload(memory_gb=MIN_MEMORY_GB))
    assert response.status_code == 201, response.get_json()


# --- search wildcards -----------------------------------------------------

@pytest.fixture
def searchable(factory, node):
    users = {name: factory.user(username=name, email=f"{name}@lab.test")
             for name in ("under_score", "percent", "plain")}
    for user in users.values():
        factory.booking(user)
    return users


@pytest.mark.parametrize(("q", "expected"), [("%", []), ("_", ["under_score"]), ("r_s", ["under_score"]),
                                             ("PLAIN", ["plain"]), ("\\", []), ("e%t", [])])
def test_user_search_treats_like_wildcards_literally(client, admin_headers, searchable, q, expected):
    body = client.get("/api/admin/users", headers=admin_headers, query_string={"q": q}).get_json()
    assert [u["username"] for u in body["items"]] == expected


@pytest.mark.parametrize(("q", "expected"), [("%", []), ("_", ["under_score"]), ("PLAIN", ["plain"])])
def test_booking_search_treats_like_wildcards_literally(client, admin_headers, searchable, q, expected):
    body = client.get("/api/admin/bookings", headers=admin_headers, query_string={"q": q}).get_json()
    assert [b["username"] for b in body["items"]] == expected


# --- tokens are never cached; the signing key is long enough ---------------

def test_responses_carrying_tokens_are_not_stored(client, student):
    login = client.post("/api/auth/login", json={"username": student.username, "password": PASSWORD})
    assert login.status_code == 200
    assert login.headers["Cache-Control"] == "no-store"
    refresh = client.post("/api/auth/refresh",
                          headers={"Authorization": f"Bearer {login.get_json()['refresh_token']}"})
    assert refresh.status_code == 200
    assert refresh.headers["Cache-Control"] == "no-store"
    register = client.post("/api/auth/register",
                           json={"username": "fresh", "email": "fresh@lab.test", "password": "long-enough-1"})
    assert register.status_code == 201
    assert register.headers["Cache-Control"] == "no-store"
    refused = client.post("/api/auth/login", json={"username": student.username, "password": "wrong-one"})
    assert refused.status_code == 401 and refused.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("key", ["12345", "x" * 31, "é" * 15])
def test_a_jwt_key_under_32_bytes_is_refused_at_start(database_url, key):
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY.*32 bytes"):
        create_app({"JWT_SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": database_url})


def test_a_short_jwt_key_is_accepted_with_the_development_flag(monkeypatch):
    monkeypatch.setenv("JWT_SECRET_KEY", "12345")
    monkeypatch.setenv("INSECURE_DEV", "1")
    config = vars(Config())
    check_config(config)  # no error
    assert config["JWT_SECRET_KEY"] == "12345"


def test_an_unset_jwt_key_gets_a_random_one_long_enough(monkeypatch):
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    monkeypatch.delenv("INSECURE_DEV", raising=False)
    config = vars(Config())
    check_config(config)  # the embedded default (`make run`) keeps working
    assert config["JWT_SECRET_IS_EPHEMERAL"] and len(config["JWT_SECRET_KEY"].encode()) >= 32


def test_a_short_jwt_key_in_the_environment_is_refused(monkeypatch, database_url):
    monkeypatch.setenv("JWT_SECRET_KEY", "short")
    monkeypatch.delenv("INSECURE_DEV", raising=False)
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url})


# --- password hashing: bounded memory, old hashes still good ----------------

def test_new_passwords_are_hashed_with_the_owasp_argon2id_parameters():
    params = argon2.extract_parameters(accounts.hash_password("long-enough-1"))
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (
        argon2.Type.ID, 19 * 1024, 2, 1)


def test_a_hash_made_with_the_old_parameters_still_logs_in_and_is_upgraded(client, factory):
    old = argon2.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    user = factory.user()
    user.password_hash = old
    db.session.commit()
    response = client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    upgraded = db.session.get(User, user.id).password_hash
    assert upgraded != old and argon2.extract_parameters(upgraded).memory_cost == 19 * 1024
    again = client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
    assert again.status_code == 200
    assert client.post("/api/auth/login", json={"username": user.username, "password": "wrong"}).status_code == 401


def test_a_login_waits_for_a_free_hashing_slot(app, student):
    """With every slot taken, a login does not hash until one is released."""
    taken = [accounts.HASH_SLOTS.acquire(timeout=5) for _ in range(accounts.MAX_CONCURRENT_HASHES)]
    assert all(taken)
    results, username = [], student.username

    def login():
        with app.test_client() as c:
            results.append(c.post("/api/auth/login", json={"username": username, "password": PASSWORD}))

    thread = threading.Thread(target=login)
    try:
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive() and not results
    finally:
        for _ in taken:
            accounts.HASH_SLOTS.release()
    thread.join(timeout=30)
    assert results and results[0].status_code == 200


def test_the_controller_refuses_to_start_with_a_short_key_and_says_why(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("INSECURE_DEV",)}
    env.update(JWT_SECRET_KEY="short", INSTANCE_DIR=str(tmp_path), LOCAL_AGENT="false", PORT="0")
    done = subprocess.run([sys.executable, "-m", "controller.app"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "JWT_SECRET_KEY is 5 bytes; use at least 32 bytes" in done.stderr
    assert "Traceback" not in done.stderr


# --- a node's answer nested past the parser's recursion --------------------------

@pytest.fixture
def deep_answering_node():
    """An HTTP server on loopback that answers every request with a 60 KB, 30000-deep JSON body."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = DEEP_ARRAY.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_a_node_answering_deeply_nested_json_is_read_as_an_empty_answer(deep_answering_node):
    endpoint = agent_client.AgentEndpoint(1, "deep", deep_answering_node, None)
    assert agent_client.health(endpoint, timeout=5) == {}
    assert agent_client.containers(endpoint, timeout=5, controller_id="c0ffee") == []


@pytest.mark.parametrize("number", [2**31, 829365271590077952, 10**25])
@pytest.mark.parametrize("url", ["/api/student/bookings/{}", "/api/admin/bookings/{}", "/api/admin/agents/{}"])
def test_an_id_beyond_32_bits_in_a_path_names_nothing(client, admin_headers, world, url, number):
    before = snapshot()
    assert_error(client.get(url.format(number), headers=admin_headers), 404, "not_found")
    assert snapshot() == before


@pytest.mark.parametrize("body", [{"agent_id": 2**31}, {"agent_id": 10**25}])
def test_an_id_beyond_32_bits_in_a_body_is_a_422_that_changes_nothing(client, admin_headers, world, body):
    """The database refuses the number; the request is rolled back and told,
    and the next request on the same session works (no aborted transaction
    left behind)."""
    before = snapshot()
    pending = world["pending"]
    body_ = assert_error(client.post(f"/api/admin/approve/{pending}", headers=admin_headers, json=body), 422)
    assert body_["error"] == "validation_error"
    assert snapshot() == before
    assert client.get(f"/api/admin/bookings/{pending}", headers=admin_headers).status_code == 200


def test_an_id_beyond_32_bits_in_a_filter_is_a_422(client, admin_headers, world):
    assert_error(client.get(f"/api/admin/bookings?user_id={2**40}", headers=admin_headers), 422, "validation_error")
    assert client.get("/api/admin/bookings", headers=admin_headers).status_code == 200
