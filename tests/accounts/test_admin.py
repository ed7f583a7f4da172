"""Administration: users, roles, deactivation, password resets and API tokens."""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tracker.accounts.models import ApiToken, SecurityEvent, SecurityEventKind, User
from tracker.accounts.services import create_token
from tracker.core.permissions import Role

NEW_PASSWORD = "a sunny afternoon in Freiburg"


def user(session, email) -> User:
    session.expire_all()
    return session.scalar(sa.select(User).where(User.email == email))


def events(session, kind):
    return session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == kind)).all()


def test_the_list_shows_only_this_organisations_people(client, auth, users):
    auth.login(users["admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    for role in ("viewer", "editor", "admin"):
        assert users[role] in page
    assert users["other_admin"] not in page


def test_create_a_user_who_can_then_sign_in(app, client, auth, users, session):
    auth.login(users["admin"])
    response = client.post(
        "/admin/users/new",
        data={
            "email": "New.Person@iclei.test",
            "name": "New Person",
            "role": "editor",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    created = user(session, "new.person@iclei.test")
    assert created.role is Role.EDITOR and created.organisation.name == "ICLEI European Secretariat"
    assert [e.user_id for e in events(session, SecurityEventKind.USER_CREATED)] == [created.id]
    other = app.test_client()
    assert (
        other.post("/signin", data={"email": "new.person@iclei.test", "password": NEW_PASSWORD}).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short", "password: must be at least 12 characters long"),
        ("password", "qwerty123456", "is one of the most common passwords"),
        ("password", "newbie@iclei.test", "must not be your email address"),
        ("email", "viewer@iclei.test", "already has an account"),
        ("role", "superuser", "Not a valid choice"),
        ("name", "", "This field is required."),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(client, auth, users, session, field, value, message):
    auth.login(users["admin"])
    data = {
        "email": "newbie@iclei.test",
        "name": "Newbie",
        "role": "viewer",
        "password": NEW_PASSWORD,
        field: value,
    }
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-error"[^>]*>[^<]*{re.escape(message.split(": ", 1)[-1])}', page), page[
        -2000:
    ]
    assert user(session, "newbie@iclei.test") is None


def test_change_a_role(client, auth, users, session):
    auth.login(users["admin"])
    viewer = user(session, users["viewer"])
    response = client.post(
        f"/admin/users/{viewer.id}/role", data={"role": "editor", "version": viewer.version}
    )
    assert response.status_code == 303
    assert user(session, users["viewer"]).role is Role.EDITOR
    [event] = events(session, SecurityEventKind.ROLE_CHANGED)
    assert event.detail == "viewer -> editor"


def test_a_stale_role_form_is_a_409_and_changes_nothing(client, auth, users, session):
    auth.login(users["admin"])
    viewer = user(session, users["viewer"])
    seen = viewer.version
    viewer.name = "Renamed meanwhile"
    session.commit()
    response = client.post(f"/admin/users/{viewer.id}/role", data={"role": "admin", "version": seen})
    assert response.status_code == 409
    assert b"was changed by someone else meanwhile" in response.data
    assert user(session, users["viewer"]).role is Role.VIEWER


def test_the_last_admin_cannot_be_demoted_or_deactivated(client, auth, users, session):
    auth.login(users["admin"])
    admin = user(session, users["admin"])
    demote = client.post(f"/admin/users/{admin.id}/role", data={"role": "viewer", "version": admin.version})
    assert demote.status_code == 422 and b"last admin" in demote.data
    deactivate = client.post(f"/admin/users/{admin.id}/active", data={"active": "0", "confirm": "yes"})
    assert deactivate.status_code == 422
    admin = user(session, users["admin"])
    assert admin.role is Role.ADMIN and admin.active
    # With a second admin, the first may step down.
    editor = user(session, users["editor"])
    client.post(f"/admin/users/{editor.id}/role", data={"role": "admin", "version": editor.version})
    assert (
        client.post(
            f"/admin/users/{admin.id}/role", data={"role": "viewer", "version": admin.version}
        ).status_code
        == 303
    )


def test_deactivation_stops_sessions_and_tokens_at_once(app, client, auth, users, session):
    editor = user(session, users["editor"])
    _row, token = create_token(session, editor)
    session.commit()
    editor_client = app.test_client()
    editor_client.post("/signin", data={"email": users["editor"], "password": PASSWORD})
    assert editor_client.get("/plans").status_code == 200
    auth.login(users["admin"])
    asked = client.post(f"/admin/users/{editor.id}/active", data={"active": "0"})
    assert asked.status_code == 200 and "will be signed out everywhere at once" in asked.get_data(
        as_text=True
    )
    assert editor_client.get("/plans").status_code == 200 and user(session, users["editor"]).active
    assert (
        client.post(f"/admin/users/{editor.id}/active", data={"active": "0", "confirm": "yes"}).status_code
        == 303
    )
    assert editor_client.get("/plans").status_code == 302
    assert (
        app.test_client().get("/api/v1/plans", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert events(session, SecurityEventKind.USER_DEACTIVATED)[0].user_id == editor.id
    assert client.post(f"/admin/users/{editor.id}/active", data={"active": "1"}).status_code == 303
    assert user(session, users["editor"]).active


def test_a_password_reset_ends_the_users_sessions(app, client, auth, users, session):
    viewer = user(session, users["viewer"])
    viewer_client = app.test_client()
    viewer_client.post("/signin", data={"email": users["viewer"], "password": PASSWORD})
    auth.login(users["admin"])
    bad = client.post(
        f"/admin/users/{viewer.id}/password", data={"new": NEW_PASSWORD, "confirm": "different"}
    )
    assert bad.status_code == 422 and b"The two new passwords differ." in bad.data
    ok = client.post(
        f"/admin/users/{viewer.id}/password", data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert ok.status_code == 303
    assert viewer_client.get("/plans").status_code == 302
    assert (
        app.test_client()
        .post("/signin", data={"email": users["viewer"], "password": NEW_PASSWORD})
        .status_code
        == 302
    )


def test_an_admin_cannot_touch_another_organisations_users(client, auth, users, session):
    auth.login(users["other_admin"])
    viewer = user(session, users["viewer"])
    assert client.post(f"/admin/users/{viewer.id}/active", data={"active": "0"}).status_code == 404
    assert client.get(f"/admin/users/{viewer.id}/password").status_code == 404
    assert user(session, users["viewer"]).active


def test_tokens_are_shown_once_listed_and_revoked(app, client, auth, users, session):
    auth.login(users["admin"])
    viewer = user(session, users["viewer"])
    page = client.post("/admin/tokens", data={"user_id": str(viewer.id), "name": "Power BI"}).get_data(
        as_text=True
    )
    token = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    [row] = session.scalars(sa.select(ApiToken)).all()
    assert row.token_hash != token and token not in client.get("/admin/tokens").get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/v1/plans", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    asked = client.post(f"/admin/tokens/{row.id}/revoke")
    assert asked.status_code == 200 and "every call with it gets 401 from now on" in asked.get_data(
        as_text=True
    )
    assert api.get("/api/v1/plans", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post(f"/admin/tokens/{row.id}/revoke", data={"confirm": "yes"}).status_code == 303
    assert api.get("/api/v1/plans", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert [
        e.kind
        for e in session.scalars(sa.select(SecurityEvent).order_by(SecurityEvent.id))
        if e.kind.value.startswith("token")
    ] == [SecurityEventKind.TOKEN_CREATED, SecurityEventKind.TOKEN_REVOKED]


def test_token_commands_list_and_revoke(runner, users, session):
    created = runner.invoke(args=["token", "create", users["editor"], "--name", "sync"])
    token_id = session.scalar(sa.select(ApiToken.id))
    listing = runner.invoke(args=["token", "list", "--organisation", "ICLEI European Secretariat"])
    assert listing.exit_code == 0 and users["editor"] in listing.output and "active" in listing.output
    assert created.output.strip().splitlines()[-1] not in listing.output
    revoked = runner.invoke(args=["token", "revoke", str(token_id)])
    assert revoked.exit_code == 0 and f"Revoked token {token_id}" in revoked.output
    again = runner.invoke(args=["token", "revoke", str(token_id)])
    assert "already revoked" in again.output
    missing = runner.invoke(args=["token", "revoke", "999999"])
    assert missing.exit_code == 1 and "there is no token 999999" in missing.output
