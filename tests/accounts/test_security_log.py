"""The security log: an admin reads their organisation's security events, and nobody else's."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tracker.accounts.events import record_event, security_log
from tracker.accounts.models import ApiToken, SecurityEvent, SecurityEventKind, User
from tracker.core.scope import scope_of


def signed_in(app, email):
    client = app.test_client()
    assert client.post("/signin", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


def test_an_admin_reads_their_organisations_events_newest_first(app, users, session):
    # A wrong password for the editor's account, and one for an email nobody has.
    stranger = app.test_client()
    stranger.post("/signin", data={"email": users["editor"], "password": "not the password!"}).close()
    stranger.post("/signin", data={"email": "nobody@example.org", "password": "not the password!"}).close()
    signed_in(app, users["other_admin"])
    admin = signed_in(app, users["admin"])

    response = admin.get("/admin/security")
    assert response.status_code == 200
    listed = rows(response.get_data(as_text=True))
    assert (
        listed[0].startswith(tuple("0123456789")) and "Signed in" in listed[0] and users["admin"] in listed[0]
    )
    assert any("Sign-in failed" in row and users["editor"] in row for row in listed)
    # Another organisation's admin, and an email that names nobody, are not this organisation's.
    assert not any(users["other_admin"] in row or "nobody@example.org" in row for row in listed)
    assert "2 events." in response.get_data(as_text=True)


def test_the_log_filters_by_kind_and_turns_pages(app, users, session):
    admin_user = session.scalar(sa.select(User).where(User.email == users["admin"]))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for minute in range(55):
        event = record_event(session, SecurityEventKind.FORBIDDEN, user=admin_user, path=f"/page/{minute}")
        event.at = start + timedelta(minutes=minute)
    session.commit()
    admin = signed_in(app, users["admin"])

    first = admin.get("/admin/security?kind=forbidden")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "55 events." in html and "page 1 of 2" in html
    listed = rows(html)
    assert len(listed) == 50 and "/page/54" in listed[0] and not any("Signed in" in row for row in listed)
    assert 'href="/admin/security?kind=forbidden&amp;page=2"' in html and "Older events" in html
    second = rows(admin.get("/admin/security?kind=forbidden&page=2").get_data(as_text=True))
    assert len(second) == 5 and "/page/0" in second[-1]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("kind=everything", 400, "kind: everything is not a kind of security event."),
        ("page=0", 400, "page: must be a whole number from 1."),
        ("page=two", 400, "page: must be a whole number from 1."),
        ("page=9", 404, ""),
    ],
)
def test_a_bad_filter_is_named(app, users, query, status, message):
    admin = signed_in(app, users["admin"])
    response = admin.get(f"/admin/security?{query}")
    assert response.status_code == status and message in response.get_data(as_text=True)


def test_events_without_an_account_are_in_no_organisations_log(session, users):
    # The domain function, without a client: an event with no account belongs to nobody's log.
    admin_user = session.scalar(sa.select(User).where(User.email == users["admin"]))
    record_event(session, SecurityEventKind.SIGNIN_THROTTLED, email="nobody@example.org")
    record_event(session, SecurityEventKind.SIGNIN_THROTTLED, user=admin_user)
    session.commit()
    log = security_log(session, scope_of(admin_user), kind=SecurityEventKind.SIGNIN_THROTTLED)
    assert [(event.user_id, event.email) for event in log.events] == [(admin_user.id, users["admin"])]
    assert session.scalar(sa.select(sa.func.count()).select_from(SecurityEvent)) == 2


def test_the_log_names_the_admin_who_acted_beside_the_account(app, users, session):
    viewer = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    admin_user = session.scalar(sa.select(User).where(User.email == users["admin"]))
    admin = signed_in(app, users["admin"])
    assert (
        admin.post(
            f"/admin/users/{viewer.id}/role", data={"role": "editor", "version": viewer.version}
        ).status_code
        == 303
    )
    new = "the river Dreisam in spring"
    assert (
        admin.post(f"/admin/users/{viewer.id}/password", data={"new": new, "confirm": new}).status_code == 303
    )
    assert admin.post(f"/admin/users/{viewer.id}/two-step").status_code == 303
    admin.post("/admin/tokens", data={"user_id": str(viewer.id), "name": "sync"})
    token = session.scalar(sa.select(ApiToken))
    assert admin.post(f"/admin/tokens/{token.id}/revoke", data={"confirm": "yes"}).status_code == 303
    assert (
        admin.post(f"/admin/users/{viewer.id}/active", data={"active": "0", "confirm": "yes"}).status_code
        == 303
    )

    acted = [
        SecurityEventKind.ROLE_CHANGED,
        SecurityEventKind.PASSWORD_RESET,
        SecurityEventKind.TWO_STEP_RESET,
        SecurityEventKind.TOKEN_CREATED,
        SecurityEventKind.TOKEN_REVOKED,
        SecurityEventKind.USER_DEACTIVATED,
    ]
    recorded = session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind.in_(acted))).all()
    assert sorted(e.kind for e in recorded) == sorted(acted)
    assert {(e.user_id, e.actor_id) for e in recorded} == {(viewer.id, admin_user.id)}
    # A person's own sign-in names no one else.
    own = session.scalars(
        sa.select(SecurityEvent).where(SecurityEvent.kind == SecurityEventKind.SIGNIN_SUCCEEDED)
    )
    assert all(not e.acted_by_another for e in own)

    listed = rows(admin.get("/admin/security").get_data(as_text=True))
    by_admin = f"by Admin Person ({users['admin']})"
    for label in (
        "Role changed",
        "Password reset by an admin",
        "Two-step sign-in reset",
        "API token created",
        "API token revoked",
        "User deactivated",
    ):
        [row] = [row for row in listed if label in row]
        assert users["viewer"] in row and by_admin in row, row
    assert not any(by_admin in row for row in listed if "Signed in" in row)
