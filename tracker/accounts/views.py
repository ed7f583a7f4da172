"""Signing in and out, and who is asking: a session cookie or a bearer token."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from limits import parse as parse_limit
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from tracker.accounts.models import SecurityEventKind, User, new_session_nonce
from tracker.accounts.services import (
    AccountError,
    account_for,
    authenticate,
    normalise_email,
    set_password,
)
from tracker.accounts.twostep import SecretBox, accept_code, enrol, grouped, new_secret, qr_data_uri
from tracker.accounts.web import client_address, event, load_user, safe_next
from tracker.core.errors import expired_form
from tracker.core.extensions import db, limiter
from tracker.core.permissions import Need, requires

bp = Blueprint("auth", __name__)
# How long the code step may follow the password step.
PENDING_SECONDS = 5 * 60


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class CodeForm(FlaskForm):
    """The six-digit code an authenticator app shows."""

    code = StringField(_l("Code from your authenticator app"), validators=[DataRequired(), Length(max=20)])


class ConfirmForm(FlaskForm):
    """The password, and the code when two-step sign-in is on."""

    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    code = StringField(_l("Code from your authenticator app"), validators=[Length(max=20)])


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )


def _signin_limit() -> str:
    return current_app.config["SIGNIN_FAILURE_LIMIT"]


def _account_key() -> str:
    return "signin-account:" + normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failed attempts count towards the limit: people who sign in are never throttled.
    # A wrong password refused by the address limit (429) still counts for its account.
    return response.status_code == 401 or bool(g.get("signin_failed"))


def _attempting_user() -> User | None:
    """Who is entering a code or confirming: the signed-in person, or the password step's."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return pending_user()


def _throttled(limit) -> None:
    email = request.form.get("email", "")
    account = account_for(db.session, email) if email else _attempting_user()
    event(SecurityEventKind.SIGNIN_THROTTLED, account, email=email, detail=str(limit.limit))
    db.session.commit()


def failure_limits(account_key, account_scope: str):
    """Count failed attempts (401s) per account; past the limit, 429 before the password or code
    is even checked. The client address has its own, far looser count (:func:`address_refuses`),
    so that one address cannot lock out everyone behind it."""

    def decorate(function):
        return limiter.limit(
            _signin_limit,
            key_func=account_key,
            methods=["POST"],
            deduct_when=_failed,
            scope=account_scope,
            on_breach=_throttled,
        )(function)

    return decorate


def _address_counter():
    """The limit on failed sign-ins from one address, and the counter's key in the limiter's storage."""
    limit = parse_limit(current_app.config["SIGNIN_ADDRESS_LIMIT"])
    key = (current_app.config["RATELIMIT_KEY_PREFIX"], "signin-address:" + client_address(), "signin-address")
    return limit, key


def address_refuses() -> int | None:
    """Count one failed sign-in from this address. Past ``SIGNIN_ADDRESS_LIMIT``: the seconds
    until the address may try again (the failure is refused with 429), else ``None``.

    Only failures reach here, after the password was checked: a person whose own account is not
    throttled signs in with the right password from any address."""
    limit, key = _address_counter()
    strategy = limiter.limiter
    if strategy.test(limit, *key):
        strategy.hit(limit, *key)
        return None
    reset_at, _remaining = strategy.get_window_stats(limit, *key)
    return seconds_until(reset_at, limit.get_expiry())


def seconds_until(reset_at: float, window: int) -> int:
    """Whole seconds until a limit's window resets: at least 1, and never more than the window
    (the store rounds its reset time up, which would announce a 16th minute of a 15-minute wait)."""
    return max(1, min(window, math.ceil(reset_at - time.time())))


def wait_words(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-ins. Wait %(num)s minute, then try again.",
        "Too many failed sign-ins. Wait %(num)s minutes, then try again.",
        minutes,
    )


def throttled_page(seconds: int):
    """429 that says how long to wait, in words and in ``Retry-After``; the sign-in page keeps
    its form with the email filled in, ready for when the wait is over."""
    message = wait_words(seconds)
    if request.endpoint == "auth.signin":
        form = SignInForm(formdata=None, email=request.form.get("email", "")[:254])
        flash(message, "error")
        page = render_template("accounts/signin.html", form=form)
    else:
        page = render_template("error.html", status=429, title=_("Too many failed attempts"), message=message)
    return page, 429, {"Retry-After": str(seconds)}


@bp.errorhandler(429)
def too_many(error):
    """The account's limit was reached before the password or code was checked."""
    current = limiter.current_limit
    seconds = seconds_until(current.reset_at, current.limit.get_expiry()) if current is not None else 60
    return throttled_page(seconds)


