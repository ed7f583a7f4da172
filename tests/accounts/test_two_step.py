"""Two-step sign-in (TOTP) and confirming who one is before changing accounts."""

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from tests.conftest import PASSWORD, TOTP_KEY, make_app
from tracker.accounts.models import SecurityEvent, SecurityEventKind, User
from tracker.accounts.twostep import SecretBox, accept_code, enrol, matching_step, new_secret
from tracker.core.permissions import ORGANISATION_ROLES, Role

NOON = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


# The rule ----------------------------------------------------------------------------------------


BOX = SecretBox([TOTP_KEY])


def test_a_code_is_accepted_in_its_step_or_the_next_to_it_and_only_once():
    secret = new_secret()
    totp = pyotp.TOTP(secret)
    user = User(totp_secret=BOX.seal(secret))
    assert matching_step(secret, totp.at(NOON), NOON) == totp.timecode(NOON)
    assert matching_step(secret, totp.at(NOON - timedelta(seconds=30)), NOON) is not None  # a slow phone
    assert matching_step(secret, totp.at(NOON - timedelta(seconds=90)), NOON) is None  # too old
    assert matching_step(secret, "12345", NOON) is None and matching_step(secret, "abcdef", NOON) is None
    code = totp.at(NOON)
    assert accept_code(user, f"{code[:3]} {code[3:]}", NOON, BOX)  # spaces as the app shows them
    assert not accept_code(user, code, NOON, BOX)  # spent
    assert not accept_code(user, totp.at(NOON - timedelta(seconds=30)), NOON, BOX)  # older than the spent one
    assert accept_code(user, totp.at(NOON + timedelta(seconds=30)), NOON + timedelta(seconds=30), BOX)


def test_enrolment_needs_a_code_of_the_new_secret_and_stores_it_sealed():
    user, secret = User(), new_secret()
    assert not enrol(
        user, secret, "000000" if pyotp.TOTP(secret).at(NOON) != "000000" else "111111", NOON, BOX
    )
    assert user.totp_secret is None
    assert enrol(user, secret, pyotp.TOTP(secret).at(NOON), NOON, BOX)
    assert secret not in user.totp_secret and BOX.open(user.totp_secret) == secret


def test_a_new_key_goes_first_and_the_old_one_still_opens_until_the_next_code(caplog):
    old_box, secret = BOX, new_secret()
    user = User(totp_secret=old_box.seal(secret))
    new_key = Fernet.generate_key().decode()
    rotated = SecretBox([new_key, TOTP_KEY])
    assert accept_code(user, pyotp.TOTP(secret).at(NOON), NOON, rotated)
    # Sealed again under the new key: the old key can now be dropped.
    assert SecretBox([new_key]).open(user.totp_secret) == secret
    # A secret that no configured key opens is refused and logged, never a crash.
    assert not accept_code(user, pyotp.TOTP(secret).at(NOON + timedelta(minutes=1)), NOON, old_box)
    assert "opens with none of TOTP_KEYS" in caplog.text


# Signing in --------------------------------------------------------------------------------------


@pytest.fixture
def strict_app(database_url, tmp_path):
    """Two-step sign-in required, as in production; three failures allowed."""
    from tests.conftest import clear_database

    app = make_app(database_url, tmp_path, MFA_REQUIRED=True, SIGNIN_FAILURE_LIMIT="3 per 15 minutes")
    yield app
    clear_database(app)


@pytest.fixture
def strict_users(strict_app, password_hash):
    from tracker.accounts.models import Organisation, Region
    from tracker.accounts.services import create_user
    from tracker.core.extensions import db

    with strict_app.app_context():
        org = Organisation(
            name="ICLEI European Secretariat", country="Germany", region=Region.NORTH_AMERICA_AND_EUROPE
        )
        db.session.add(org)
        for role in ORGANISATION_ROLES:
            create_user(
                db.session,
                email=f"{role.value}@iclei.test",
                name=f"{role.value.title()} Person",
                role=role,
                password="",
                organisation=org,
                password_hash=password_hash,
            )
        db.session.commit()


