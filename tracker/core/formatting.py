"""One display rule per kind of figure: hours, percentages, percentage points and dates.

The pages, the workbooks and the printed assessment report all format through these functions
(pages through the template filters :func:`init_app` registers), so a figure reads the same
wherever it is shown. Figures are right-aligned wherever they stand in a table (``class="num"``).

- Hours: one decimal at least, two when the figure has them, with the unit: ``12.5 h``,
  ``0.25 h``, ``1,234.0 h`` (never rounded to ``7.3`` from ``7.25``).
- Percentages: one decimal, a space and the sign: ``68.3 %``.
- Percentage points (a change between two percentages): signed, one decimal, ``pp``:
  ``+26.0 pp``, ``-3.5 pp``, ``0.0 pp``.
- Dates: day, short month, year: ``25 Nov 2026``; a moment adds the time in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_date as babel_date
from flask_babel import format_decimal
from flask_babel import gettext as _

# Unicode/Excel number patterns: grouping, one decimal always (hours: a second when there is one).
HOURS_PATTERN = "#,##0.0#"
PERCENT_PATTERN = "#,##0.0"
# The same rules as workbook number formats, so that a spreadsheet shows the page's digits.
HOURS_NUMBER_FORMAT = HOURS_PATTERN
PERCENT_NUMBER_FORMAT = '#,##0.0" %"'
POINTS_NUMBER_FORMAT = '+#,##0.0" pp";-#,##0.0" pp";0.0" pp"'
DATE_PATTERN = "d MMM y"
DATE_NUMBER_FORMAT = "d mmm yyyy"
MOMENT_NUMBER_FORMAT = "d mmm yyyy hh:mm"
PERCENT_UNITS = frozenset({"%", "percent"})


def _decimal(value) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def format_hours(value) -> str:
    """Hours with their unit: ``12.5 h``, ``0.25 h``, ``1,234.0 h``."""
    return format_decimal(_decimal(value), format=HOURS_PATTERN) + " h"


def format_percent(value) -> str:
    """A percentage (68.3 for 68.3 %): ``68.3 %``."""
    return format_decimal(_decimal(value), format=PERCENT_PATTERN) + " %"


def format_points(value) -> str:
    """A change between two percentages, signed: ``+26.0 pp`` (percentage points)."""
    number = _decimal(value).quantize(Decimal("0.1"))
    sign = "+" if number > 0 else ("-" if number < 0 else "")
    return sign + format_decimal(abs(number), format=PERCENT_PATTERN) + " pp"


def format_measure(value, unit: str = "") -> str:
    """A survey figure with its unit: a percentage by the percentage rule, else the number (one
    or two decimals) and its unit."""
    if value is None or value == "":
        return ""
    if unit.strip() in PERCENT_UNITS:
        return format_percent(value)
    number = format_decimal(_decimal(value), format=HOURS_PATTERN)
    return f"{number} {unit}".strip()


def format_measure_change(value, unit: str = "") -> str:
    """The change of a survey figure: percentage points for percentages, else signed."""
    if value is None or value == "":
        return ""
    if unit.strip() in PERCENT_UNITS:
        return format_points(value)
    number = _decimal(value)
    sign = "+" if number > 0 else ("-" if number < 0 else "")
    return f"{sign}{format_decimal(abs(number), format=HOURS_PATTERN)} {unit}".strip()


def format_date(day) -> str:
    """A day: ``25 Nov 2026`` (an ISO string is read first; a moment gives its UTC day)."""
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        day = datetime.fromisoformat(day) if "T" in day else date.fromisoformat(day)
    if isinstance(day, datetime):
        day = day.astimezone(UTC).date() if day.tzinfo else day.date()
    return babel_date(day, format=DATE_PATTERN)


def format_moment(moment) -> str:
    """A moment in UTC: ``25 Nov 2026, 10:05 UTC``."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return _("%(day)s, %(time)s UTC", day=format_date(moment.date()), time=moment.strftime("%H:%M"))


def init_app(app: Flask) -> None:
    """Templates write ``{{ value|hours }}``, ``|percent``, ``|points``, ``|day``, ``|moment``,
    ``|measure(unit)`` and ``|measure_change(unit)``."""
    app.add_template_filter(format_hours, "hours")
    app.add_template_filter(format_percent, "percent")
    app.add_template_filter(format_points, "points")
    app.add_template_filter(format_date, "day")
    app.add_template_filter(format_moment, "moment")
    app.add_template_filter(format_measure, "measure")
    app.add_template_filter(format_measure_change, "measure_change")
