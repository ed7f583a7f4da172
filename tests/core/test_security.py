"""Sessions, sign-in throttling, passwords, CSRF, headers and request limits."""

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from tests.conftest import PASSWORD, make_app
from tracker.accounts.models import SecurityEvent, SecurityEventKind, User
from tracker.core.permissions import GRANTS, Role, required

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def kinds(session):
    return [e.kind for e in session.scalars(sa.select(SecurityEvent).order_by(SecurityEvent.id))]


# Sessions -----------------------------------------------------------------------------------


def test_every_sign_in_starts_a_new_session(client, auth, users):
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    auth.login(users["viewer"])
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["signed_in_at"] == after["seen_at"]


@pytest.mark.parametrize(("key", "age"), [("seen_at", 31 * 60), ("signed_in_at", 13 * 3600)])
def test_idle_and_old_sessions_end(client, auth, users, session, key, age):
    auth.login(users["viewer"])
    assert client.get("/plans").status_code == 200
    with client.session_transaction() as cookie:
        cookie[key] = int(time.time()) - age
    response = client.get("/plans")
    assert response.status_code == 302 and response.location.startswith("/signin")
    assert b"Your session has expired" in client.get(response.location).data
    assert SecurityEventKind.SESSION_EXPIRED in kinds(session)


def test_pages_seen_within_a_minute_leave_the_session_cookie_alone(client, auth, users):
    """A chart still loading while the person signs out must not send the old session back."""
    auth.login(users["viewer"])
    client.get("/plans").close()  # the first page after sign-in stores the form token
    response = client.get("/plans")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    with client.session_transaction() as cookie:
        cookie["seen_at"] = int(time.time()) - 120
    response = client.get("/plans")
    assert "Set-Cookie" in response.headers
    with client.session_transaction() as cookie:
        assert int(time.time()) - cookie["seen_at"] < 5


def test_the_timeouts_are_configurable(app, client, auth, users):
    app.config["SESSION_IDLE_MINUTES"] = 1
    auth.login(users["viewer"])
    with client.session_transaction() as cookie:
        cookie["seen_at"] = int(time.time()) - 90
    assert client.get("/plans").status_code == 302


def test_sign_in_and_out_are_recorded(auth, users, session):
    auth.login(users["viewer"], "wrong password, twelve+")
    auth.login(users["viewer"])
    auth.logout()
    assert kinds(session) == [
        SecurityEventKind.SIGNIN_FAILED,
        SecurityEventKind.SIGNIN_SUCCEEDED,
        SecurityEventKind.SIGNED_OUT,
    ]
    failed = session.scalars(sa.select(SecurityEvent)).first()
    assert failed.email == users["viewer"] and failed.client == "127.0.0.1"


# Throttling ---------------------------------------------------------------------------------


def fail(client, email, address="127.0.0.1"):
    return client.post(
        "/signin",
        data={"email": email, "password": "not the password!"},
        environ_base={"REMOTE_ADDR": address},
    )


