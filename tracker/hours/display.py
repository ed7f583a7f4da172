"""The one display rule for hours, shared by the pages and the workbooks.

One decimal at least, two when the figure has them: 12.5 h, 0.25 h, 7.25 h (never rounded to 7.3).
Pages write the unit after the number; a workbook cell carries the same pattern as its number
format, so Excel and LibreOffice show the same digits as the page.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from flask_babel import format_decimal
from flask_babel import gettext as _

from tracker.hours.rollup import HourRollup
from tracker.plans.models import AllocationKind

# A Unicode/Excel number pattern: grouping, one decimal always, a second when there is one.
HOURS_PATTERN = "#,##0.0#"


def format_hours(value) -> str:
    """Hours with their unit, for a page: ``12.5 h``, ``0.25 h``, ``1,234.0 h``."""
    return format_decimal(Decimal(value or 0), format=HOURS_PATTERN) + " h"


def over_allocation(rollup: HourRollup) -> list[str]:
    """Each over-allocated allocation line in words, from the figures its table row shows.

    The row shows allocated, planned (implementation only: overall management has no planned
    hours, its cell is "—"), logged, and remaining = allocated - logged. So the words name the
    line as the row does, never give management a planned figure, and say how much is over and
    what remains, so that "over-allocated" and a positive "remaining" read as one fact.
    """
    sentences = []
    for kind, figures in rollup.by_kind.items():
        if not figures.over_allocated:
            continue
        names = [line.name for line in rollup.lines if line.kind is kind]
        if names:
            name = ", ".join(names)
        elif kind is AllocationKind.MANAGEMENT:
            name = _("Overall management (no hours allocated)")
        else:
            name = _("Implementation (no hours allocated)")
        parts = []
        if kind is AllocationKind.IMPLEMENTATION and figures.planned > figures.allocated:
            parts.append(
                _(
                    "%(planned)s planned against %(allocated)s allocated, %(excess)s more than allocated",
                    planned=format_hours(figures.planned),
                    allocated=format_hours(figures.allocated),
                    excess=format_hours(figures.planned - figures.allocated),
                )
            )
        if figures.logged > figures.allocated:
            parts.append(
                _(
                    "%(logged)s logged against %(allocated)s allocated, %(excess)s more than allocated",
                    logged=format_hours(figures.logged),
                    allocated=format_hours(figures.allocated),
                    excess=format_hours(figures.logged - figures.allocated),
                )
            )
        else:
            parts.append(
                _(
                    "%(logged)s logged so far, so %(remaining)s of the allocation remain",
                    logged=format_hours(figures.logged),
                    remaining=format_hours(figures.remaining),
                )
            )
        sentences.append(f"{name}: {'; '.join(parts)}.")
    return sentences


def init_app(app: Flask) -> None:
    """Templates show hours with ``{{ value|hours }}`` and over-allocation with
    ``over_allocation(rollup)``."""
    app.add_template_filter(format_hours, "hours")
    app.add_template_global(over_allocation, "over_allocation")
