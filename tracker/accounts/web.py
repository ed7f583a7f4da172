"""Who is asking, for every request: the session cookie or bearer token, its expiry, the actor
of the history, security events of the request, safe redirects and re-confirmation.

Request-level helpers shared by the sign-in pages and the admin pages; no routes here.
"""

from __future__ import annotations

import functools
import re
import time
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from sqlalchemy.orm import joinedload

from tracker.accounts.events import record_event
from tracker.accounts.models import SecurityEventKind, User
from tracker.accounts.services import user_for_token
from tracker.core.errors import forbidden
from tracker.core.extensions import db, login_manager
from tracker.history.recording import set_actor

# How often the idle clock in the session cookie is moved on, in seconds.
SEEN_AT_RESOLUTION = 60


# Control characters (a line break would split the Location header: a 500 after signing in) and
# lone surrogates, which no URL can carry.
UNSAFE_IN_URL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else ``None``: no open redirects."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or UNSAFE_IN_URL.search(target):
        return None
    return target


def client_address() -> str:
    """The client's address (behind a proxy, configure ProxyFix so that this is the real one)."""
    return get_remote_address() or ""


def event(kind: SecurityEventKind, user: User | None = None, **details) -> None:
    """Record a security event of this request about ``user``'s account; the signed-in person
    (session or token) is recorded as who acted, so the log names the admin beside the account."""
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    record_event(
        db.session, kind, user=user, actor=actor, client=client_address(), path=request.path, **details
    )


def recently_confirmed() -> bool:
    """Whether this session proved who it is (signed in or confirmed) within REAUTH_MINUTES."""
    window = current_app.config["REAUTH_MINUTES"] * 60
    return int(time.time()) - session.get("confirmed_at", 0) <= window


def confirmed(view):
    """Sensitive account changes: an admin who signed in a while ago confirms who they are first."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.method == "POST" and not recently_confirmed():
            back = safe_next(urlsplit(request.referrer or "").path) or url_for("tracking.index")
            flash(_("Please confirm it is you before changing accounts. Then do it again."), "warning")
            return redirect(url_for("auth.confirm", next=back), 303)
        return view(*args, **kwargs)

    return wrapper


def load_user(user_id: str) -> User | None:
    """The user of a session cookie, if that session is still the user's current one."""
    key, _sep, nonce = user_id.partition(":")
    if not key.isdigit() or not nonce:
        return None
    # With its organisation, whose default language the page may need: one query, not two.
    user = db.session.get(User, int(key), options=[joinedload(User.organisation)])
    if user is None or user.session_nonce != nonce or not user.active:
        return None
    return user


def load_user_from_request(req) -> User | None:
    """The user of an ``Authorization: Bearer`` token (Flask-Login asks only when no session
    cookie signed the request in). ``g.token_authenticated`` tells the CSRF check that a valid
    token, which a browser never sends by itself, is who makes this call."""
    header = req.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = user_for_token(db.session, token.strip())
    if user is not None:
        g.token_authenticated = True
        db.session.commit()
    return user


def unauthorized():
    """API callers get 401 JSON; people are sent to the sign-in page."""
    if request.blueprint == "api":
        return jsonify(error="unauthorized", message=_("Sign in or send a bearer token.")), 401
    return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))


def _expire_old_sessions() -> None:
    """End a cookie session idle too long or older than the absolute lifetime."""
    if "_user_id" not in session or not current_user.is_authenticated:
        return
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    lifetime = current_app.config["SESSION_MAX_HOURS"] * 3600
    if now - session.get("seen_at", 0) > idle or now - session.get("signed_in_at", 0) > lifetime:
        event(SecurityEventKind.SESSION_EXPIRED, current_user._get_current_object())
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("Your session has expired. Please sign in again."), "warning")
        return
    # Written back at most once a minute, so most responses carry no cookie: a chart still
    # loading when the person signs out cannot put the old session back over the new one.
    if now - session.get("seen_at", 0) >= SEEN_AT_RESOLUTION:
        session["seen_at"] = now


def record_forbidden(sender, **extra) -> None:
    """Every 403 is a security event: someone tried what their role does not allow."""
    db.session.rollback()
    user = current_user._get_current_object() if current_user.is_authenticated else None
    event(SecurityEventKind.FORBIDDEN, user, detail=f"{request.method} {request.endpoint}")
    db.session.commit()


def init_app(app: Flask) -> None:
    """Bind Flask-Login, expire old sessions, record who acts on each request and every 403."""
    forbidden.connect(record_forbidden, app, weak=False)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(_expire_old_sessions)

    @app.before_request
    def _record_actor() -> None:
        if current_user.is_authenticated:
            set_actor(db.session, current_user.id)
