"""Administration: users and their roles, and API tokens. Admins only, their organisation only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from tracker.accounts.events import security_log
from tracker.accounts.models import ApiToken, SecurityEventKind, User, new_session_nonce
from tracker.accounts.services import (
    AccountError,
    change_role,
    create_token,
    create_user,
    revoke_token,
    set_active,
    set_password,
    tokens_of,
)
from tracker.accounts.twostep import reset as reset_two_step
from tracker.accounts.web import confirmed, event
from tracker.core import validation
from tracker.core.extensions import db
from tracker.core.forms import problem
from tracker.core.pages import confirm_page, confirmed_by_form
from tracker.core.permissions import Need, Role, requires
from tracker.core.scope import current_scope, get_or_404, scoped

bp = Blueprint("admin", __name__, url_prefix="/admin")

# How the users page names what an account refusal is about.
ACCOUNT_LABELS = {
    "role": _l("Role"),
    "active": _l("Account"),
    "email": _l("Email"),
    "password": _l("Password"),
}

ROLE_CHOICES = [
    SelectChoice(Role.VIEWER.value, _l("viewer (management: reads everything)")),
    SelectChoice(Role.EDITOR.value, _l("editor (gender group: keeps the plan current)")),
    SelectChoice(Role.ADMIN.value, _l("admin (also users, plans and allocations)")),
]


class NewUserForm(FlaskForm):
    """A new account with its first password, which the admin passes on."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.VIEWER.value)
    password = PasswordField(_l("First password"), validators=[DataRequired(), Length(max=1024)])


class RoleForm(FlaskForm):
    """A new role for one user, from the version the admin saw."""

    # The users table names the roles in a line above it; the menu in each row stays short.
    role = SelectField(_l("Role"), choices=[SelectChoice(role.value, _l(role.value)) for role in Role])
    version = IntegerField(validators=[DataRequired()])


class ActiveForm(FlaskForm):
    """Deactivate or reactivate."""

    active = HiddenField(validators=[DataRequired()])


class ResetPasswordForm(FlaskForm):
    """A new password set by an admin."""

    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )


class TokenForm(FlaskForm):
    """A new API token for a user of the organisation."""

    user_id = SelectField(_l("User"), coerce=int)
    name = StringField(_l("Purpose"), validators=[Length(max=100)])


def members():
    """The users of the admin's organisation."""
    return db.session.scalars(scoped(sa.select(User), User, current_scope()).order_by(User.name)).all()


def member_or_404(user_id: int) -> User:
    """A user of the admin's organisation; another's is as good as absent."""
    return get_or_404(db.session, User, user_id)


def users_page(status: int = 200):
    """The users page, with whatever was flashed, answering ``status``."""
    page = render_template(
        "accounts/admin/users.html", users=members(), role_form=RoleForm, active_form=ActiveForm()
    )
    return page, status


@bp.get("/users")
@requires(Need.ADMIN)
def users():
    """Every user of the organisation, with their role and whether they are active."""
    return users_page()


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Need.ADMIN)
@confirmed
def new_user():
    """Create a user with a role and a first password."""
    form = NewUserForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = create_user(
                db.session,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data,
                organisation=current_user.organisation,
            )
            db.session.flush()
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
            status = 422
        else:
            event(SecurityEventKind.USER_CREATED, user, detail=f"role={user.role.value}")
            db.session.commit()
            flash(_("%(name)s can now sign in as %(role)s.", name=user.name, role=_(user.role.value)), "info")
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        status = 422
    return render_template("accounts/admin/user_new.html", form=form), status


