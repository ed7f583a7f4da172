"""``load``: a dump into an empty, migrated database of either kind, whole or not at all.

The file is read as a stream (``ijson``), rows inserted in batches, all in one transaction: a
file that ends early, comes from another schema revision, holds a row that does not fit its
column, repeats an id or names a row that is not there is refused with the table and the id,
and nothing is written (report files written to the reports folder are removed again). Every
check is generic over the schema: keys, foreign keys, required columns and each column's type.

After the rows, each published report's frozen files are checked against the checksums the
report recorded and stored in the configured storage. On PostgreSQL every sequence is moved past
the loaded ids, so new rows get fresh ones.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ijson
import sqlalchemy as sa

from tracker.assessments.models import Assessment
from tracker.assessments.storage import FROZEN_FILES, Damaged, Storage, Written, expected_sha256, sha256
from tracker.backup.dump import (
    BATCH,
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    Summary,
    dumped_tables,
    schema_revision,
)
from tracker.backup.values import BadValue, decoder
from tracker.core.db import Base

REPORTS = Assessment.__table__


class Truncated(BackupError):
    """The file ends before the dump does."""


def _build(events: Iterator, event: str, value):
    """The whole JSON value that starts with ``event`` (a map or an array), from the stream."""
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _prefix, event, value in events:
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return builder.value
    raise Truncated("the file ends in the middle of a value")


def _row(events: Iterator) -> list:
    """A row (an array of values, rarely nested: JSON columns), from the stream."""
    values = []
    for _prefix, event, value in events:
        if event == "end_array":
            return values
        if event in ("start_map", "start_array"):
            values.append(_build(events, event, value))
        else:
            values.append(value)
    raise Truncated("the file ends in the middle of a row")


@dataclass
class _Reference:
    """A foreign key to check: ``column`` of this table must be a loaded ``target`` value."""

    column: str
    table: str
    target: str


@dataclass
class _TableLoad:
    """The table being read: its columns and, by position in a row, what to check; the batch to
    insert and the keys it has seen."""

    table: sa.Table
    columns: list[str]
    decoders: list
    key: list[int]  # positions of the primary key's columns
    required: list[int]  # positions of the columns that may not be empty
    references: list[tuple[int, str, set]]  # position, the table it names, that table's loaded keys
    provides: list[tuple[int, set]]  # position, where other tables look for it
    batch: list[list] = field(default_factory=list)
    keys: set = field(default_factory=set)
    count: int = 0
    processors: list | None = None


class Loader:
    """One load: the connection of its transaction, the storage, and what has been read so far."""

    def __init__(self, connection, storage: Storage, metadata: sa.MetaData):
        self.connection = connection
        self.storage = storage
        self.tables = {table.name: table for table in metadata.sorted_tables}
        self.wanted = {table.name for table in dumped_tables(metadata)}
        self.summary = Summary()
        # Values of every column some foreign key points at, per (table, column), once loaded.
        self.targets: dict[tuple[str, str], set] = {}
        self.references: dict[str, list[_Reference]] = {}
        for table in self.tables.values():
            refs = []
            for key in table.foreign_keys:
                target = (key.column.table.name, key.column.name)
                self.targets.setdefault(target, set())
                refs.append(_Reference(key.parent.name, *target))
            self.references[table.name] = refs
        self.provides = {
            name: [(column, seen) for (target, column), seen in self.targets.items() if target == name]
            for name in self.tables
        }
        self.reports: dict[int, _Report] = {}
        self.restored: set[int] = set()
        self.written = Written()
        self.header: dict | None = None
        self.current: _TableLoad | None = None
        self.done: list[str] = []

    # --- The parts of the file ------------------------------------------------------------------

    def check_empty(self) -> None:
        present = set(sa.inspect(self.connection).get_table_names())
        absent = sorted(set(self.tables) - present)
        if absent:
            raise BackupError(
                f"the database has no tables {', '.join(absent)}: run 'flask --app tracker db upgrade' first"
            )
        filled = [
            name
            for name, table in self.tables.items()
            if self.connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
        ]
        if filled:
            raise BackupError(
                f"the database is not empty ({', '.join(filled)} hold rows): load into an empty "
                "database that 'flask --app tracker db upgrade' has just made"
            )

    def read_header(self, header) -> None:
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise BackupError("this is not a tracker dump (its header is not one)")
        version = header.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise BackupError(
                f"the dump's format {version} is newer than this tracker reads ({FORMAT_VERSION})"
            )
        theirs, ours = header.get("schema_revision"), schema_revision(self.connection)
        if theirs != ours:
            newer = _order(theirs) > _order(ours)
            advice = (
                "upgrade the tracker to a version that knows it, run 'db upgrade', then load"
                if newer
                else "load it with the tracker version that made it, then upgrade the tracker "
                "and run 'db upgrade'"
            )
            raise BackupError(
                f"the dump comes from schema revision {theirs}, "
                f"{'newer' if newer else 'older'} than this database's {ours}: {advice}"
            )
        self.header = header
        self.summary.revision = theirs

    def start_table(self, name, columns) -> None:
        if self.header is None:
            raise BackupError("the dump has no header before its tables")
        if name not in self.wanted:
            raise BackupError(f"table {name!r} of the dump is not a table this schema loads")
        if name in self.done:
            raise BackupError(f"table {name} appears twice in the dump")
        table = self.tables[name]
        known = [column.name for column in table.columns]
        if not isinstance(columns, list) or sorted(map(str, columns)) != sorted(known):
            unknown = sorted(set(map(str, columns or [])) - set(known))
            missing = sorted(set(known) - set(map(str, columns or [])))
            raise BackupError(
                f"{name}: the dump's columns do not match this schema"
                + (f" (not in the schema: {', '.join(unknown)})" if unknown else "")
                + (f" (missing from the dump: {', '.join(missing)})" if missing else "")
            )
        position = {name: index for index, name in enumerate(columns)}
        self.current = _TableLoad(
            table=table,
            columns=columns,
            decoders=[decoder(table.c[column]) for column in columns],
            key=[position[column.name] for column in table.primary_key.columns],
            required=[position[column.name] for column in table.columns if not column.nullable],
            references=[
                (position[ref.column], ref.table, self.targets[(ref.table, ref.target)])
                for ref in self.references[name]
            ],
            provides=[(position[column], seen) for column, seen in self.provides[name]],
        )

    def add_row(self, row) -> None:
        load = self.current
        if load is None or self.header is None:
            raise BackupError("the dump has rows outside a table")
        table = load.table
        if not isinstance(row, list) or len(row) != len(load.columns):
            raise BackupError(f"{table.name} row {load.count + 1}: {len(load.columns)} values expected")
        try:
            values = [
                None if value is None else read(value) for read, value in zip(load.decoders, row, strict=True)
            ]
        except BadValue:
            raise BackupError(self.bad_value(load, row)) from None
        key = values[load.key[0]] if len(load.key) == 1 else tuple(values[index] for index in load.key)
        if key in load.keys:
            raise BackupError(f"{self.describe(load, row)} appears twice in the dump")
        load.keys.add(key)
        for index in load.required:
            if values[index] is None:
                raise BackupError(
                    f"{self.describe(load, row)}: {load.columns[index]} is empty, and may not be"
                )
        for index, target, loaded in load.references:
            value = values[index]
            if value is not None and value not in loaded:
                raise BackupError(
                    f"{self.describe(load, row)}: {load.columns[index]} {value} names no {target} "
                    "in the dump (or one that comes after it)"
                )
        for index, seen in load.provides:
            seen.add(values[index])
        if table is REPORTS:
            report = dict(zip(load.columns, values, strict=True))
            if report["published_at"] is not None:
                self.reports[report["id"]] = _Report(report)
        load.batch.append(values)
        load.count += 1
        if len(load.batch) >= BATCH:
            self.flush_rows()

    def bad_value(self, load: _TableLoad, row: list) -> str:
        """Which value of ``row`` does not fit its column, and what it must be."""
        for name, read, value in zip(load.columns, load.decoders, row, strict=True):
            if value is None:
                continue
            try:
                read(value)
            except BadValue as error:
                return f"{self.describe(load, row)}: {name} must be {error}"
        return f"{self.describe(load, row)}: a value does not fit its column"

    def describe(self, load: _TableLoad, row: list) -> str:
        """The table and the id of a row, as the message names it."""
        ids = [f"{load.columns[index]} {row[index]}" for index in load.key]
        return f"{load.table.name} {', '.join(ids) or f'row {load.count + 1}'}"

    def flush_rows(self) -> None:
        load = self.current
        if not load.batch:
            return
        try:
            if self.connection.dialect.name == "postgresql":
                self.copy_rows(load)
            else:
                rows = [dict(zip(load.columns, values, strict=True)) for values in load.batch]
                self.connection.execute(load.table.insert(), rows)
        except (sa.exc.IntegrityError, self.connection.dialect.dbapi.IntegrityError) as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise BackupError(f"{load.table.name}: the database refused a row ({reason})") from None
        load.batch = []

    def copy_rows(self, load: _TableLoad) -> None:
        """Send a batch to PostgreSQL with COPY, several times faster than INSERTs.

        Each value goes through its column type's own bind processing first (exact decimals to
        hundredths, enums to their values, timestamps to UTC), as an INSERT would; COPY runs on
        the transaction's own connection.
        """
        dialect = self.connection.dialect
        if load.processors is None:
            load.processors = [
                load.table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in load.columns
            ]
        quote = dialect.identifier_preparer
        statement = "COPY {} ({}) FROM STDIN".format(
            quote.format_table(load.table), ", ".join(quote.quote(name) for name in load.columns)
        )
        processed = [(index, process) for index, process in enumerate(load.processors) if process is not None]
        raw = self.connection.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for values in load.batch:
                for index, process in processed:
                    values[index] = process(values[index])
                copy.write_row(values)

    def end_table(self, count) -> None:
        load = self.current
        self.flush_rows()
        if count != load.count:
            raise BackupError(f"{load.table.name}: the dump says {count} rows but holds {load.count}")
        self.summary.rows[load.table.name] = load.count
        self.done.append(load.table.name)
        self.current = None

    def restore_report(self, entry) -> None:
        if not isinstance(entry, dict) or not isinstance(entry.get("files"), dict):
            raise BackupError("a report in the dump has no files")
        report = self.reports.get(entry.get("assessment_id"))
        if report is None:
            raise BackupError(
                f"report {entry.get('assessment_id')} ({entry.get('title')}): no published assessment "
                "of the dump has this id"
            )
        label = f"report {report.id} ({report.title})"
        if report.id in self.restored:
            raise BackupError(f"{label} appears twice in the dump")
        files = {}
        for name in FROZEN_FILES:
            given = entry["files"].get(name)
            if not isinstance(given, dict) or not isinstance(given.get("content"), str):
                raise BackupError(f"{label}: {name} is not in the dump")
            try:
                data = base64.b64decode(given["content"].encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError):
                raise BackupError(f"{label}: {name} is not valid base64") from None
            if sha256(data) != expected_sha256(report, name) or given.get("sha256") != sha256(data):
                raise BackupError(f"{label}: {name} does not match its SHA-256 checksum; nothing was loaded")
            files[name] = data
        try:
            self.storage.put(self.connection, report, files, self.written)
        except Damaged as error:
            raise BackupError(f"{label}: {error}") from None
        except OSError as error:
            raise BackupError(f"{label}: cannot write its files ({error.strerror})") from None
        self.restored.add(report.id)
        self.summary.reports += 1

    def finish(self, trailer) -> None:
        if not isinstance(trailer, dict):
            raise BackupError("the dump's end is not what a dump ends with")
        missing = sorted(set(self.wanted) - set(self.done))
        if missing:
            raise BackupError(f"the dump holds no entry for the tables {', '.join(missing)}")
        if trailer.get("rows") != self.summary.total or trailer.get("report_files") != self.summary.reports:
            raise BackupError("the dump's end does not count what came before it")
        lost = sorted(set(self.reports) - self.restored)
        if lost:
            names = ", ".join(f"report {number} ({self.reports[number].title})" for number in lost)
            raise BackupError(f"the frozen files of {names} are not in the dump")

    def reset_sequences(self) -> None:
        """Move each PostgreSQL sequence past the loaded ids, so new rows get fresh ones."""
        if self.connection.dialect.name != "postgresql":
            return  # SQLite gives max(id) + 1 by itself
        for table in self.tables.values():
            for column in table.primary_key.columns:
                if not isinstance(column.type, sa.Integer):
                    continue
                name = self.connection.dialect.identifier_preparer.format_table(table)
                sequence = self.connection.scalar(
                    sa.select(sa.func.pg_get_serial_sequence(name, column.name))
                )
                if sequence is None:
                    continue
                highest = self.connection.scalar(sa.select(sa.func.max(column)))
                self.connection.execute(
                    sa.select(sa.func.setval(sequence, highest or 1, highest is not None))
                )


class _Report:
    """What the report files are checked against: a published assessment's recorded checksums."""

    def __init__(self, values: dict):
        self.id = values["id"]
        self.title = values["title"]
        self.report_dir = values["report_dir"]
        self.figures_sha256 = values["figures_sha256"]
        self.workbook_sha256 = values["workbook_sha256"]


