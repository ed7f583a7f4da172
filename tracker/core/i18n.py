"""Flask-Babel: every visible string goes through gettext."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, request
from flask_babel import format_decimal, get_locale

from tracker.core.extensions import babel

LANGUAGES = ["en"]


def select_locale() -> str | None:
    """The best of our languages for the browser's Accept-Language."""
    return request.accept_languages.best_match(LANGUAGES)


def init_app(app: Flask) -> None:
    """Bind Flask-Babel to ``app``."""
    babel.init_app(app, locale_selector=select_locale)
    app.add_template_filter(format_hours, "hours")
    app.jinja_env.globals["get_locale"] = get_locale


def format_hours(value) -> str:
    """Hours with their unit, one decimal at least, two when needed: ``12.5 h``, ``0.25 h``."""
    return format_decimal(Decimal(value or 0), format="#,##0.0#") + " h"
