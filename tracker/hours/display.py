"""The one display rule for hours, shared by the pages and the workbooks.

One decimal at least, two when the figure has them: 12.5 h, 0.25 h, 7.25 h (never rounded to 7.3).
Pages write the unit after the number; a workbook cell carries the same pattern as its number
format, so Excel and LibreOffice show the same digits as the page.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from flask_babel import format_decimal

# A Unicode/Excel number pattern: grouping, one decimal always, a second when there is one.
HOURS_PATTERN = "#,##0.0#"


def format_hours(value) -> str:
    """Hours with their unit, for a page: ``12.5 h``, ``0.25 h``, ``1,234.0 h``."""
    return format_decimal(Decimal(value or 0), format=HOURS_PATTERN) + " h"


def init_app(app: Flask) -> None:
    """Templates show hours with ``{{ value|hours }}``."""
    app.add_template_filter(format_hours, "hours")
