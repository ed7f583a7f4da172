"""What the network pages and the API read from a request: the year asked for."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _

from tracker.core import validation
from tracker.core.clock import today

FIRST_YEAR, LAST_YEAR = 2000, 2100


def requested_year(raw: str | None) -> int:
    """The year in ``?year=``; this year by default."""
    if raw is None or raw == "":
        return today().year
    year = validation.digits(raw, most=4)
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        abort(400, _("year: %(value)s is not a year between 2000 and 2100.", value=raw[:20]))
    return year
