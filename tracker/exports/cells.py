"""Writing cells safely and legibly: user text is never a formula, numbers stay numbers."""

from __future__ import annotations

from copy import copy
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
HOURS_FORMAT = "#,##0.0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
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


def text(sheet, value, *, wrap: bool = False) -> WriteOnlyCell:
    """A text cell that stays text, even when it starts like a formula."""
    cell = WriteOnlyCell(sheet, value=clean_text(str(value)) if value is not None else None)
    quote = False
    if cell.value is not None:
        cell.data_type = "s"
        # Excel shows such text as typed, and does not evaluate it when someone edits the cell.
        quote = cell.value.startswith(FORMULA_STARTS)
    if wrap or quote:
        cell._style = styled(sheet, ("text", wrap, quote), _text_style(wrap, quote))
    return cell


def number(sheet, value, number_format: str = HOURS_FORMAT) -> WriteOnlyCell:
    """A number cell (hours with one decimal by default)."""
    cell = WriteOnlyCell(sheet, value=float(value) if isinstance(value, Decimal) else value)
    cell._style = styled(
        sheet, ("number", number_format), lambda c: setattr(c, "number_format", number_format)
    )
    return cell


def when(sheet, value: date | datetime) -> WriteOnlyCell:
    """A date or a date and time, as a real date (timezones dropped: the values are UTC)."""
    if isinstance(value, datetime):
        value, number_format = value.replace(tzinfo=None), DATETIME_FORMAT
    else:
        number_format = DATE_FORMAT
    cell = WriteOnlyCell(sheet, value=value)
    cell._style = styled(sheet, ("date", number_format), lambda c: setattr(c, "number_format", number_format))
    return cell


def status(sheet, value: Status | None, label: str) -> WriteOnlyCell:
    """A status cell: its word, and its colour behind it."""
    cell = text(sheet, label)
    if value is not None:
        cell._style = styled(sheet, ("status", value), lambda c: setattr(c, "fill", STATUS_FILLS[value]))
    return cell


def header(sheet, titles: list[str]) -> list[WriteOnlyCell]:
    """A bold, shaded header row."""
    cells = []
    for title in titles:
        cell = text(sheet, title, wrap=True)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        cells.append(cell)
    return cells
