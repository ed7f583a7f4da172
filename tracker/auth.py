"""Signing in and out, and who is asking: a session cookie or a bearer token."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from tracker.audit import set_actor
from tracker.domain.accounts import authenticate, user_for_token
from tracker.extensions import db, login_manager
from tracker.models import User
from tracker.models.user import new_session_nonce

bp = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


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


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    """The sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("views.index"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("views.index"))
        flash(_("The email or password is not right."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/signin.html", form=form), status


@bp.route("/signout", methods=["POST"])
@login_required
def signout():
    """Sign out: the session ends on the server too, so a copied cookie stops working."""
    current_user.session_nonce = new_session_nonce()
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.signin"))


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
    """The user of an ``Authorization: Bearer`` token on API requests."""
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


def init_app(app: Flask) -> None:
    """Bind Flask-Login and record who acts on each request."""
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)
    login_manager.unauthorized_handler(unauthorized)

    @app.before_request
    def _record_actor() -> None:
        if current_user.is_authenticated:
            set_actor(db.session, current_user.id)
