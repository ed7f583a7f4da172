"""Error pages for people and JSON errors for the API; a lost database is a 503, not a 500."""

from __future__ import annotations

import contextlib
import logging

from blinker import Namespace
from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from tracker.core.extensions import db

log = logging.getLogger(__name__)
signals = Namespace()


# Seconds a client should wait before trying again after a 503 (a lock, a lost connection).
RETRY_AFTER = "2"


def unreachable(error: DBAPIError) -> bool:
    """The connection was lost or could not be made."""
    return (
        bool(error.connection_invalidated)
        or isinstance(error, InterfaceError)
        or "connect" in str(error.orig).lower()
    )


def transient(error: DBAPIError) -> bool:
    """An error that trying again may not meet: a lost connection, a lock held too long (SQLite's
    "database is locked", PostgreSQL's lock and statement timeouts), a deadlock or a serialization
    failure (PostgreSQL's OperationalError subclasses); not a constraint or a bug."""
    return unreachable(error) or isinstance(error, OperationalError)


def rollback_quietly() -> None:
    """Roll the request's session back; on a dead connection, drop the connection instead of
    raising (the pool replaces it: ``pool_pre_ping``)."""
    try:
        db.session.rollback()
    except DBAPIError as error:
        log.warning("rollback failed, connection dropped: %s", error.orig)
        with contextlib.suppress(DBAPIError):
            # (scoped_session does not pass invalidate on: the session itself does it)
            db.session().invalidate()


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
        rollback_quietly()
        if not transient(error):
            raise error
        if unreachable(error):
            log.error("database unreachable: %s", error.orig)
            message = _("The database cannot be reached just now. Try again in a moment.")
        else:
            log.warning("database busy: %s", error.orig)
            message = _("The database is busy just now. Try again in a moment.")
        body, status = _render(503, _("Database unavailable"), message)
        response = make_response(body, status)
        response.headers["Retry-After"] = RETRY_AFTER
        return response

    @app.errorhandler(500)
    def _internal(error):
        rollback_quietly()
        return _render(500, _("Something went wrong"), _("The error has been logged."))

    # Runs before Flask-SQLAlchemy's own teardown (registered earlier, so called later): on a
    # dead connection its rollback raised past every error handler, a bare 500 for a request
    # whose answer was already built.
    app.teardown_appcontext(lambda exc: rollback_quietly())
