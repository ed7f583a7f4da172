"""Writing cells safely and legibly: user text is never a formula, numbers stay numbers."""

from __future__ import annotations

from copy import copy
from datetime import date, datetime
from decimal import Decimal
from types import MethodType

from flask_babel import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from tracker.core.formatting import DATE_NUMBER_FORMAT, MOMENT_NUMBER_FORMAT
from tracker.core.i18n import N_
from tracker.hours.display import HOURS_PATTERN
from tracker.plans.models import Status

# A spreadsheet evaluates text that starts with one of these as a formula (or DDE): never for us.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
THIN = Side(style="thin", color="999999")
HEADER_BORDER = Border(bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
HOURS_FORMAT = HOURS_PATTERN  # the pages' rule: 7.25 stays 7.25
DATE_FORMAT = DATE_NUMBER_FORMAT  # the pages' rule: 25 Nov 2026
DATETIME_FORMAT = MOMENT_NUMBER_FORMAT
# The most a cell holds (Excel's limit).
MAX_CELL_TEXT = 32_767
STATUS_FILLS = {
    Status.COMPLETED: PatternFill("solid", fgColor="C6EFCE"),  # green
    Status.ONGOING: PatternFill("solid", fgColor="FFEB9C"),  # yellow
    Status.UPCOMING: PatternFill("solid", fgColor="FFC7CE"),  # red
}


def styled(sheet, key, apply) -> object:
    """The style array for ``key``, worked out once per workbook and then only copied.

    Assigning fonts, fills and formats to each cell makes openpyxl hash the style objects every
    time; copying a ready style array is a small list copy.
    """
    book = sheet.parent
    styles = book.__dict__.setdefault("_tracker_styles", {})
    if key not in styles:
        template = WriteOnlyCell(sheet)
        apply(template)
        styles[key] = template._style
    return copy(styles[key])


def _text_style(wrap: bool, quote: bool):
    def apply(cell):
        if wrap:
            cell.alignment = WRAP
        if quote:
            cell.quotePrefix = True

    return apply


def clean_text(value: str) -> str:
    """The text as a workbook can hold it: line breaks as ``\n`` (XML reads a bare ``\r`` back
    as ``\n`` anyway), and without the other control characters it cannot store."""
    return ILLEGAL_CHARACTERS_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _values_to_row(sheet, values, row_idx):
    """openpyxl's write-only row builder, without its try/except round trip for ready cells.

    openpyxl first tries to bind every value, and a ready cell fails that binding with an
    exception whose message formats the cell: most of the cost of a styled cell. Ready cells go
    straight through here; plain values share one scratch cell, as in openpyxl.
    """
    scratch = WriteOnlyCell(sheet)
    for column, value in enumerate(values, 1):
        if value is None:
            continue
        if isinstance(value, Cell):
            cell = value
        else:
            scratch.value = value
            cell = scratch
        cell.column, cell.row = column, row_idx
        yield cell


def create_sheet(workbook, title: str):
    """A write-only sheet whose rows skip openpyxl's slow path for styled cells."""
    sheet = workbook.create_sheet(title)
    sheet._values_to_row = MethodType(_values_to_row, sheet)
    return sheet


def _slot_cell(sheet, slot, key, apply) -> WriteOnlyCell:
    """The reusable cell of ``slot`` (a column) with the style ``key``.

    A write-only sheet writes each row out as soon as it is appended, so one styled cell per
    column can carry every row's value in turn: no new cell object, no style copy per value.
    The caller appends each row before making the next one's cells.
    """
    book = sheet.parent
    stamps = book.__dict__.setdefault("_tracker_slots", {})
    cell = stamps.get((id(sheet), slot, key))
    if cell is None:
        cell = WriteOnlyCell(sheet)
        cell._style = styled(sheet, key, apply)
        stamps[(id(sheet), slot, key)] = cell
    return cell


def _fill(cell, value, data_type: str):
    cell._value, cell.data_type = value, data_type
    return cell


def _cell(sheet, slot, key, apply) -> WriteOnlyCell:
    """A cell with the style ``key``: the column's reusable one when a slot is given, else new."""
    if slot is not None:
        return _slot_cell(sheet, slot, key, apply)
    cell = WriteOnlyCell(sheet)
    cell._style = styled(sheet, key, apply)
    return cell


def _format(number_format: str):
    return lambda cell: setattr(cell, "number_format", number_format)


def text(sheet, value, *, wrap: bool = False, slot=None):
    """A text cell that stays text, even when it starts like a formula.

    Plain text that needs no style and cannot be mistaken for a formula or an error code goes
    out as a plain value, the cheapest thing openpyxl writes.
    """
    if value is None:
        return None
    value = clean_text(str(value))[:MAX_CELL_TEXT]
    quote = value.startswith(FORMULA_STARTS)
    if not wrap and not quote and not value.startswith("#"):
        return value
    return _fill(_cell(sheet, slot, ("text", wrap, quote), _text_style(wrap, quote)), value, "s")


def number(sheet, value, number_format: str = HOURS_FORMAT, *, slot=None) -> WriteOnlyCell:
    """A number cell (hours, by the pages' display rule, by default); an exact Decimal becomes
    the float a cell holds only here, at the edge."""
    value = float(value) if isinstance(value, Decimal) else value
    return _fill(_cell(sheet, slot, ("number", number_format), _format(number_format)), value, "n")


def when(sheet, value: date | datetime, *, slot=None) -> WriteOnlyCell:
    """A date or a date and time, as a real date (timezones dropped: the values are UTC)."""
    if isinstance(value, datetime):
        value, number_format = value.replace(tzinfo=None), DATETIME_FORMAT
    else:
        number_format = DATE_FORMAT
    return _fill(_cell(sheet, slot, ("date", number_format), _format(number_format)), value, "d")


def status(sheet, value: Status | None, label: str, *, slot=None):
    """A status cell: its word (in the reader's language), and its colour behind it."""
    label = _(label) if label else label
    if value is None:
        return text(sheet, label, slot=slot)
    apply = lambda cell: setattr(cell, "fill", STATUS_FILLS[value])  # noqa: E731
    return _fill(_cell(sheet, slot, ("status", value), apply), clean_text(label), "s")


def header(sheet, titles: list[str]) -> list[WriteOnlyCell]:
    """A bold, shaded header row."""
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=clean_text(title))
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        cell.alignment = WRAP
        cells.append(cell)
    return cells


def columns(sheet, widths: list[float]) -> None:
    """Set the sheet's column widths, from column A on."""
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


HOURS_TITLES = [
    N_("Year"),
    N_("Line"),
    N_("Kind"),
    N_("Allocated"),
    N_("Planned"),
    N_("Logged"),
    N_("Remaining"),
    N_("Over-allocated"),
]


def hours_sheet(workbook):
    """The Hours sheet both workbooks share: its header, widths and frozen header row."""
    sheet = create_sheet(workbook, _("Hours"))
    columns(sheet, [8, 44, 16, 12, 12, 12, 12, 16])
    sheet.freeze_panes = "A2"
    sheet.append(header(sheet, [_(title) for title in HOURS_TITLES]))
    return sheet