@bp.post("/users/<int:user_id>/role")
@requires(Need.ADMIN)
@confirmed
def user_role(user_id: int):
    """Change a user's role; the last admin keeps theirs."""
    user = member_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Role: choose one of the roles."), "error")
        return redirect(url_for("admin.users")), 303
    if form.version.data != user.version:
        message = _(
            "%(name)s was changed by someone else meanwhile; nothing was saved. "
            "Here is the account as it is now.",
            name=user.name,
        )
        flash(message, "error")
        return users_page(409)
    before = user.role
    try:
        change_role(db.session, user, form.role.data)
    except AccountError as error:
        db.session.rollback()
        flash(problem(error.field, error.message, labels=ACCOUNT_LABELS), "error")
        return users_page(422)
    if user.role != before:
        event(SecurityEventKind.ROLE_CHANGED, user, detail=f"{before.value} -> {user.role.value}")
        db.session.commit()
        flash(_("%(name)s is now %(role)s.", name=user.name, role=_(user.role.value)), "info")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<int:user_id>/active")
@requires(Need.ADMIN)
@confirmed
def user_active(user_id: int):
    """Deactivate (sessions and tokens stop at once) or reactivate a user."""
    user = member_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit() or form.active.data not in {"0", "1"}:
        abort(400, _("active: must be 0 or 1."))
    active = form.active.data == "1"
    if not active and user.active and not confirmed_by_form():
        return confirm_page(
            title=_("Deactivate %(name)s?", name=user.name),
            consequences=[
                _(
                    "%(name)s (%(email)s) will be signed out everywhere at once, and their API tokens "
                    "stop working. They cannot sign in until an admin reactivates them.",
                    name=user.name,
                    email=user.email,
                ),
            ],
            button=_("Deactivate %(name)s", name=user.name),
            back=url_for("admin.users"),
        )
    try:
        set_active(db.session, user, active)
    except AccountError as error:
        db.session.rollback()
        flash(problem(error.field, error.message, labels=ACCOUNT_LABELS), "error")
        return users_page(422)
    event(SecurityEventKind.USER_REACTIVATED if active else SecurityEventKind.USER_DEACTIVATED, user)
    db.session.commit()
    if active:
        flash(_("%(name)s can sign in again.", name=user.name), "info")
    else:
        flash(_("%(name)s is deactivated: their sessions and tokens no longer work.", name=user.name), "info")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<int:user_id>/two-step")
