"""Opening a workbook someone uploads, without trusting it.

Before openpyxl parses anything the file must be small, a zip (an .xlsx is one), not an
encrypted Office container, and must not unpack to far more than it weighs (a zip bomb). Every
refusal is a :class:`Problem` a person can act on, never a traceback.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _
from openpyxl import load_workbook

MAX_FILE_BYTES = 10 * 1024 * 1024
# An honest workbook of the largest plan unpacks to a few tens of MB; XML compresses ~10-20x.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 2_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: a sheet, a row and a column when there is one."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportFailed(Exception):
    """The file cannot be imported; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def _refuse(message: str) -> ImportFailed:
    return ImportFailed([Problem(message)])


def open_workbook(data: bytes):
    """The workbook in ``data``, read-only, or :class:`ImportFailed`.

    Formulas are read as formulas (not their cached values, which a file may not carry: openpyxl
    saves none), so that :func:`cell_values` can tell a formula from what someone typed.
    """
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(
            _(
                "the file is %(size)s MB; the limit is %(limit)s MB",
                size=format_decimal(len(data) / 1024 / 1024, format="#,##0.0"),
                limit=10,
            )
        )
    if not data:
        raise _refuse(_("the file is empty"))
    if data.startswith(OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise _refuse(_("the workbook is encrypted (password-protected): save it without a password"))
        raise _refuse(_("this is an old Excel 97-2003 (.xls) file: save it as an Excel workbook (.xlsx)"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse(_("the file is not an Excel workbook (.xlsx)")) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _refuse(
                _(
                    "the file holds %(parts)s parts, more than any workbook",
                    parts=format_decimal(len(members)),
                )
            )
        unpacked = sum(member.file_size for member in members)
        if unpacked > MAX_UNPACKED_BYTES or any(
            member.file_size > MAX_RATIO * max(member.compress_size, 1024) for member in members
        ):
            raise _refuse(_("the file unpacks to far more than it weighs and was not opened (a zip bomb?)"))
        names = {member.filename for member in members}
        if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
            raise _refuse(_("the file is a zip archive, not an Excel workbook (.xlsx)"))
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:
        raise _refuse(_("the workbook cannot be read (%(error)s)", error=type(error).__name__)) from None


class Formula:
    """A cell that holds a formula: the import reads what people typed, never a formula."""

    def __init__(self, value):
        # An array formula is an object carrying its text.
        self.text = str(getattr(value, "text", value))

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __str__(self) -> str:
        return self.text


def cell_values(sheet):
    """Each row of ``sheet`` as a tuple of values, a formula cell as a :class:`Formula`."""
    for row in sheet.iter_rows():
        yield tuple(Formula(cell.value) if cell.data_type == "f" else cell.value for cell in row)


def blank(value) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())
