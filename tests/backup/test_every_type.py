"""A table nobody has written yet travels with no change: every column type, SQLite to PostgreSQL."""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import new_database_url
from tracker.assessments.storage import FileStorage
from tracker.backup.dump import write_dump
from tracker.backup.load import load_dump
from tracker.core.db import FixedPoint, UTCDateTime, enum_column


class Kind(enum.StrEnum):
    BASELINE = "baseline"
    ROUND = "reporting round"


def schema() -> tuple[sa.MetaData, sa.Table]:
    """A network of members and reporting rounds with binary snapshots, as another concern might add."""
    metadata = sa.MetaData()
    sa.Table(
        "network",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(20), nullable=False),
    )
    rounds = sa.Table(
        "reporting_round",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("network_id", sa.ForeignKey("network.id"), nullable=False),
        sa.Column("members", sa.BigInteger, nullable=False),
        sa.Column("hours", FixedPoint, nullable=False),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.Column("local_time", sa.DateTime, nullable=True),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("kind", enum_column(Kind, "round_kind"), nullable=False),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("snapshot", sa.LargeBinary, nullable=True),
        sa.Column("answers", sa.JSON, nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
    )
    return metadata, rounds


ROWS = [
    {
        "id": 1,
        "network_id": 7,
        "members": 2**40,
        "hours": Decimal("1234567.25"),
        "closed_at": datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
        "local_time": datetime(2026, 3, 4, 9, 0, 0),
        "due_on": date(2026, 12, 31),
        "kind": Kind.ROUND,
        "open": False,
        "snapshot": bytes(range(256)) * 3,
        "answers": {"naïve": ["ünïcode", 1, 2.5, None, {"nested": True}]},
        "summary": "Line one\nline two — «quoted» 'single' \"double\" \\ $x$ =1+1",
    },
    {
        "id": 5,
        "network_id": 7,
        "members": 0,
        "hours": Decimal("0.01"),
        "closed_at": None,
        "local_time": None,
        "due_on": date(2024, 2, 29),
        "kind": Kind.BASELINE,
        "open": True,
        "snapshot": None,
        "answers": None,
        "summary": "",
    },
]


def without_source(path) -> dict:
    dump = json.loads(path.read_text())
    del dump["header"]["source"]
    return dump


def test_a_new_table_of_every_column_type_goes_from_sqlite_to_postgresql_and_back_unchanged(
    postgres_server, tmp_path, tmp_path_factory
):
    metadata, rounds = schema()
    engines = [
        sa.create_engine(
            new_database_url(backend, postgres_server, tmp_path_factory), poolclass=sa.pool.NullPool
        )
        for backend in ("sqlite", "postgresql")
    ]
    storage = FileStorage(tmp_path / "reports")
    try:
        for engine in engines:
            metadata.create_all(engine)
        with engines[0].begin() as connection:
            connection.execute(metadata.tables["network"].insert(), [{"id": 7, "name": "Network"}])
            connection.execute(rounds.insert(), ROWS)
        first, second = tmp_path / "sqlite.json", tmp_path / "postgresql.json"
        written = write_dump(engines[0], first, storage, metadata)
        assert written.rows == {"network": 1, "reporting_round": 2}
        assert load_dump(engines[1], first, storage, metadata).rows == written.rows
        with engines[1].connect() as connection:
            loaded = [
                dict(row) for row in connection.execute(sa.select(rounds).order_by(rounds.c.id)).mappings()
            ]
        assert loaded == ROWS
        write_dump(engines[1], second, storage, metadata)
        assert without_source(second) == without_source(first)
        # The sequence moved past the loaded ids: a new round gets a fresh one.
        with engines[1].begin() as connection:
            new_id = connection.execute(
                rounds.insert().values({k: v for k, v in ROWS[1].items() if k != "id"}).returning(rounds.c.id)
            ).scalar_one()
        assert new_id == 6
    finally:
        for engine in engines:
            engine.dispose()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("members", "many", "reporting_round id 1: members must be a whole number"),
        ("hours", 1.5, "reporting_round id 1: hours must be a decimal number written as a string"),
        ("hours", "1.255", "hours must be a value this column takes (1.255 has more than two decimals)"),
        ("closed_at", "2026-03-04T05:06:07", "closed_at must be a date and time with its timezone"),
        ("due_on", "31/12/2026", "reporting_round id 1: due_on must be a date (YYYY-MM-DD)"),
        ("kind", "final", "reporting_round id 1: kind must be one of baseline, reporting round"),
        ("open", 1, "reporting_round id 1: open must be true or false"),
        ("snapshot", "not base64!", "reporting_round id 1: snapshot must be bytes in base64"),
        ("summary", None, "reporting_round id 1: summary is empty, and may not be"),
        ("network_id", 8, "reporting_round id 1: network_id 8 names no network"),
    ],
)
def test_a_value_that_does_not_fit_its_column_is_refused_by_table_id_and_column(
    tmp_path, column, value, message
):
    from tracker.backup.dump import BackupError

    metadata, rounds = schema()
    engines = [sa.create_engine(f"sqlite:///{tmp_path}/{name}.sqlite") for name in ("from", "to")]
    storage = FileStorage(tmp_path / "reports")
    try:
        for engine in engines:
            metadata.create_all(engine)
        with engines[0].begin() as connection:
            connection.execute(metadata.tables["network"].insert(), [{"id": 7, "name": "Network"}])
            connection.execute(rounds.insert(), ROWS)
        path = tmp_path / "dump.json"
        write_dump(engines[0], path, storage, metadata)
        dump = json.loads(path.read_text())
        entry = next(table for table in dump["tables"] if table["name"] == "reporting_round")
        entry["rows"][0][entry["columns"].index(column)] = value
        path.write_text(json.dumps(dump))
        with pytest.raises(BackupError) as refused:
            load_dump(engines[1], path, storage, metadata)
        assert message in str(refused.value)
        with engines[1].connect() as connection:
            assert connection.scalar(sa.select(sa.func.count()).select_from(rounds)) == 0
            assert connection.scalar(sa.select(sa.func.count()).select_from(metadata.tables["network"])) == 0
    finally:
        for engine in engines:
            engine.dispose()
