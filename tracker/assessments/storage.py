"""Where a published report's frozen files live: under ``REPORTS_DIR``, or in the database.

``REPORT_STORAGE`` chooses. ``files`` (the default) writes ``report.json``, ``report.xlsx`` and
``SHA256SUMS`` once, read-only, under ``REPORTS_DIR``: right for one server. ``database`` keeps
the bytes in the ``report_file`` table, written in the transaction that publishes the report, so
that every server sharing the database sees a report published whole or not at all.

Either way a frozen file is read through :func:`read_frozen`, which checks it against the
SHA-256 recorded on the assessment when it was published: a missing or changed file is
:class:`Damaged`, never served.

A storage takes anything that executes statements (a ``Session`` or a ``Connection``), so that
publishing, ``load`` and ``reports move`` share it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tracker.assessments.models import Assessment, ReportFile

FIGURES_FILE = "report.json"
WORKBOOK_FILE = "report.xlsx"
SUMS_FILE = "SHA256SUMS"
# The files whose checksums the assessment records; SHA256SUMS is made from those checksums.
FROZEN_FILES = (FIGURES_FILE, WORKBOOK_FILE)
STORAGES = ("files", "database")


class Damaged(Exception):
    """A frozen file is missing or no longer matches its checksum."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_sha256(assessment, name: str) -> str:
    """The checksum recorded for ``name`` when ``assessment`` was published."""
    return {FIGURES_FILE: assessment.figures_sha256, WORKBOOK_FILE: assessment.workbook_sha256}[name]


def sums_listing(checksums: Mapping[str, str]) -> bytes:
    """The ``SHA256SUMS`` file of a report (``sha256sum -c`` reads it)."""
    return "".join(f"{checksums[name]}  {name}\n" for name in FROZEN_FILES).encode()


def _write_once(path: Path, data: bytes) -> None:
    """Write a new file atomically and read-only; an existing file is never overwritten."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, path)  # fails if the file exists: frozen means frozen
    finally:
        os.unlink(temporary)
    path.chmod(0o444)


@dataclass
class Written:
    """What one :meth:`put` created, so that a failed transaction can take it back."""

    paths: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)


class FileStorage:
    """Frozen files under ``root`` (``REPORTS_DIR``), one folder per report, read-only."""

    name = "files"

    def __init__(self, root: Path):
        self.root = Path(root)

    def where(self) -> str:
        return "the reports folder"

    def get(self, executor, assessment, name: str) -> bytes | None:
        try:
            return (self.root / assessment.report_dir / name).read_bytes()
        except OSError:
            return None

    def put(
        self, executor, assessment, files: Mapping[str, bytes], written: Written | None = None
    ) -> Written:
        """Write ``files`` (and ``SHA256SUMS``) of ``assessment`` once.

        A file already there with the same bytes is kept (a folder restored twice); one with
        other bytes is :class:`Damaged`, since frozen files are never overwritten.
        """
        written = written if written is not None else Written()
        folder = self.root / assessment.report_dir
        missing = [part for part in (folder, *folder.parents) if not part.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        written.folders.extend(sorted(missing, key=lambda path: len(path.parts), reverse=True))
        listing = sums_listing({name: sha256(files[name]) for name in FROZEN_FILES})
        for name, data in (*files.items(), (SUMS_FILE, listing)):
            path = folder / name
            if path.exists():
                if path.read_bytes() != data:
                    raise Damaged(
                        f"{name} of {assessment.title} is already in {self.where()} with other bytes"
                    )
                continue
            _write_once(path, data)
            written.paths.append(path)
        return written

    def undo(self, written: Written) -> None:
        """Remove what :meth:`put` wrote (files read-only, folders it made)."""
        for path in written.paths:
            path.unlink(missing_ok=True)
        for folder in written.folders:
            with contextlib.suppress(OSError):  # not empty: something else lives there too
                folder.rmdir()


class DatabaseStorage:
    """Frozen files as rows of ``report_file``, in the transaction of whoever writes them."""

    name = "database"
    table = ReportFile.__table__

    def where(self) -> str:
        return "the database"

    def get(self, executor, assessment, name: str) -> bytes | None:
        return executor.scalar(
            sa.select(self.table.c.content).where(
                self.table.c.assessment_id == assessment.id, self.table.c.name == name
            )
        )

    def put(
        self, executor, assessment, files: Mapping[str, bytes], written: Written | None = None
    ) -> Written:
        """Insert the rows of ``files``; one already there must hold the same bytes."""
        for name, data in files.items():
            present = self.get(executor, assessment, name)
            if present is not None:
                if present != data:
                    raise Damaged(
                        f"{name} of {assessment.title} is already in {self.where()} with other bytes"
                    )
                continue
            executor.execute(
                sa.insert(self.table).values(assessment_id=assessment.id, name=name, content=data)
            )
        return written if written is not None else Written()

    def undo(self, written: Written) -> None:
        """Nothing to do: the rows go with the transaction's rollback."""


Storage = FileStorage | DatabaseStorage


def storage_from(config: Mapping) -> Storage:
    """The storage ``REPORT_STORAGE`` names, with ``REPORTS_DIR`` for files."""
    kind = config.get("REPORT_STORAGE", "files")
    if kind == "database":
        return DatabaseStorage()
    if kind == "files":
        return FileStorage(Path(config["REPORTS_DIR"]))
    raise ValueError(f"REPORT_STORAGE must be one of {', '.join(STORAGES)}, not {kind!r}")


def read_frozen(storage: Storage, executor, assessment, name: str) -> bytes:
    """A published report's file, checked against the checksum recorded at publishing."""
    data = storage.get(executor, assessment, name)
    if data is None:
        raise Damaged(f"{name} of {assessment.title} is missing from {storage.where()}")
    if sha256(data) != expected_sha256(assessment, name):
        raise Damaged(f"{name} of {assessment.title} does not match its SHA-256 checksum")
    return data


def holds(storage: Storage, executor, assessment) -> bool:
    """Whether ``storage`` has every frozen file of ``assessment``, intact."""
    try:
        for name in FROZEN_FILES:
            read_frozen(storage, executor, assessment, name)
    except Damaged:
        return False
    return True


def published(executor) -> list[Assessment]:
    """Every published assessment, oldest first (as ORM rows when given a session)."""
    return list(
        executor.scalars(
            sa.select(Assessment).where(Assessment.published_at.is_not(None)).order_by(Assessment.id)
        )
    )


@dataclass
class Moved:
    """What :func:`move_reports` did: reports copied, reports already there, problems."""

    moved: list[str] = field(default_factory=list)
    present: int = 0
    problems: list[str] = field(default_factory=list)
    written: Written = field(default_factory=Written)


def move_reports(session, source: Storage, target: Storage) -> Moved:
    """Copy every published report's frozen files from ``source`` to ``target``, verified.

    A report the target already holds intact is left alone, so a second run copies nothing.
    A file that is missing or damaged in the source is a problem, named; the caller then takes
    everything back (``target.undo(result.written)`` and a rollback). The copies in ``source``
    stay: remove them once the new storage is in use.
    """
    result = Moved()
    for assessment in published(session):
        label = f"report {assessment.id} ({assessment.title})"
        if holds(target, session, assessment):
            result.present += 1
            continue
        try:
            files = {name: read_frozen(source, session, assessment, name) for name in FROZEN_FILES}
            target.put(session, assessment, files, result.written)
            for name in FROZEN_FILES:
                read_frozen(target, session, assessment, name)
        except Damaged as error:
            result.problems.append(f"{label}: {error}")
            continue
        result.moved.append(label)
    return result
