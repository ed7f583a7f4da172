"""Error pages for people and JSON errors for the API; a lost database is a 503, not a 500."""

from __future__ import annotations

import logging

from blinker import Namespace
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from tracker.core.extensions import db

log = logging.getLogger(__name__)
signals = Namespace()


def _wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _render(status: int, title: str, message: str):
    if _wants_json():
        return jsonify(error=title, message=message), status
    return render_template("error.html", status=status, title=title, message=message), status


# Sent on every 403, before its page: the accounts concern records it as a security event.
forbidden = signals.signal("forbidden")


def expired_form(error: CSRFError):
    """A form sent without a valid CSRF token: 400, and what to do about it."""
    return _render(
        400,
        _("The form has expired"),
        _("The form's security token was missing or not valid. Go back, reload the page and try again."),
    )


def init_app(app: Flask) -> None:
    """Register the handlers."""

    app.register_error_handler(CSRFError, expired_form)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        messages = {
            400: _("The request was not understood."),
            401: _("Sign in to continue."),
            403: _("Your role does not allow this."),
            404: _("There is nothing here, or you may not see it."),
            405: _("This address does not accept that method."),
            413: _("The request is larger than this site accepts."),
            429: _("Too many failed sign-ins. Wait a few minutes, then try again."),
        }
        if error.code == 403:
            forbidden.send(current_app._get_current_object())
        message = error.description if error.code == 400 and error.description else None
        return _render(
            error.code or 500,
            error.name,
            message or messages.get(error.code or 500, error.description or ""),
        )

    @app.errorhandler(DBAPIError)
    def _database(error: DBAPIError):
        db.session.rollback()
        if error.connection_invalidated or "connect" in str(error.orig).lower():
            log.error("database unreachable: %s", error.orig)
            return _render(
                503,
                _("Database unavailable"),
                _("The database cannot be reached just now. Try again in a moment."),
            )
        raise error

    @app.errorhandler(500)
    def _internal(error):
        db.session.rollback()
        return _render(500, _("Something went wrong"), _("The error has been logged."))