def wait_in_minutes(response) -> int:
    """The wait a 429 announces, in its Retry-After header (seconds), as whole minutes."""
    return -(-int(response.headers["Retry-After"]) // 60)


def test_ten_failures_for_one_account_then_429_from_anywhere(client, users, session):
    for attempt in range(10):
        assert fail(client, users["editor"], f"10.0.0.{attempt}").status_code == 401
    blocked = client.post(
        "/signin",
        data={"email": users["editor"], "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert blocked.status_code == 429
    # It says how long to wait, in the header and in words, and keeps the form with the email.
    minutes = wait_in_minutes(blocked)
    assert 1 <= minutes <= 15
    page = blocked.get_data(as_text=True)
    assert f"Too many failed sign-ins. Wait {minutes} minutes, then try again." in page
    assert f'value="{users["editor"]}"' in page and 'name="password"' in page
    assert SecurityEventKind.SIGNIN_THROTTLED in kinds(session)
    # Another account from another address is not affected.
    assert (
        client.post(
            "/signin",
            data={"email": users["viewer"], "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.8.8.8"},
        ).status_code
        == 302
    )


def test_ten_failures_from_one_address_lock_nobody_else_out(client, users):
    """An office behind one NAT address: someone's typos, or a guesser trying emails that name
    nobody, do not stop a colleague from signing in with the right password."""
    for attempt in range(10):
        assert fail(client, f"guess{attempt}@iclei.test", "192.0.2.7").status_code == 401
    assert fail(client, users["editor"], "192.0.2.7").status_code == 401
    signed_in = client.post(
        "/signin",
        data={"email": users["viewer"], "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert signed_in.status_code == 302


def test_the_address_limit_refuses_only_wrong_passwords(app, users, session):
    app.config["SIGNIN_ADDRESS_LIMIT"] = "5 per 15 minutes"
    client = app.test_client()
    for attempt in range(5):
        assert fail(client, f"guess{attempt}@iclei.test", "192.0.2.7").status_code == 401
    # Past the address's limit a wrong password is refused with how long to wait ...
    refused = fail(client, users["viewer"], "192.0.2.7")
    assert refused.status_code == 429
    minutes = wait_in_minutes(refused)
    assert 1 <= minutes <= 15
    page = refused.get_data(as_text=True)
    assert f"Too many failed sign-ins. Wait {minutes} minutes, then try again." in page
    assert f'value="{users["viewer"]}"' in page
    events = session.scalars(sa.select(SecurityEvent).order_by(SecurityEvent.id.desc())).all()
    assert events[0].kind is SecurityEventKind.SIGNIN_THROTTLED and events[0].email == users["viewer"]
    # ... from that address only ...
    assert fail(client, users["viewer"], "192.0.2.8").status_code == 401
    # ... and a person whose account is not throttled still signs in there with the right password.
    right = client.post(
        "/signin",
        data={"email": users["viewer"], "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert right.status_code == 302


def test_failures_refused_by_the_address_limit_still_count_for_the_account(app, users):
    app.config["SIGNIN_ADDRESS_LIMIT"] = "2 per 15 minutes"
    client = app.test_client()
    statuses = [fail(client, users["editor"], "192.0.2.9").status_code for _ in range(11)]
    assert statuses == [401, 401] + [429] * 9
    # The account has had its ten failures: now even the right password waits, from anywhere.
    blocked = client.post(
        "/signin",
        data={"email": users["editor"], "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert blocked.status_code == 429


def test_successful_sign_ins_are_never_throttled(app, users):
    for _ in range(12):
        client = app.test_client()
        assert (
            client.post("/signin", data={"email": users["viewer"], "password": PASSWORD}).status_code == 302
        )


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        message = f"Redis is not reachable at {REDIS_URL} ({error})"
        if os.environ.get("TRACKER_REQUIRE_REDIS", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + ", and TRACKER_REQUIRE_REDIS is set", pytrace=False)
        pytest.skip(message + "; set TEST_REDIS_URL to run this test")
    return REDIS_URL


def failures_in_another_process(database_url, tmp_path, config, email, count):
    """Make ``count`` failed sign-ins from a separate Python process; its status codes."""
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        sys.path.insert(0, {os.getcwd()!r})
        from tests.conftest import make_app
        app = make_app({database_url!r}, Path({str(tmp_path)!r}), **{config!r})
        client = app.test_client()
        data = {{"email": {email!r}, "password": "not the password!"}}
        print(json.dumps([client.post("/signin", data=data).status_code for _ in range({count})]))
    """)
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_processes_sharing_redis_share_the_counters(database_url, users, tmp_path, redis_url):
    config = {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": f"tracker-test-{uuid.uuid4().hex}"}
    assert failures_in_another_process(database_url, tmp_path, config, users["editor"], 6) == [401] * 6
    # A second process sees the first one's six failures: four more reach the limit of ten.
    assert failures_in_another_process(database_url, tmp_path, config, users["editor"], 5) == [401] * 4 + [
        429
    ]


# Passwords ----------------------------------------------------------------------------------


def test_an_old_hash_is_upgraded_at_sign_in(client, users, session):
    viewer = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    viewer.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    session.commit()
    assert client.post("/signin", data={"email": users["viewer"], "password": PASSWORD}).status_code == 302
    session.expire_all()
    assert viewer.password_hash.startswith("scrypt:")


def test_changing_ones_password_ends_other_sessions(app, client, auth, users):
    other = app.test_client()
    other.post("/signin", data={"email": users["editor"], "password": PASSWORD})
    auth.login(users["editor"])
    bad = client.post(
        "/account/password", data={"current": "wrong", "new": "qwerty123456", "confirm": "qwerty123456"}
    )
    assert bad.status_code == 422 and b"This is not your current password." in bad.data
    common = client.post(
        "/account/password", data={"current": PASSWORD, "new": "qwerty123456", "confirm": "qwerty123456"}
    )
    assert common.status_code == 422 and b"is one of the most common passwords" in common.data
    new = "the river Dreisam in spring"
    ok = client.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert ok.status_code == 302
    assert client.get("/plans").status_code == 200
    assert other.get("/plans").status_code == 302


# CSRF, headers, limits ----------------------------------------------------------------------


def post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            yield rule


def test_every_form_needs_its_csrf_token(csrf_app, users, session, password_hash):
    client = csrf_app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert (
        client.post(
            "/signin", data={"email": users["admin"], "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    before = session.scalar(sa.select(sa.func.count()).select_from(SecurityEvent))
    viewer = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    checked = 0
    for rule in post_routes(csrf_app):
        if required(csrf_app, rule.endpoint) not in GRANTS[Role.ADMIN]:
            continue  # refused to an admin (403) whatever the form: a coordinator's route
        url = rule.build(
            {
                "user_id": viewer.id,
                "token_id": 1,
                "plan_id": 1,
                "action_id": 1,
                "pillar_id": 1,
                "entry_id": 1,
                "year": 2025,
                "line_id": 1,
                "assessment_id": 1,
                "network_id": 1,
            },
            append_unknown=False,
        )[1]
        response = client.post(url, data={"active": "0", "role": "admin", "version": viewer.version})
        assert response.status_code == 400, url
        assert b"The form has expired" in response.data
        checked += 1
    assert checked >= 7
    session.expire_all()
    assert viewer.active and viewer.role.value == "viewer"
    assert client.get("/plans").status_code == 200  # still signed in: sign-out needed its token too
    assert session.scalar(sa.select(sa.func.count()).select_from(SecurityEvent)) == before


def test_hsts_only_over_https(client, iclei):
    assert "Strict-Transport-Security" not in client.get("/signin").headers
    secure = client.get("/signin", base_url="https://tracker.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_body_over_the_limit_is_413(app, client, iclei):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/signin", data={"email": "x" * 2048, "password": "y"})
    assert response.status_code == 413
    assert b"larger than this site accepts" in response.data


def test_production_session_cookies_are_secure_when_configured(tmp_path, database_url):
    app = make_app(database_url, tmp_path)
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    from tracker.core.config import load_config

    config = load_config(str(tmp_path), {"SECRET_KEY": "k", "SESSION_COOKIE_SECURE": "1"})
    assert config["SESSION_COOKIE_SECURE"] is True


def test_security_events_are_logged_too(auth, users, caplog):
    with caplog.at_level("INFO", logger="tracker.security"):
        auth.login(users["viewer"], "wrong password, twelve+")
    assert any(
        "security event signin_failed" in r.getMessage() and users["viewer"] in r.getMessage()
        for r in caplog.records
    )


def test_routing_answers_before_the_csrf_check(csrf_app, users, iclei):
    """A method a URL does not take is 405 and an unknown URL 404, not "The form has expired"."""
    client = csrf_app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/signin", data={"email": users["admin"], "password": PASSWORD, "csrf_token": token})
    existing = [
        "/signin",
        f"/plans/{iclei}",
        f"/plans/{iclei}/actions",
        f"/admin/plans/{iclei}",
        "/api/v1/plans",
        f"/api/v1/plans/{iclei}/actions",
    ]
    for url in existing:
        for method in ("PUT", "PATCH", "DELETE"):
            response = client.open(url, method=method)
            assert response.status_code == 405, (method, url, response.status_code)
            assert b"The form has expired" not in response.data
    assert client.post("/plans").status_code == 405  # a page that only reads
    for url in ("/api/v1/nothing-here", "/api/v1/plans/1/nothing", "/nothing-here"):
        response = client.post(url, json={})
        assert response.status_code == 404, (url, response.status_code)
        assert b"The form has expired" not in response.data
    api = client.post("/api/v1/nothing-here", json={})
    assert api.is_json and api.json["error"] == "Not Found"
    # A real form without its token is still refused.
    assert client.post(f"/admin/plans/{iclei}", data={"title": "x"}).status_code == 400
