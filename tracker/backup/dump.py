"""``dump``: every record of every table, and the published reports' frozen files, in one JSON file.

The file is one JSON object, written in this order so that ``load`` can read it as a stream:

- ``header``: the format and its version, the schema revision of the database it came from,
  where and when it was made, and the tables it holds;
- ``tables``: one entry per table of ``Base.metadata.sorted_tables`` (parents before children),
  with its column names and its rows as arrays, in primary-key order;
- ``report_files``: each published report's frozen files, their bytes in base64 and their
  SHA-256, read from whichever storage holds them;
- ``end``: how many rows and reports came before it. A file without it is not whole.

Rows are read ``yield_per`` (a server-side cursor on PostgreSQL) and written as they come, in
one read transaction, so memory stays bounded and the file is one moment's state.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from tracker.assessments.models import Assessment
from tracker.assessments.storage import FROZEN_FILES, Damaged, Storage, read_frozen, sha256
from tracker.backup.values import encode
from tracker.core.database import MIGRATIONS_DIR
from tracker.core.db import Base

FORMAT = "gender-action-plan-tracker dump"
FORMAT_VERSION = 1
BATCH = 2000


class BackupError(Exception):
    """A dump or a load that cannot go on; the message names the problem."""


def dumped_tables(metadata: sa.MetaData = Base.metadata) -> list[sa.Table]:
    """Every table, parents first; a table whose rows travel otherwise (``info["backup"]``) is left
    out (the report files' bytes travel in ``report_files``, whatever the storage)."""
    return [table for table in metadata.sorted_tables if not table.info.get("backup")]


def head_revision() -> str:
    """The newest migration this code knows."""
    return ScriptDirectory(MIGRATIONS_DIR).get_current_head()


def schema_revision(connection) -> str:
    """The Alembic revision of the database; one built from the models (tests, the benchmark)
    has no ``alembic_version`` and is at the head."""
    if sa.inspect(connection).has_table("alembic_version"):
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        if revision:
            return revision
    return head_revision()


@dataclass
class Summary:
    """What a dump wrote or a load read: rows per table, reports, seconds."""

    rows: dict[str, int] = field(default_factory=dict)
    reports: int = 0
    seconds: float = 0.0
    size: int = 0
    revision: str = ""

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _snapshot(connection) -> None:
    """Make every read of the dump see one moment of the database."""
    if connection.dialect.name == "sqlite":
        # pysqlite opens a transaction only before a write; without one each SELECT is its own
        # snapshot, and a row added between two tables could name one the dump missed.
        connection.exec_driver_sql("BEGIN")


def write_dump(
    engine: sa.Engine, path: Path, storage: Storage, metadata: sa.MetaData = Base.metadata
) -> Summary:
    """Write the whole database and the published reports' files to ``path`` (replaced whole, or
    left as it was when anything fails). ``metadata`` is the schema's (tests pass one of their own)."""
    started = time.perf_counter()
    summary = Summary()
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
            with engine.connect().execution_options(**options) as connection:
                _snapshot(connection)
                try:
                    _write(connection, out, storage, summary, metadata)
                finally:
                    connection.rollback()
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    summary.size = path.stat().st_size
    summary.seconds = time.perf_counter() - started
    return summary


def _write(connection, out, storage: Storage, summary: Summary, metadata: sa.MetaData) -> None:
    tables = dumped_tables(metadata)
    summary.revision = schema_revision(connection)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": summary.revision,
        "source": {
            "database": connection.dialect.name,
            "dumped_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "tables": [table.name for table in tables],
    }
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    out.write('{"header":' + json.dumps(header, **compact) + ',\n"tables":[')
    for position, table in enumerate(tables):
        columns = [column.name for column in table.columns]
        out.write(
            ("," if position else "")
            + '\n{"name":'
            + json.dumps(table.name)
            + ',"columns":'
            + json.dumps(columns)
            + ',"rows":['
        )
        count = 0
        query = sa.select(table).order_by(*(table.primary_key.columns or table.columns))
        result = connection.execution_options(yield_per=BATCH).execute(query)
        for rows in result.partitions():
            lines = [json.dumps([encode(value) for value in row], **compact) for row in rows]
            out.write(("," if count else "") + "\n" + ",\n".join(lines))
            count += len(lines)
        out.write('\n],"count":' + str(count) + "}")
        summary.rows[table.name] = count
    out.write('\n],\n"report_files":[')
    table = Assessment.__table__
    reports = (
        connection.execute(
            sa.select(table).where(table.c.published_at.is_not(None)).order_by(table.c.id)
        ).all()
        if metadata.tables.get(table.name) is table
        else []
    )
    for position, report in enumerate(reports):
        files = {}
        for name in FROZEN_FILES:
            try:
                data = read_frozen(storage, connection, report, name)
            except Damaged as error:
                raise BackupError(
                    f"report {report.id} ({report.title}): {error}; nothing was written"
                ) from None
            files[name] = {"sha256": sha256(data), "content": base64.b64encode(data).decode("ascii")}
        entry = {"assessment_id": report.id, "title": report.title, "files": files}
        out.write(("," if position else "") + "\n" + json.dumps(entry, **compact))
        summary.reports += 1
    trailer = {"tables": len(tables), "rows": summary.total, "report_files": summary.reports}
    out.write('\n],\n"end":' + json.dumps(trailer) + "}\n")
