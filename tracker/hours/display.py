"""Hours on pages: the one display rule (:mod:`tracker.core.formatting`, which also holds the
rules for percentages, percentage points and dates) and over-allocation in words.

One decimal at least, two when the figure has them: 12.5 h, 0.25 h, 7.25 h (never rounded to 7.3).
Pages write the unit after the number; a workbook cell carries the same pattern as its number
format, so Excel and LibreOffice show the same digits as the page.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from tracker.core import formatting
from tracker.core.formatting import HOURS_PATTERN, format_hours
from tracker.hours.rollup import HourRollup
from tracker.plans.models import AllocationKind

__all__ = ["HOURS_PATTERN", "format_hours", "init_app", "over_allocation"]


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
    """Templates show figures with the filters of :mod:`tracker.core.formatting`
    (``{{ value|hours }}``, ``|percent``, ``|points``, ``|day``) and over-allocation with
    ``over_allocation(rollup)``."""
    formatting.init_app(app)
    app.add_template_global(over_allocation, "over_allocation")
