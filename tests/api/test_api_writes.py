"""The rules every API write follows: CSRF for sessions, none for bearer tokens, JSON errors."""

import pytest
import sqlalchemy as sa
from flask import jsonify

from tests.conftest import clear_database, make_app
from tracker.accounts.models import User
from tracker.accounts.services import create_token
from tracker.api.views import bp
from tracker.core.forms import json_body
from tracker.core.permissions import Need, requires
from tracker.plans.models import Action


@pytest.fixture
def probe_app(database_url, tmp_path):
    """The app with CSRF on and one extra API write route that echoes its JSON body."""

    @requires(Need.EDIT)
    def probe():
        return jsonify(received=json_body())

    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    app.add_url_rule("/api/v1/probe", "api.probe", probe, methods=["POST"])
    yield app
    clear_database(app)


def signed_in(app, email):
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/signin", data={"email": email, "password": "correct horse battery staple", "csrf_token": token}
    )
    # Signing in starts a new session, and with it a new CSRF token: read it from a page.
    page = client.get("/plans").get_data(as_text=True)
    return client, page.split('name="csrf_token" value="')[1].split('"')[0]


def test_bearer_token_writes_need_no_csrf_token(probe_app, users, session):
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    _row, token = create_token(session, editor)
    session.commit()
    response = probe_app.test_client().post(
        "/api/v1/probe", json={"note": "hello"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response.json == {"received": {"note": "hello"}}


def test_session_writes_to_the_api_need_the_csrf_header(probe_app, users):
    client, token = signed_in(probe_app, users["editor"])
    refused = client.post("/api/v1/probe", json={"note": "hello"})
    assert refused.status_code == 400 and refused.json["error"] == "The form has expired"
    accepted = client.post("/api/v1/probe", json={"note": "hello"}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ('{"note": ', "application/json", "body: not valid JSON."),
        ("[1, 2]", "application/json", "body: must be a JSON object."),
        ("note=hello", "application/x-www-form-urlencoded", "body: send JSON with the header"),
    ],
)
def test_malformed_json_is_a_400_json_naming_the_problem(
    probe_app, users, session, body, content_type, message
):
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    _row, token = create_token(session, editor)
    session.commit()
    response = probe_app.test_client().post(
        "/api/v1/probe", data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.json["message"].startswith(message)


def test_a_viewers_token_cannot_write(probe_app, users, session):
    viewer = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    _row, token = create_token(session, viewer)
    session.commit()
    response = probe_app.test_client().post(
        "/api/v1/probe", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403 and response.json["error"] == "Forbidden"


def test_the_probe_route_exists_only_in_this_test(app):
    assert "api.probe" not in app.view_functions
    assert bp.name == "api"


def an_action(session):
    return session.scalar(sa.select(Action).where(Action.code == "3.1.2"))


def test_a_junk_bearer_header_does_not_lift_the_csrf_check_of_a_session(probe_app, users, session):
    """A page on another site can add any header to a request the browser sends with the cookie:
    only a token that really signed the request in may skip the CSRF check."""
    client, _token = signed_in(probe_app, users["editor"])
    action = an_action(session)
    before = (action.status, action.version)
    for junk in ("Bearer xxx", "Bearer ", "bearer not-a-token"):
        refused = client.post(
            f"/api/v1/actions/{action.id}/status",
            json={"status": "completed", "note": "forged", "version": action.version},
            headers={"Authorization": junk},
        )
        assert refused.status_code == 400, junk
        assert refused.json["error"] == "The form has expired"
    session.expire_all()
    assert (action.status, action.version) == before


def test_a_valid_token_writes_without_a_cookie_or_csrf_token(probe_app, users, session):
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    _row, token = create_token(session, editor)
    session.commit()
    action = an_action(session)
    assert action.status.value != "completed"
    response = probe_app.test_client().post(
        f"/api/v1/actions/{action.id}/status",
        json={"status": "completed", "note": "by token", "version": action.version},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.json["status"] == "completed"
    session.expire_all()
    assert action.status.value == "completed"