@requires(Need.ADMIN)
@confirmed
def user_two_step(user_id: int):
    """Reset a user's two-step sign-in (a lost phone): they set it up again at their next sign-in."""
    user = member_or_404(user_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    reset_two_step(user)
    user.session_nonce = new_session_nonce()
    event(SecurityEventKind.TWO_STEP_RESET, user)
    db.session.commit()
    flash(
        _(
            "The two-step sign-in of %(name)s is reset; they set it up again at their next sign-in.",
            name=user.name,
        ),
        "info",
    )
    return redirect(url_for("admin.users"), 303)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@requires(Need.ADMIN)
@confirmed
def user_password(user_id: int):
    """Set a new password for a user; their sessions end."""
    user = member_or_404(user_id)
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            set_password(user, form.new.data)
        except AccountError as error:
            form.new.errors.append(error.message)
            status = 422
        else:
            event(SecurityEventKind.PASSWORD_RESET, user)
            db.session.commit()
            message = _("The password of %(name)s has been reset; their sessions have ended.", name=user.name)
            flash(message, "info")
            return redirect(url_for("admin.users"), 303)
    elif request.method == "POST":
        status = 422
    return render_template("accounts/admin/user_password.html", form=form, user=user), status


def token_form() -> TokenForm:
    form = TokenForm()
    form.user_id.choices = [
        SelectChoice(str(user.id), f"{user.name} <{user.email}>") for user in members() if user.active
    ]
    return form


@bp.route("/tokens", methods=["GET", "POST"])
@requires(Need.ADMIN)
@confirmed
def tokens():
    """The organisation's API tokens; a new token is shown once, here, and stored hashed."""
    form = token_form()
    new_token = None
    status = 200
    if form.validate_on_submit():
        user = member_or_404(form.user_id.data)
        row, new_token = create_token(db.session, user, form.name.data or "")
        db.session.flush()
        event(SecurityEventKind.TOKEN_CREATED, user, detail=f"token {row.id}")
        db.session.commit()
    elif request.method == "POST":
        status = 422
    return render_template(
        "accounts/admin/tokens.html",
        form=form,
        tokens=tokens_of(db.session, current_scope()),
        new_token=new_token,
    ), status


@bp.post("/tokens/<int:token_id>/revoke")
@requires(Need.ADMIN)
def revoke(token_id: int):
    """Revoke a token: calls with it get 401 from now on."""
    token = get_or_404(db.session, ApiToken, token_id)
    form = ActiveForm(active="0")
    if not form.validate_on_submit():
        abort(400)
    if token.revoked_at is None and not confirmed_by_form():
        purpose = token.name or _("no purpose given")
        return confirm_page(
            title=_("Revoke token %(id)s?", id=token.id),
            consequences=[
                _(
                    "Token %(id)s of %(name)s (%(purpose)s): every call with it gets 401 from now on.",
                    id=token.id,
                    name=token.user.name,
                    purpose=purpose,
                ),
                _("A revoked token cannot be used again: whatever uses it needs a new token."),
            ],
            button=_("Revoke token %(id)s", id=token.id),
            back=url_for("admin.tokens"),
        )
    if revoke_token(token):
        event(SecurityEventKind.TOKEN_REVOKED, token.user, detail=f"token {token.id}")
        db.session.commit()
        flash(_("The token is revoked."), "info")
    return redirect(url_for("admin.tokens"), 303)


# --- The security log ------------------------------------------------------------------------

KIND_LABELS = {
    SecurityEventKind.SIGNIN_SUCCEEDED: _l("Signed in"),
    SecurityEventKind.SIGNIN_FAILED: _l("Sign-in failed"),
    SecurityEventKind.SIGNIN_THROTTLED: _l("Sign-in throttled"),
    SecurityEventKind.SIGNED_OUT: _l("Signed out"),
    SecurityEventKind.SESSION_EXPIRED: _l("Session expired"),
    SecurityEventKind.USER_CREATED: _l("User created"),
    SecurityEventKind.ROLE_CHANGED: _l("Role changed"),
    SecurityEventKind.USER_DEACTIVATED: _l("User deactivated"),
    SecurityEventKind.USER_REACTIVATED: _l("User reactivated"),
    SecurityEventKind.PASSWORD_RESET: _l("Password reset by an admin"),
    SecurityEventKind.PASSWORD_CHANGED: _l("Password changed"),
    SecurityEventKind.TOKEN_CREATED: _l("API token created"),
    SecurityEventKind.TOKEN_REVOKED: _l("API token revoked"),
    SecurityEventKind.FORBIDDEN: _l("Refused (403)"),
    SecurityEventKind.TWO_STEP_ENABLED: _l("Two-step sign-in set up"),
    SecurityEventKind.TWO_STEP_RESET: _l("Two-step sign-in reset"),
    SecurityEventKind.CONFIRMED: _l("Identity confirmed again"),
    SecurityEventKind.REPORT_MADE_PUBLIC: _l("Report made public"),
    SecurityEventKind.REPORT_MADE_PRIVATE: _l("Report made private"),
}


def log_filter() -> tuple[SecurityEventKind | None, int]:
    """The kind and page asked for in the URL; a bad one is a 400 naming the parameter."""
    kind = None
    if request.args.get("kind"):
        try:
            kind = SecurityEventKind(request.args["kind"])
        except ValueError:
            abort(400, _("kind: %(value)s is not a kind of security event.", value=request.args["kind"][:40]))
    page = request.args.get("page", "1")
    number = validation.digits(page, most=7)
    if number is None or not 1 <= number <= 1_000_000:
        abort(400, _("page: must be a whole number from 1."))
    return kind, number


@bp.get("/security")
@requires(Need.ADMIN)
def security():
    """The organisation's security events, newest first: sign-ins, refusals, account changes."""
    kind, page = log_filter()
    log = security_log(db.session, current_scope(), kind=kind, page=page)
    if page > log.pages:
        abort(404)
    return render_template("accounts/admin/security.html", log=log, kind=kind, labels=KIND_LABELS)
