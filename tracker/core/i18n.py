"""Flask-Babel: every visible string goes through gettext."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import get_locale

from tracker.core.extensions import babel

LANGUAGES = ["en"]


def select_locale() -> str | None:
    """The best of our languages for the browser's Accept-Language."""
    return request.accept_languages.best_match(LANGUAGES)


def init_app(app: Flask) -> None:
    """Bind Flask-Babel to ``app``."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
