"""Today's date, in one place, so that tests and demos can fix it (``TODAY=2025-06-30``)."""

from __future__ import annotations

from datetime import date

from flask import current_app


def today() -> date:
    """The date the app treats as today."""
    fixed = current_app.config.get("TODAY")
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return date.today()