def password_step(client, email):
    return client.post("/signin", data={"email": email, "password": PASSWORD})


def current_code(secret: str, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * offset))


def setup_two_step(client, email) -> str:
    response = password_step(client, email)
    assert response.status_code == 302 and response.location == "/signin/setup"
    page = client.get("/signin/setup").get_data(as_text=True)
    secret = re.search(r'<code class="checksum" id="secret">([A-Z2-7 ]+)</code>', page)[1].replace(" ", "")
    assert 'src="data:image/svg+xml' in page
    done = client.post("/signin/setup", data={"code": current_code(secret)})
    assert done.status_code == 302 and done.location == "/"
    return secret


def events(session, kind):
    return session.scalar(
        sa.select(sa.func.count()).select_from(SecurityEvent).where(SecurityEvent.kind == kind)
    )


def test_when_required_the_password_alone_opens_nothing_and_setup_comes_first(
    strict_app, strict_users, session
):
    client = strict_app.test_client()
    response = password_step(client, "editor@iclei.test")
    assert response.location == "/signin/setup"
    # Half signed in is not signed in.
    assert client.get("/plans").status_code == 302
    wrong = client.post("/signin/setup", data={"code": "000000"})
    assert wrong.status_code == 401 and "This code is not right" in wrong.get_data(as_text=True)
    page = client.get("/signin/setup").get_data(as_text=True)
    secret = re.search(r'id="secret">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    # The cookie keeps the secret being set up sealed: whoever copies it cannot read it.
    with client.session_transaction() as cookie:
        assert secret not in json.dumps(dict(cookie))
    assert client.post("/signin/setup", data={"code": current_code(secret)}).location == "/"
    assert client.get("/plans").status_code in (200, 302)
    user = session.scalar(sa.select(User).where(User.email == "editor@iclei.test"))
    assert user.two_step and BOX.open(user.totp_secret) == secret
    # The database alone does not give the second factor away.
    assert secret not in user.totp_secret
    assert events(session, SecurityEventKind.TWO_STEP_ENABLED) == 1


def test_an_enrolled_person_signs_in_with_a_code_used_once(strict_app, strict_users, session):
    secret = setup_two_step(strict_app.test_client(), "viewer@iclei.test")
    client = strict_app.test_client()
    assert password_step(client, "viewer@iclei.test").location == "/signin/code"
    wrong = client.post(
        "/signin/code", data={"code": "123456" if current_code(secret) != "123456" else "654321"}
    )
    assert wrong.status_code == 401
    assert "This code is not right, or was already used" in wrong.get_data(as_text=True)
    code = current_code(secret, 1)
    assert client.post("/signin/code", data={"code": code}).location == "/"
    assert client.get("/plans").status_code == 200
    # The same code again, in another browser: refused.
    other = strict_app.test_client()
    password_step(other, "viewer@iclei.test")
    assert other.post("/signin/code", data={"code": code}).status_code == 401
    assert events(session, SecurityEventKind.SIGNIN_FAILED) >= 2


def test_the_code_step_expires_and_cannot_be_reached_without_the_password(strict_app, strict_users):
    client = strict_app.test_client()
    assert client.get("/signin/code").location == "/signin"
    password_step(client, "admin@iclei.test")
    with client.session_transaction() as state:
        state["pending"] = {**state["pending"], "at": int(time.time()) - 3600}
    assert client.get("/signin/setup").location == "/signin"


def test_wrong_codes_are_throttled(strict_app, strict_users, session):
    secret = setup_two_step(strict_app.test_client(), "editor@iclei.test")
    client = strict_app.test_client()
    password_step(client, "editor@iclei.test")
    bad = "000000" if current_code(secret) != "000000" else "111111"
    answers = [client.post("/signin/code", data={"code": bad}).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    # The organisation's security log shows whose code step was throttled.
    throttled = session.scalars(
        sa.select(SecurityEvent).where(SecurityEvent.kind == SecurityEventKind.SIGNIN_THROTTLED)
    ).all()
    assert [event.email for event in throttled] == ["editor@iclei.test"]
    assert throttled[0].organisation_id is not None


def test_an_admin_resets_a_lost_phone(strict_app, strict_users, session):
    setup_two_step(strict_app.test_client(), "viewer@iclei.test")
    victim = strict_app.test_client()
    secret_admin = setup_two_step(victim, "admin@iclei.test")
    viewer = session.scalar(sa.select(User).where(User.email == "viewer@iclei.test"))
    page = victim.get("/admin/users").get_data(as_text=True)
    assert "Reset the two-step sign-in of Viewer Person" in page
    response = victim.post(f"/admin/users/{viewer.id}/two-step")
    assert response.status_code == 303
    session.expire_all()
    assert not session.get(User, viewer.id).two_step
    assert events(session, SecurityEventKind.TWO_STEP_RESET) == 1
    # The viewer sets it up again at the next sign-in.
    assert password_step(strict_app.test_client(), "viewer@iclei.test").location == "/signin/setup"
    assert secret_admin


# Confirming before sensitive changes ------------------------------------------------------------


def test_an_admin_whose_sign_in_is_old_confirms_before_changing_a_role(app, users, session, client, auth):
    auth.login(users["admin"])
    viewer = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    with client.session_transaction() as state:
        state["confirmed_at"] = int(time.time()) - 16 * 60
    response = client.post(
        f"/admin/users/{viewer.id}/role",
        data={"role": "editor", "version": viewer.version},
        headers={"Referer": "http://localhost/admin/users"},
    )
    assert response.status_code == 303 and response.location == "/account/confirm?next=/admin/users"
    session.expire_all()
    assert session.get(User, viewer.id).role is Role.VIEWER
    assert client.get(response.location).status_code == 200
    wrong = client.post(response.location, data={"password": "not the password at all"})
    assert wrong.status_code == 401 and "The password or the code is not right." in wrong.get_data(
        as_text=True
    )
    right = client.post(response.location, data={"password": PASSWORD})
    assert right.status_code == 302 and right.location == "/admin/users"
    assert events(session, SecurityEventKind.CONFIRMED) == 1
    again = client.post(f"/admin/users/{viewer.id}/role", data={"role": "editor", "version": viewer.version})
    assert again.status_code == 303 and again.location == "/admin/users"
    session.expire_all()
    assert session.get(User, viewer.id).role is Role.EDITOR


@pytest.mark.parametrize(
    "path, data",
    [
        (
            "/admin/users/new",
            {"email": "x@iclei.test", "name": "X", "role": "admin", "password": "a long enough passphrase"},
        ),
        ("/admin/tokens", {"user": "1", "name": "bi"}),
    ],
)
def test_creating_accounts_and_tokens_needs_a_recent_sign_in_too(client, auth, users, session, path, data):
    auth.login(users["admin"])
    with client.session_transaction() as state:
        state["confirmed_at"] = 0
    before = session.scalar(sa.select(sa.func.count()).select_from(User))
    response = client.post(path, data=data)
    assert response.status_code == 303 and response.location.startswith("/account/confirm")
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_anyone_may_turn_on_two_step_sign_in_from_their_account(client, auth, users, session):
    auth.login(users["viewer"])
    page = client.get("/account/two-step").get_data(as_text=True)
    secret = re.search(r'id="secret">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    assert client.post("/account/two-step", data={"code": "99"}).status_code == 422
    response = client.post("/account/two-step", data={"code": current_code(secret)})
    assert response.status_code == 302
    assert "Two-step sign-in is on" in client.get("/account/two-step").get_data(as_text=True)
    auth.logout()
    assert auth.login(users["viewer"]).location == "/signin/code"
