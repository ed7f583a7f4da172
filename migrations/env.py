"""Alembic environment: the tracker's metadata, the app's database URL, batch mode for SQLite.

A connection handed in through ``config.attributes["connection"]`` (pytest-alembic) is used as
it is; otherwise the app's engine is, and an unreachable database is one clear line.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import TypeDecorator

from tracker.schema import metadata

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

target_metadata = metadata


# Batch mode lets SQLite alter tables by copying them; the naming convention keeps their
# constraints' names the same as on PostgreSQL.
def render_item(type_, obj, autogen_context):
    """Write the tracker's column types as the plain SQL types they store, so that revisions
    never import application code that may change after them."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


CONFIGURE_ARGS = {"render_as_batch": True, "compare_type": True, "render_item": render_item}


def process_revision_directives(context_, revision, directives):
    """Write no empty revision when autogenerate finds nothing to do."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline():
    """Emit SQL for the app's database URL without connecting."""
    url = current_app.extensions["migrate"].db.engine.url
    context.configure(
        url=url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        **CONFIGURE_ARGS,
    )
    with context.begin_transaction():
        context.run_migrations()


def run(connection):
    """Run the migrations on ``connection``."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        process_revision_directives=process_revision_directives,
        **CONFIGURE_ARGS,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Connect and migrate."""
    given = config.attributes.get("connection")
    if isinstance(given, Engine):
        with given.begin() as connection:
            run(connection)
        return
    if given is not None:
        run(given)
        return
    engine = current_app.extensions["migrate"].db.engine
    try:
        connection = engine.connect()
    except OperationalError as error:
        # One clear line for the person at the terminal, not a traceback.
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        url = engine.url.render_as_string(hide_password=True)
        raise SystemExit(f"Error: cannot reach the database {url}: {reason}") from None
    with connection:
        run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
