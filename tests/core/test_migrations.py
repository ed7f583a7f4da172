"""The migrations, on SQLite and PostgreSQL: pytest-alembic's built-in tests, plus our own.

Built in: one head; upgrade from empty to head; every revision down and up again; and the
models match the schema the migrations build (autogenerate finds nothing to do).
"""

from datetime import UTC, datetime
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


def test_status_changes_take_effect_the_day_they_were_recorded_after_0008(alembic_runner, alembic_engine):
    """0008 backfills ``effective_on`` from ``at`` (its UTC day), so that no report changes."""
    alembic_runner.migrate_up_to("0007")
    created = datetime(2024, 1, 1, tzinfo=UTC)
    with alembic_engine.begin() as connection:
        # The rows a status change hangs from, as they were at 0007.
        for statement in (
            "INSERT INTO organisation (id, name, country, region, version, created_at)"
            " VALUES (1, 'LGA', 'Chile', 'Latin America', 1, :created)",
            "INSERT INTO plan (id, uid, organisation_id, title, start_year, end_year, version, created_at)"
            " VALUES (1, 'u-1', 1, 'Plan', 2023, 2026, 1, :created)",
            "INSERT INTO pillar (id, plan_id, position, name, version, created_at)"
            " VALUES (1, 1, 1, 'Pillar', 1, :created)",
            "INSERT INTO action (id, plan_id, pillar_id, position, code, title, description, objectives,"
            " status, start_year, cadence, timeline_text, resources_text, responsible, version, created_at)"
            " VALUES (1, 1, 1, 1, '1.1', 'Action', '', '', 'completed', 2023, 'once', '', '', '', 1, :created)",
        ):
            connection.execute(sa.text(statement), {"created": created})
        connection.execute(
            sa.text(
                "INSERT INTO status_change (id, action_id, at, to_status, note)"
                " VALUES (1, 1, :late, 'ongoing', ''), (2, 1, :early, 'completed', '')"
            ),
            {
                "late": datetime(2024, 3, 1, 23, 30, tzinfo=UTC),
                "early": datetime(2025, 7, 1, 0, 5, tzinfo=UTC),
            },
        )
    alembic_runner.migrate_up_one()
    with alembic_engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, effective_on FROM status_change ORDER BY id")).all()
    assert [(row.id, str(row.effective_on)) for row in rows] == [(1, "2024-03-01"), (2, "2025-07-01")]
    with alembic_engine.begin() as connection:
        for table in ("status_change", "action", "pillar", "plan", "organisation"):
            connection.execute(sa.text(f"DELETE FROM {table}"))


def test_each_plans_data_version_starts_from_its_history_after_0010(alembic_runner, alembic_engine):
    """0010 backfills ``plan.data_version`` with the plan's number of history rows: never 0 for a
    plan with records, so no figure cached before is taken for the new version's."""
    alembic_runner.migrate_up_to("0009")
    created = datetime(2024, 1, 1, tzinfo=UTC)
    with alembic_engine.begin() as connection:
        for statement in (
            "INSERT INTO organisation (id, name, country, region, version, created_at)"
            " VALUES (1, 'LGA', 'Chile', 'Latin America', 1, :created)",
            "INSERT INTO plan (id, uid, organisation_id, title, start_year, end_year, version, created_at)"
            " VALUES (1, 'u-1', 1, 'Plan', 2023, 2026, 1, :created),"
            " (2, 'u-2', 1, 'Quiet', 2023, 2026, 1, :created)",
            "INSERT INTO history_entry (id, at, organisation_id, plan_id, entity, entity_id, kind, note)"
            " VALUES (1, :created, 1, 1, 'plan', 1, 'created', ''),"
            " (2, :created, 1, 1, 'plan', 1, 'updated', ''), (3, :created, 1, NULL, 'organisation', 1, 'created', '')",
        ):
            connection.execute(sa.text(statement), {"created": created})
    alembic_runner.migrate_up_one()
    with alembic_engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, data_version FROM plan ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, 2), (2, 0)]
    with alembic_engine.begin() as connection:
        for table in ("history_entry", "plan", "organisation"):
            connection.execute(sa.text(f"DELETE FROM {table}"))