@bp.route("/signin", methods=["GET", "POST"])
@requires(Need.PUBLIC)
@failure_limits(_account_key, "signin-account")
def signin():
    """The sign-in page: email and password, then a code when two-step sign-in is on."""
    if current_user.is_authenticated:
        return redirect(url_for("tracking.index"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            target = safe_next(request.args.get("next"))
            if user.two_step or current_app.config["MFA_REQUIRED"]:
                # The password is right; the session is not signed in until the code is.
                session.clear()
                session["pending"] = {"user": user.get_id(), "at": int(time.time()), "next": target}
                db.session.commit()
                return redirect(url_for("auth.code" if user.two_step else "auth.setup"))
            return complete_signin(user, target)
        # Recorded against the account the email names, so its organisation's admins see it.
        account = account_for(db.session, form.email.data)
        g.signin_failed = True
        wait = address_refuses()
        if wait is not None:
            limit = current_app.config["SIGNIN_ADDRESS_LIMIT"]
            detail = f"wrong password from an address past its limit ({limit})"
            event(SecurityEventKind.SIGNIN_THROTTLED, account, email=form.email.data, detail=detail)
            db.session.commit()
            return throttled_page(wait)
        event(SecurityEventKind.SIGNIN_FAILED, account, email=form.email.data)
        db.session.commit()
        flash(_("The email or password is not right."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/signin.html", form=form), status


def secret_box() -> SecretBox:
    """The app's box for authenticator secrets, made once from ``TOTP_KEYS``."""
    box = current_app.extensions.get("totp_box")
    if box is None:
        box = current_app.extensions["totp_box"] = SecretBox(current_app.config["TOTP_KEYS"])
    return box


@bp.errorhandler(CSRFError)
def signin_again(error: CSRFError):
    """A sign-in page that outlived its session (signed out in another tab, or left open for
    hours) is shown again, the email kept, ready to send, rather than a dead end."""
    if request.endpoint != "auth.signin" or current_user.is_authenticated:
        return expired_form(error)
    form = SignInForm(formdata=None, email=request.form.get("email", "")[:254])
    flash(_("The sign-in page had expired, so you are not signed in. Enter your password again."), "error")
    return render_template("accounts/signin.html", form=form), 400


def complete_signin(user: User, target: str | None, detail: str = ""):
    """Sign ``user`` in, in a new session: nothing from before survives into it."""
    session.clear()
    login_user(user)
    now = int(time.time())
    session["signed_in_at"] = session["seen_at"] = session["confirmed_at"] = now
    event(SecurityEventKind.SIGNIN_SUCCEEDED, user, detail=detail)
    db.session.commit()
    return redirect(target or url_for("tracking.index"))


def pending_user() -> User | None:
    """Who gave the right password in this session in the last few minutes, still valid."""
    pending = session.get("pending")
    if not isinstance(pending, dict) or int(time.time()) - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = load_user(str(pending.get("user", "")))
    return user


def _pending_key() -> str:
    if current_user.is_authenticated:
        return f"signin-code:{current_user.id}"
    pending = session.get("pending") or {}
    return "signin-code:" + str(pending.get("user", "")).partition(":")[0]


def _start_again():
    session.pop("pending", None)
    flash(_("Please sign in again: the step before the code took too long."), "warning")
    return redirect(url_for("auth.signin"))


@bp.route("/signin/code", methods=["GET", "POST"])
@requires(Need.PUBLIC)
@failure_limits(_pending_key, "signin-code")
def code():
    """The second step: the code from the person's authenticator app."""
    user = pending_user()
    if user is None or not user.two_step:
        return _start_again()
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        if accept_code(user, form.code.data, datetime.now(UTC), secret_box()):
            return complete_signin(user, session["pending"].get("next"), "two-step")
        db.session.rollback()
        event(SecurityEventKind.SIGNIN_FAILED, user, detail="wrong or reused code")
        db.session.commit()
        form.code.errors.append(_("This code is not right, or was already used. Try the next one."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("accounts/code.html", form=form), status


def setup_page(form: CodeForm, user: User, secret: str, *, required: bool, wrong_code: bool = False) -> str:
    """The page that shows a new secret as a QR code and as text, and asks for its first code."""
    if wrong_code:
        form.code.errors.append(_("This code is not right: check the app's time and enter its current code."))
    qr = qr_data_uri(secret, user.email)
    return render_template("accounts/setup.html", form=form, secret=grouped(secret), qr=qr, required=required)


def enrolment_secret(store, key: str) -> str:
    """The secret being set up, kept in the session cookie sealed: a signed cookie is readable
    by whoever holds it, and this secret must not be."""
    box = secret_box()
    secret = box.open(store[key]) if key in store else None
    if secret is None:
        secret = new_secret()
        store[key] = box.seal(secret)
        session.modified = True
    return secret


@bp.route("/signin/setup", methods=["GET", "POST"])
@requires(Need.PUBLIC)
@failure_limits(_pending_key, "signin-code")
def setup():
    """Two-step sign-in is required and this person has none yet: set it up, then sign in."""
    user = pending_user()
    if user is None or user.two_step:
        return _start_again()
    pending = session["pending"]
    secret = enrolment_secret(pending, "sealed_secret")
    form = CodeForm()
    if form.validate_on_submit():
        if enrol(user, secret, form.code.data, datetime.now(UTC), secret_box()):
            event(SecurityEventKind.TWO_STEP_ENABLED, user)
            return complete_signin(user, pending.get("next"), "two-step set up")
        db.session.rollback()
        event(SecurityEventKind.SIGNIN_FAILED, user, detail="wrong code while setting up two-step")
        db.session.commit()
        return setup_page(form, user, secret, required=True, wrong_code=True), 401
    return setup_page(form, user, secret, required=True), 422 if request.method == "POST" else 200


@bp.route("/account/two-step", methods=["GET", "POST"])
@requires(Need.ACCOUNT)
def two_step():
    """Turn on two-step sign-in for one's own account (it is on for good once required)."""
    user = current_user._get_current_object()
    if user.two_step:
        return render_template("accounts/two_step_on.html")
    secret = enrolment_secret(session, "enrol_secret")
    form = CodeForm()
    if form.validate_on_submit():
        if enrol(user, secret, form.code.data, datetime.now(UTC), secret_box()):
            session.pop("enrol_secret", None)
            event(SecurityEventKind.TWO_STEP_ENABLED, user)
            db.session.commit()
            flash(_("Two-step sign-in is on: each sign-in now asks for a code from your app."), "info")
            return redirect(url_for("auth.two_step"))
        db.session.rollback()
        return setup_page(form, user, secret, required=False, wrong_code=True), 422
    return setup_page(form, user, secret, required=False), 422 if request.method == "POST" else 200


@bp.route("/account/confirm", methods=["GET", "POST"])
@requires(Need.ACCOUNT)
@failure_limits(_pending_key, "signin-code")
def confirm():
    """Enter the password (and code) again before a sensitive change."""
    user = current_user._get_current_object()
    form = ConfirmForm()
    status = 200
    if form.validate_on_submit():
        right = authenticate(db.session, user.email, form.password.data) is not None
        if right and user.two_step:
            right = accept_code(user, form.code.data, datetime.now(UTC), secret_box())
        if right:
            session["confirmed_at"] = int(time.time())
            event(SecurityEventKind.CONFIRMED, user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("tracking.index"))
        db.session.rollback()
        event(SecurityEventKind.SIGNIN_FAILED, user, detail="confirmation failed")
        db.session.commit()
        form.password.errors.append(_("The password or the code is not right."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("accounts/confirm.html", form=form, two_step=user.two_step), status


@bp.route("/signout", methods=["POST"])
@requires(Need.ACCOUNT)
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
@requires(Need.ACCOUNT)
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
                return redirect(url_for("tracking.index"))
    elif request.method == "POST":
        status = 422
    return render_template("accounts/password.html", form=form, end_form=ConfirmForm(formdata=None)), status


@bp.post("/account/sessions/end")
@requires(Need.ACCOUNT)
def end_other_sessions():
    """End every other session of one's own (a forgotten computer): password first."""
    user = current_user._get_current_object()
    form = ConfirmForm()
    if form.validate_on_submit() and authenticate(db.session, user.email, form.password.data) is not None:
        user.session_nonce = new_session_nonce()
        event(SecurityEventKind.SIGNED_OUT, user, detail="other sessions ended")
        db.session.commit()
        # This session carries on under the new nonce; the others are over.
        login_user(user)
        flash(_("Your other sessions have ended."), "info")
        return redirect(url_for("auth.change_password"), 303)
    db.session.rollback()
    event(SecurityEventKind.SIGNIN_FAILED, user, detail="ending other sessions: wrong password")
    db.session.commit()
    flash(_("Password: this is not your password; no session was ended."), "error")
    return render_template("accounts/password.html", form=PasswordForm(formdata=None), end_form=form), 422
