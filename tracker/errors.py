"""Error pages for people and JSON errors for the API; a lost database is a 503, not a 500."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from tracker.extensions import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _render(status: int, title: str, message: str):
    if _wants_json():
        return jsonify(error=title, message=message), status
    return render_template("error.html", status=status, title=title, message=message), status


def _record_forbidden() -> None:
    """Every 403 is a security event: someone tried what their role does not allow."""
    from tracker.auth import event
    from tracker.models import SecurityEventKind

    db.session.rollback()
    user = current_user._get_current_object() if current_user.is_authenticated else None
    event(SecurityEventKind.FORBIDDEN, user, detail=f"{request.method} {request.endpoint}")
    db.session.commit()


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        if request.endpoint == "auth.signin" and not current_user.is_authenticated:
            # A sign-in page that outlived its session (signed out in another tab, or left open
            # for hours): shown again, ready to send, rather than a dead end.
            from tracker.auth import signin_again

            return signin_again()
        return _render(
            400,
            _("The form has expired"),
            _("The form's security token was missing or not valid. Go back, reload the page and try again."),
        )

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
            _record_forbidden()
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