def _order(revision) -> tuple:
    """Revisions are numbered ("0012"); an unreadable one sorts first."""
    return (1, int(revision)) if isinstance(revision, str) and revision.isdigit() else (0, 0)


def _read(loader: Loader, stream) -> None:
    events = iter(ijson.parse(stream, use_float=True))  # JSON columns keep their floats
    ended = False
    name = columns = None
    for prefix, event, value in events:
        if ended and (prefix, event) != ("", "end_map"):
            raise BackupError("the file goes on after the dump's end")
        if prefix == "header" and event == "start_map":
            loader.read_header(_build(events, event, value))
        elif prefix == "tables.item" and event == "start_map":
            name, columns = None, None
        elif prefix == "tables.item.name" and event == "string":
            name = value
        elif prefix == "tables.item.columns" and event == "start_array":
            columns = _build(events, event, value)
        elif prefix == "tables.item.rows" and event == "start_array":
            loader.start_table(name, columns)
        elif prefix == "tables.item.rows.item":
            if event == "start_array":
                loader.add_row(_row(events))
            else:
                loader.add_row(_build(events, event, value) if event == "start_map" else value)
        elif prefix == "tables.item.count" and event == "number":
            loader.end_table(value)
        elif prefix == "tables.item" and event == "end_map" and loader.current is not None:
            raise BackupError(f"{loader.current.table.name}: the table's row count is missing")
        elif prefix == "report_files.item" and event == "start_map":
            loader.restore_report(_build(events, event, value))
        elif prefix == "end" and event == "start_map":
            loader.finish(_build(events, event, value))
            ended = True
    if loader.header is None:
        raise BackupError("this is not a tracker dump (it has no header)")
    if not ended:
        raise Truncated("the file ends before the dump does (is it truncated?)")


def load_dump(
    engine: sa.Engine, path: Path, storage: Storage, metadata: sa.MetaData = Base.metadata
) -> Summary:
    """Load the dump at ``path`` into the empty database behind ``engine``; all or nothing.
    ``metadata`` is the schema's (tests pass one of their own)."""
    started = time.perf_counter()
    loader = None
    try:
        with engine.begin() as connection, open(path, "rb") as stream:
            loader = Loader(connection, storage, metadata)
            loader.check_empty()
            _read(loader, stream)
            loader.reset_sequences()
    except BaseException as error:
        if loader is not None:
            storage.undo(loader.written)
        if isinstance(error, ijson.JSONError):
            raise BackupError(
                f"the file is not a whole JSON dump ({str(error).strip().splitlines()[0]}; is it truncated?)"
            ) from None
        raise
    summary = loader.summary
    summary.seconds = time.perf_counter() - started
    return summary
