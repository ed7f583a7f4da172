"""Writing cells safely and legibly: user text is never a formula, numbers stay numbers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from tracker.models import Status

# A spreadsheet evaluates text that starts with one of these as a formula (or DDE): never for us.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
THIN = Side(style="thin", color="999999")
HEADER_BORDER = Border(bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
HOURS_FORMAT = "#,##0.0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
STATUS_FILLS = {
    Status.COMPLETED: PatternFill("solid", fgColor="C6EFCE"),  # green
    Status.ONGOING: PatternFill("solid", fgColor="FFEB9C"),  # yellow
    Status.UPCOMING: PatternFill("solid", fgColor="FFC7CE"),  # red
}


def clean_text(value: str) -> str:
    """The text as a workbook can hold it: line breaks as ``\n`` (XML reads a bare ``\r`` back
    as ``\n`` anyway), and without the other control characters it cannot store."""
    return ILLEGAL_CHARACTERS_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def text(sheet, value, *, wrap: bool = False) -> WriteOnlyCell:
    """A text cell that stays text, even when it starts like a formula."""
    cell = WriteOnlyCell(sheet, value=clean_text(str(value)) if value is not None else None)
    if cell.value is not None:
        cell.data_type = "s"
        if cell.value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # Excel shows it as typed, and does not evaluate it on edit
    cell.alignment = WRAP if wrap else TOP
    return cell


def number(sheet, value, number_format: str = HOURS_FORMAT) -> WriteOnlyCell:
    """A number cell (hours with one decimal by default)."""
    cell = WriteOnlyCell(sheet, value=float(value) if isinstance(value, Decimal) else value)
    cell.number_format = number_format
    cell.alignment = TOP
    return cell


def when(sheet, value: date | datetime) -> WriteOnlyCell:
    """A date or a date and time, as a real date (timezones dropped: the values are UTC)."""
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
    else:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    cell.alignment = TOP
    return cell


def status(sheet, value: Status | None, label: str) -> WriteOnlyCell:
    """A status cell: its word, and its colour behind it."""
    cell = text(sheet, label)
    if value is not None:
        cell.fill = STATUS_FILLS[value]
    return cell


def header(sheet, titles: list[str]) -> list[WriteOnlyCell]:
    """A bold, shaded header row."""
    cells = []
    for title in titles:
        cell = text(sheet, title, wrap=True)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        cells.append(cell)
    return cells
