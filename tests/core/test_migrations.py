"""The migrations, on SQLite and PostgreSQL: pytest-alembic's built-in tests, plus our own.

Built in: one head; upgrade from empty to head; every revision down and up again; and the
models match the schema the migrations build (autogenerate finds nothing to do).
"""

from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_alembic import Config
from pytest_alembic.tests import (  # noqa: F401 - collected here as tests
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

from tests.conftest import BACKENDS, new_database_url

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@pytest.fixture
def alembic_config():
    return Config(config_options={"script_location": str(MIGRATIONS)})


@pytest.fixture(params=BACKENDS)
def alembic_engine(request, postgres_server, tmp_path_factory):
    """An empty database of each backend."""
    engine = sa.create_engine(
        new_database_url(request.param, postgres_server, tmp_path_factory),
        poolclass=sa.pool.NullPool,
    )
    yield engine
    engine.dispose()


def test_every_revision_says_why():
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text()
        assert source.startswith('"""'), f"{path.name} opens without a docstring"
        assert "Why:" in source.split('"""')[1], f"{path.name}'s docstring does not say why"


def test_downgrade_returns_to_an_empty_database(alembic_runner, alembic_engine):
    alembic_runner.migrate_up_to("heads")
    assert "action" in sa.inspect(alembic_engine).get_table_names()
    alembic_runner.migrate_down_to("base")
    assert sa.inspect(alembic_engine).get_table_names() == ["alembic_version"]
