"""The database: Flask-SQLAlchemy, Alembic through Flask-Migrate, and SQLite's pragmas."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

from tracker.core.extensions import db, migrate
from tracker.core.paths import resource_dir

MIGRATIONS_DIR = str(resource_dir("migrations"))


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Enforce foreign keys, and let readers and a writer work at once (WAL), on SQLite."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 15000")
        cursor.close()


def init_app(app: Flask) -> None:
    """Bind the database and migrations to ``app``."""
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)


def describe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


@contextmanager
def counting_statements(engine):
    """Collect the SQL statements ``engine`` runs inside the block (benchmark and tests)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
