"""Configuration from the environment."""

import pytest

from tracker import create_app
from tracker.core.config import load_config


def test_production_needs_a_secret_key(tmp_path):
    with pytest.raises(SystemExit) as error:
        create_app(environ={"TRACKER_ENV": "production"})
    assert str(error.value).startswith("Error: SECRET_KEY is not set")


def test_development_gets_a_random_key_and_a_sqlite_file_in_the_instance_folder(tmp_path):
    config = load_config(str(tmp_path / "instance"), {"TRACKER_ENV": "development"})
    other = load_config(str(tmp_path / "instance"), {"TRACKER_ENV": "development"})
    assert len(config["SECRET_KEY"]) == 64 and config["SECRET_KEY"] != other["SECRET_KEY"]
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "instance" / "tracker.sqlite")
    assert config["REPORTS_DIR"] == str(tmp_path / "reports")


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
    ],
)
def test_database_urls_use_psycopg_3(tmp_path, given, used):
    config = load_config(
        str(tmp_path), {"TRACKER_ENV": "production", "SECRET_KEY": "k", "DATABASE_URL": given}
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == used


def test_an_unknown_environment_name_is_refused(tmp_path):
    with pytest.raises(SystemExit) as error:
        create_app(environ={"TRACKER_ENV": "staging", "SECRET_KEY": "k"})
    assert "TRACKER_ENV must be production, development or testing" in str(error.value)


def test_sqlite_enforces_foreign_keys_and_uses_wal(app):
    from tracker.core.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            assert db.engine.dialect.driver == "psycopg"
            return
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_two_step_sign_in_is_required_in_production_unless_turned_off(tmp_path):
    production = {"TRACKER_ENV": "production", "SECRET_KEY": "k"}
    assert load_config(str(tmp_path), production)["MFA_REQUIRED"] is True
    assert load_config(str(tmp_path), {**production, "MFA_REQUIRED": "0"})["MFA_REQUIRED"] is False
    assert load_config(str(tmp_path), {"TRACKER_ENV": "development"})["MFA_REQUIRED"] is False
    assert load_config(str(tmp_path), production)["REAUTH_MINUTES"] == 15


def test_over_https_the_session_cookie_takes_the_host_prefix(tmp_path):
    plain = load_config(str(tmp_path), {"TRACKER_ENV": "production", "SECRET_KEY": "k"})
    secure = load_config(
        str(tmp_path), {"TRACKER_ENV": "production", "SECRET_KEY": "k", "SESSION_COOKIE_SECURE": "1"}
    )
    assert (plain["SESSION_COOKIE_NAME"], secure["SESSION_COOKIE_NAME"]) == ("session", "__Host-session")
    assert secure["SESSION_COOKIE_SECURE"] is True


def test_authenticator_secrets_are_sealed_with_a_key_kept_beside_the_app_or_given(tmp_path):
    instance = tmp_path / "instance"
    first = load_config(str(instance), {"TRACKER_ENV": "development"})["TOTP_KEYS"]
    again = load_config(str(instance), {"TRACKER_ENV": "development"})["TOTP_KEYS"]
    key_file = instance / "totp.key"
    # Made once, readable by the app's user only, and the same at every start.
    assert first == again and len(first) == 1 and key_file.stat().st_mode & 0o777 == 0o600
    given = "2ckg8Hnx7CqR0uJHQwXJ1bgVmVd0fXWcVH0_0OZpZ7s="
    env = {"TRACKER_ENV": "development", "TOTP_KEYS": f" {given} , {first[0]}"}
    assert load_config(str(instance), env)["TOTP_KEYS"] == [given, first[0]]


def test_a_bad_totp_key_stops_the_start_with_its_name(tmp_path):
    with pytest.raises(SystemExit) as error:
        create_app(environ={"TRACKER_ENV": "development", "TOTP_KEYS": "not-a-key"})
    assert str(error.value).startswith("Error: TOTP_KEYS: key 1 is not a Fernet key")
