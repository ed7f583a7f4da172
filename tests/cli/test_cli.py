"""The user and token commands, and a database that cannot be reached."""

import os
import subprocess
import sys

import sqlalchemy as sa

from tests.conftest import make_app
from tracker.accounts.models import ApiToken, User

GOOD_PASSWORD = "a long enough password"


def test_user_create_takes_the_password_from_the_environment(runner, session, iclei, client, monkeypatch):
    monkeypatch.setenv("TRACKER_PASSWORD", GOOD_PASSWORD)
    result = runner.invoke(
        args=["user", "create", "Maria@Example.org", "--name", "Maria Lopez", "--role", "editor"]
    )
    assert result.exit_code == 0, result.output
    assert "Created editor maria@example.org in ICLEI European Secretariat" in result.output
    user = session.scalar(sa.select(User).where(User.email == "maria@example.org"))
    assert user.role.value == "editor" and GOOD_PASSWORD not in user.password_hash
    assert (
        client.post("/signin", data={"email": "maria@example.org", "password": GOOD_PASSWORD}).status_code
        == 302
    )


def test_user_create_prompts_for_the_password(runner, session, iclei, monkeypatch):
    monkeypatch.delenv("TRACKER_PASSWORD", raising=False)
    result = runner.invoke(
        args=["user", "create", "ana@example.org", "--name", "Ana", "--role", "viewer"],
        input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(sa.select(User).where(User.email == "ana@example.org")) is not None


def test_user_create_refuses_bad_input_and_writes_nothing(runner, session, iclei, users, monkeypatch):
    monkeypatch.setenv("TRACKER_PASSWORD", "short")
    result = runner.invoke(
        args=[
            "user",
            "create",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "viewer",
            "--organisation",
            "ICLEI European Secretariat",
        ]
    )
    assert result.exit_code == 1 and "password: must be at least 12 characters" in result.output
    monkeypatch.setenv("TRACKER_PASSWORD", GOOD_PASSWORD)
    # Two organisations now: one must be named.
    result = runner.invoke(args=["user", "create", "x@example.org", "--name", "X", "--role", "viewer"])
    assert result.exit_code == 1 and "organisation:" in result.output
    result = runner.invoke(
        args=[
            "user",
            "create",
            users["editor"],
            "--name",
            "Dup",
            "--role",
            "viewer",
            "--organisation",
            "ICLEI European Secretariat",
        ]
    )
    assert result.exit_code == 1 and "already has an account" in result.output
    result = runner.invoke(args=["user", "create", "x@example.org", "--name", "X", "--role", "boss"])
    assert result.exit_code == 2 and "'boss' is not one of" in result.output
    assert session.scalar(sa.select(User).where(User.email == "x@example.org")) is None


def test_token_create_prints_a_working_token_last(runner, session, users, client):
    result = runner.invoke(args=["token", "create", users["viewer"]])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    [row] = session.scalars(sa.select(ApiToken)).all()
    assert token not in row.token_hash and len(row.token_hash) == 64
    response = client.get("/api/v1/plans", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json[0]["title"] == "Gender Mainstreaming Action Plan 2023-2026"


def test_token_create_for_an_unknown_email(runner, users):
    result = runner.invoke(args=["token", "create", "nobody@example.org"])
    assert result.exit_code == 1 and "no user has the email nobody@example.org" in result.output


def test_an_unreachable_database_is_one_clear_line(tmp_path):
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", tmp_path)
    result = app.test_cli_runner().invoke(args=["seed", "iclei"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "Error: cannot use the database postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    )


def run_flask(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "tracker", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
    )


def test_db_upgrade_against_an_unreachable_database_is_one_clear_line():
    result = run_flask(
        "db", "upgrade", TRACKER_ENV="development", DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere"
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("Error: cannot reach the database postgresql+psycopg://")
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_flask("routes", TRACKER_ENV="production", SECRET_KEY=None)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_the_web_app_answers_503_when_the_database_is_unreachable(tmp_path):
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", tmp_path)
    client = app.test_client()
    page = client.post("/signin", data={"email": "a@b.org", "password": "whatever password"})
    assert page.status_code == 503 and "Retry-After" in page.headers
    assert b"The database cannot be reached just now." in page.data
    api = client.get("/api/v1/plans", headers={"Authorization": "Bearer gap_x"})
    assert api.status_code == 503 and api.json["error"] == "Database unavailable"
    assert api.headers["Retry-After"] == "2"
