"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``TEST_POSTGRES_URL`` (default: the local server, database ``test``). Each
run creates a database of its own beside it and drops it at the end. When PostgreSQL cannot be
reached its tests are skipped, except with ``TRACKER_REQUIRE_POSTGRES=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from tracker import create_app
from tracker.accounts.models import Organisation, Region
from tracker.accounts.services import create_user
from tracker.cli.seeding import load_plan
from tracker.core.catalogues import compile_catalogues
from tracker.core.extensions import db
from tracker.core.permissions import ORGANISATION_ROLES, Role
from tracker.schema import Base

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery staple"
BACKENDS = ["sqlite", "postgresql"]


# The pages are read in the catalogues' languages: compile the .po files the checkout holds.
compile_catalogues()


def pytest_collection_modifyitems(config, items):
    """Deselect (never skip) the runs of a ``@pytest.mark.backend(name)`` test on the other
    database: a PostgreSQL-only race has no SQLite run to report."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("backend")
        params = getattr(getattr(item, "callspec", None), "params", {})
        backend = params.get("database_url")
        (dropped if marker and backend and backend != marker.args[0] else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def postgres_required() -> bool:
    return os.environ.get("TRACKER_REQUIRE_POSTGRES", "").lower() in {"1", "true", "yes"}


class PostgresServer:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self, url: str):
        self.url = sa.engine.make_url(url)
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.created: list[str] = []
        self.error: str | None = None
        try:
            with self.admin.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as error:
            self.error = str(error.orig).strip().splitlines()[0]

    def new_database(self) -> str:
        name = f"tracker_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    yield server
    if server.error is None:
        server.drop_all()


def new_database_url(backend: str, postgres_server: PostgresServer, tmp_path_factory) -> str:
    """A fresh, empty database of ``backend``."""
    if backend == "postgresql":
        if postgres_server.error is not None:
            message = f"PostgreSQL is not reachable ({postgres_server.error})"
            if postgres_required():
                pytest.fail(f"{message}, and TRACKER_REQUIRE_POSTGRES is set", pytrace=False)
            pytest.skip(f"{message}; set TEST_POSTGRES_URL to run these tests on PostgreSQL")
        return postgres_server.new_database()
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "tracker.sqlite")


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, postgres_server, tmp_path_factory) -> str:
    """One database per backend for the whole run, its schema created from the models."""
    url = new_database_url(request.param, postgres_server, tmp_path_factory)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hashed once per run: scrypt is slow on purpose."""
    return generate_password_hash(PASSWORD)


# The key that seals authenticator secrets in the tests' databases.
TOTP_KEY = "2ckg8Hnx7CqR0uJHQwXJ1bgVmVd0fXWcVH0_0OZpZ7s="


def make_app(database_url: str, tmp_path: Path, **config):
    environ = {
        "TRACKER_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "REPORTS_DIR": str(tmp_path / "reports"),
        "TOTP_KEYS": TOTP_KEY,
    }
    defaults = {"WTF_CSRF_ENABLED": False, "TODAY": "2026-11-23", "CACHE_DIR": str(tmp_path / "cache")}
    return create_app({**defaults, **config}, environ=environ)


def clear_database(app) -> None:
    """Empty every table, children first, so that the next test starts from nothing."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    """The app on a clean database of each backend; ``TODAY`` is fixed at 2026-11-23."""
    app = make_app(database_url, tmp_path)
    yield app
    clear_database(app)


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """The app with CSRF protection on, as in production."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    yield app
    clear_database(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app, database_url):
    """A database session of the test's own, like a second process: no app context is pushed.

    Requests made by the test client therefore start as fresh as in production, with nothing
    cached from the test's own reads and writes.
    """
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with Session(engine, expire_on_commit=True) as session:
        yield session
    engine.dispose()


@pytest.fixture
def app_engine(app):
    """The engine the app's requests use (to count their statements)."""
    with app.app_context():
        return db.engine


@pytest.fixture
def iclei(app):
    """The seeded ICLEI plan's id."""
    with app.app_context():
        plan = load_plan(db.session).plan
        db.session.commit()
        return plan.id


@pytest.fixture
def users(app, iclei, password_hash):
    """An admin, an editor and a viewer of ICLEI, and an admin of another organisation."""
    with app.app_context():
        iclei_org = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "ICLEI European Secretariat")
        )
        other = Organisation(name="Ciudad de Guatemala", country="Guatemala", region=Region.LATIN_AMERICA)
        db.session.add(other)
        emails = {}
        for role in ORGANISATION_ROLES:
            email = f"{role.value}@iclei.test"
            create_user(
                db.session,
                email=email,
                name=f"{role.value.title()} Person",
                role=role,
                password="",
                organisation=iclei_org,
                password_hash=password_hash,
            )
            emails[role.value] = email
        create_user(
            db.session,
            email="admin@guatemala.test",
            name="Other Admin",
            role=Role.ADMIN,
            password="",
            organisation=other,
            password_hash=password_hash,
        )
        emails["other_admin"] = "admin@guatemala.test"
        db.session.commit()
        return emails


class AuthActions:
    """Sign in and out through the real sign-in page."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD):
        return self._client.post("/signin", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/signout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
