"""Signing in and out, and who is asking: a session cookie or a bearer token."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from tracker.audit import set_actor
from tracker.domain.accounts import (
    AccountError,
    authenticate,
    normalise_email,
    set_password,
    user_for_token,
)
from tracker.domain.security import record_event
from tracker.extensions import db, limiter, login_manager
from tracker.models import SecurityEventKind, User
from tracker.models.user import new_session_nonce
from tracker.permissions import Need, requires

bp = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else ``None``: no open redirects."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def client_address() -> str:
    """The client's address (behind a proxy, configure ProxyFix so that this is the real one)."""
    return get_remote_address() or ""


def event(kind: SecurityEventKind, user: User | None = None, **details) -> None:
    """Record a security event of this request."""
    record_event(db.session, kind, user=user, client=client_address(), path=request.path, **details)


def _signin_limit() -> str:
    return current_app.config["SIGNIN_FAILURE_LIMIT"]


def _account_key() -> str:
    return "signin-account:" + normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failed attempts count towards the limit: people who sign in are never throttled.
    return response.status_code == 401


def _throttled(limit) -> None:
    event(SecurityEventKind.SIGNIN_THROTTLED, email=request.form.get("email", ""), detail=str(limit.limit))
    db.session.commit()


@bp.route("/signin", methods=["GET", "POST"])
@requires(Need.PUBLIC)
@limiter.limit(
    _signin_limit,
    key_func=client_address,
    methods=["POST"],
    deduct_when=_failed,
    scope="signin-client",
    on_breach=_throttled,
)
@limiter.limit(
    _signin_limit,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="signin-account",
    on_breach=_throttled,
)
def signin():
    """The sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("views.index"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            # A new session on every sign-in: nothing from before survives into it.
            session.clear()
            login_user(user)
            now = int(time.time())
            session["signed_in_at"] = session["seen_at"] = now
            event(SecurityEventKind.SIGNIN_SUCCEEDED, user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("views.index"))
        event(SecurityEventKind.SIGNIN_FAILED, email=form.email.data)
        db.session.commit()
        flash(_("The email or password is not right."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/signin.html", form=form), status


@bp.route("/signout", methods=["POST"])
@requires(Need.READ)
def signout():
    """Sign out: the session ends on the server too, so a copied cookie stops working."""
    user = current_user._get_current_object()
    user.session_nonce = new_session_nonce()
    event(SecurityEventKind.SIGNED_OUT, user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.signin"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Need.READ)
def change_password():
    """Change one's own password; every other session of this person ends."""
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if authenticate(db.session, user.email, form.current.data) is None:
            form.current.errors.append(_("This is not your current password."))
            status = 422
        else:
            try:
                set_password(user, form.new.data)
            except AccountError as error:
                form.new.errors.append(error.message)
                status = 422
            else:
                event(SecurityEventKind.PASSWORD_CHANGED, user)
                db.session.commit()
                # This session carries on under the new nonce; the others are over.
                login_user(user)
                flash(_("Your password has been changed. Your other sessions have ended."), "info")
                return redirect(url_for("views.index"))
    elif request.method == "POST":
        status = 422
    return render_template("auth/password.html", form=form), status


def load_user(user_id: str) -> User | None:
    """The user of a session cookie, if that session is still the user's current one."""
    key, _sep, nonce = user_id.partition(":")
    if not key.isdigit() or not nonce:
        return None
    user = db.session.get(User, int(key))
    if user is None or user.session_nonce != nonce or not user.active:
        return None
    return user


def load_user_from_request(req) -> User | None:
    """The user of an ``Authorization: Bearer`` token."""
    header = req.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = user_for_token(db.session, token.strip())
    if user is not None:
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
        flash(_("Your session has expired. Please sign in again."), "info")
        return
    session["seen_at"] = now


def init_app(app: Flask) -> None:
    """Bind Flask-Login, expire old sessions and record who acts on each request."""
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(_expire_old_sessions)

    @app.before_request
    def _record_actor() -> None:
        if current_user.is_authenticated:
            set_actor(db.session, current_user.id)
