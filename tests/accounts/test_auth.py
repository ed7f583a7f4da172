"""Signing in and out; every page but sign-in needs a signed-in user."""

import pytest
import sqlalchemy as sa

from tracker.accounts.models import User

PAGES = ["/", "/plans", "/plans/{plan}", "/actions/{action}"]
API = ["/api/v1/plans", "/api/v1/plans/{plan}/actions", "/api/v1/plans/{plan}/hours"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_anonymous_people_to_sign_in(client, iclei, path):
    response = client.get(path.format(plan=iclei, action=iclei))
    assert response.status_code == 302
    assert response.location.startswith("/signin?next=")


@pytest.mark.parametrize("path", API)
def test_the_api_answers_anonymous_callers_401_json(client, iclei, path):
    response = client.get(path.format(plan=iclei))
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"


def test_sign_in_then_the_plan(client, auth, users):
    response = auth.login(users["viewer"])
    assert response.status_code == 302
    page = client.get("/", follow_redirects=True)
    assert b"Gender Mainstreaming Action Plan 2023-2026" in page.data
    assert b"Viewer Person" in page.data


def test_wrong_password_and_unknown_email_get_the_same_message(client, auth, users):
    wrong = auth.login(users["viewer"], "not the password at all")
    unknown = auth.login("nobody@iclei.test")
    assert wrong.status_code == unknown.status_code == 401
    message = b"The email or password is not right."
    assert message in wrong.data and message in unknown.data
    assert client.get("/plans").status_code == 302


def test_next_goes_only_to_paths_of_this_site(client, users):
    ok = client.post(
        "/signin?next=/actions/3", data={"email": users["viewer"], "password": "correct horse battery staple"}
    )
    assert ok.location == "/actions/3"
    client.post("/signout")
    for target in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]:
        response = client.post(
            f"/signin?next={target}",
            data={"email": users["viewer"], "password": "correct horse battery staple"},
        )
        assert response.location == "/", target
        client.post("/signout")


def test_sign_out_is_a_post_and_ends_the_session_on_the_server(app, client, auth, users, iclei):
    auth.login(users["editor"])
    cookie = client.get_cookie("session").value
    assert client.get("/signout").status_code == 405
    assert auth.logout().status_code == 302
    # Someone who copied the cookie before sign-out gets nothing with it.
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get(f"/plans/{iclei}").status_code == 302
    assert thief.get("/api/v1/plans").status_code == 401


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(app, client, auth, users, session, iclei):
    auth.login(users["editor"])
    user = session.scalar(sa.select(User).where(User.email == users["editor"]))
    user.active = False
    session.commit()
    assert client.get(f"/plans/{iclei}").status_code == 302
    assert auth.login(users["editor"]).status_code == 401


def test_the_sign_in_form_needs_its_csrf_token(csrf_app, users):
    client = csrf_app.test_client()
    response = client.post(
        "/signin", data={"email": users["viewer"], "password": "correct horse battery staple"}
    )
    # Refused and nobody signed in, but the form comes back ready to send, the email kept.
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "The sign-in page had expired" in page
    assert f'value="{users["viewer"]}"' in page
    assert client.get("/plans").status_code == 302
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = client.post(
        "/signin",
        data={"email": users["viewer"], "password": "correct horse battery staple", "csrf_token": token},
    )
    assert signed_in.status_code == 302


def test_security_headers_on_every_response(client, iclei):
    response = client.get("/signin")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    with client.get("/static/css/app.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_the_session_cookie_is_httponly_and_lax(client, users):
    response = client.post(
        "/signin", data={"email": users["viewer"], "password": "correct horse battery staple"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_ending_ones_other_sessions_keeps_this_one(app, users, session, iclei):
    here, there = app.test_client(), app.test_client()
    for client in (here, there):
        client.post("/signin", data={"email": users["viewer"], "password": "correct horse battery staple"})
    wrong = here.post("/account/sessions/end", data={"password": "not my password at all"})
    assert wrong.status_code == 422 and "no session was ended" in wrong.get_data(as_text=True)
    assert there.get(f"/plans/{iclei}").status_code == 200
    ended = here.post("/account/sessions/end", data={"password": "correct horse battery staple"})
    assert ended.status_code == 303
    assert "Your other sessions have ended." in here.get(ended.location).get_data(as_text=True)
    assert here.get(f"/plans/{iclei}").status_code == 200
    assert there.get(f"/plans/{iclei}").status_code == 302
