"""Logging hours, correcting them, and each person's hours by year."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField

from tracker.accounts.models import User
from tracker.core import validation
from tracker.core.clock import today
from tracker.core.concurrency import Conflict
from tracker.core.extensions import db
from tracker.core.forms import VersionForm, field_errors, kept, problem
from tracker.core.pages import confirm_page, confirmed_by_form, flash_errors, refused_page, status_of
from tracker.core.permissions import Need, Role, requires
from tracker.core.scope import current_scope, get_or_404
from tracker.core.validation import Errors
from tracker.hours.display import format_hours
from tracker.hours.models import TimeEntry
from tracker.hours.services import delete_entry, log_hours, update_entry
from tracker.plans.loaders import plan_or_404, plans_in
from tracker.plans.models import Action, Plan

bp = Blueprint("hours", __name__)
MANAGEMENT = "management"


class EntryForm(FlaskForm):
    """One time entry."""

    spent_on = StringField(_l("Date"))
    hours = StringField(_l("Hours"))
    target = SelectField(_l("Spent on"))
    note = TextAreaField(_l("Note"))
    version = HiddenField()


def targets(plan: Plan, keep: int | None = None) -> list[SelectChoice]:
    """The overall-management line and every open action (and the entry's own, if archived)."""
    actions = db.session.scalars(
        sa.select(Action)
        .where(Action.plan_id == plan.id, sa.or_(Action.archived_at.is_(None), Action.id == keep))
        .order_by(Action.position)
    )
    return [
        SelectChoice(MANAGEMENT, _("Overall management")),
        *(SelectChoice(str(a.id), f"{a.code} {a.title}") for a in actions),
    ]


def read_entry(form: EntryForm, plan: Plan):
    """Date, hours, action (or ``None`` for management) and note, or :class:`Invalid`."""
    errors = Errors()
    errors.errors.update(field_errors(form))
    spent_on = errors.check("spent_on", validation.day, form.spent_on.data, years=plan.years, today=today())
    hours = errors.check("hours", validation.logged_hours, form.hours.data)
    note = errors.check("note", validation.text, form.note.data)
    action = None
    if form.target.data != MANAGEMENT and "target" not in errors.errors:
        action = db.session.scalar(
            sa.select(Action).where(Action.plan_id == plan.id, Action.id == _int(form.target.data))
        )
        if action is None:
            errors.errors["target"] = _("choose an action of this plan or overall management")
    errors.raise_any()
    return spent_on, hours, action, note


def _int(value) -> int:
    number = validation.digits(value)
    return number if number is not None and number <= validation.MAX_ID else -1


def entry_or_404(entry_id: int) -> TimeEntry:
    """An entry of the user's organisation that the user may change: their own, or any for admins."""
    entry = get_or_404(db.session, TimeEntry, entry_id)
    if entry.user_id != current_user.id and current_user.role is not Role.ADMIN:
        abort(403)
    return entry


def entry_form(plan: Plan, entry: TimeEntry | None = None) -> EntryForm:
    form = EntryForm()
    form.target.choices = targets(plan, keep=entry.action_id if entry is not None else None)
    return form


def entry_page(form: EntryForm, plan: Plan, entry: TimeEntry | None, status: int = 200):
    return render_template("hours/entry.html", form=form, plan=plan, entry=entry), status


def new_refused(error, plan_id: int):
    """The form again, with the input kept and each problem next to its field."""
    plan = plan_or_404(plan_id)
    form = kept(entry_form(plan), error)
    if isinstance(error, Conflict):
        form.target.errors = [*form.target.errors, error.message]
    return entry_page(form, plan, None, status_of(error))


@bp.route("/plans/<int:plan_id>/hours/new", methods=["GET", "POST"])
@requires(Need.EDIT)
@refused_page(new_refused)
def new(plan_id: int):
    """Log hours on an action or on the plan's overall-management line."""
    plan = plan_or_404(plan_id)
    form = entry_form(plan)
    if request.method == "GET":
        form.spent_on.data = today().isoformat() if today().year in plan.years else f"{plan.end_year}-12-31"
        form.target.data = request.args.get("action", MANAGEMENT)
        return entry_page(form, plan, None)
    spent_on, hours, action, note = read_entry(form, plan)
    log_hours(db.session, plan, person=current_user, spent_on=spent_on, hours=hours, action=action, note=note)
    db.session.commit()
    flash(_("%(hours)s logged on %(date)s.", hours=format_hours(hours), date=spent_on.isoformat()), "info")
    if action is not None:
        return redirect(url_for("tracking.action", action_id=action.id), 303)
    return redirect(url_for("hours.person", user_id=current_user.id), 303)


def edit_refused(error, entry_id: int):
    """The correction again; on a conflict, what the entry now reads, and its current version."""
    entry = entry_or_404(entry_id)
    form = kept(entry_form(entry.plan, entry), error)
    if isinstance(error, Conflict):
        flash(
            f"{error.message} "
            + _(
                "It now reads: %(date)s, %(hours)s. Your input is kept below.",
                date=entry.spent_on.isoformat(),
                hours=format_hours(entry.hours),
            ),
            "error",
        )
        form.version.data = entry.version
    return entry_page(form, entry.plan, entry, status_of(error))


@bp.route("/hours/<int:entry_id>/edit", methods=["GET", "POST"])
@requires(Need.EDIT)
@refused_page(edit_refused)
def edit(entry_id: int):
    """Correct a time entry (one's own; admins: anyone's)."""
    entry = entry_or_404(entry_id)
    plan = entry.plan
    form = entry_form(plan, entry)
    if request.method == "GET":
        form.spent_on.data = entry.spent_on.isoformat()
        form.hours.data = f"{entry.hours}"
        form.target.data = str(entry.action_id) if entry.action_id else MANAGEMENT
        form.note.data = entry.note
        form.version.data = entry.version
        return entry_page(form, plan, entry)
    spent_on, hours, action, note = read_entry(form, plan)
    version = validation.version("version", form.version.data)
    update_entry(db.session, entry, spent_on=spent_on, hours=hours, action=action, note=note, version=version)
    db.session.commit()
    flash(_("The entry is corrected."), "info")
    return redirect(url_for("hours.person", user_id=entry.user_id), 303)


def delete_refused(error, entry_id: int):
    """Back to the owner's hours, saying why nothing was deleted."""
    entry = db.session.get(TimeEntry, entry_id)
    if isinstance(error, Conflict):
        flash(error.message, "error")
    else:
        flash_errors(error.errors)
    owner = entry.user_id if entry is not None else current_user.id
    return redirect(url_for("hours.person", user_id=owner), 303)


@bp.post("/hours/<int:entry_id>/delete")
@requires(Need.EDIT)
@refused_page(delete_refused)
def delete(entry_id: int):
    """Delete a time entry; the history keeps it."""
    entry = entry_or_404(entry_id)
    form = VersionForm()
    owner = entry.user_id
    version = validation.version("version", form.version.data)
    if not confirmed_by_form():
        on = entry.action.code if entry.action is not None else _("overall management")
        return confirm_page(
            title=_("Delete the entry of %(date)s?", date=entry.spent_on.isoformat()),
            consequences=[
                _(
                    "The entry of %(hours)s on %(date)s by %(name)s, on %(on)s, will be deleted: "
                    "it leaves every total, the dashboard and the workbooks at once.",
                    hours=format_hours(entry.hours),
                    date=entry.spent_on.isoformat(),
                    name=entry.user.name,
                    on=on,
                ),
                _("The history keeps what it was, but the entry cannot be brought back."),
            ],
            button=_("Delete the entry of %(date)s", date=entry.spent_on.isoformat()),
            back=url_for("hours.person", user_id=owner),
        )
    delete_entry(db.session, entry, version=version)
    db.session.commit()
    flash(_("The entry is deleted; the history keeps what it was."), "info")
    return redirect(url_for("hours.person", user_id=owner), 303)


@dataclass(frozen=True)
class Spent:
    """What an entry was spent on: an action or a plan's overall management, as one filter value."""

    key: str
    label: str
    sort: tuple


def target_of(entry: TimeEntry) -> Spent:
    """What ``entry`` was spent on."""
    action = entry.action
    if action is not None:
        return Spent(str(action.id), f"{action.code} {action.title}", (0, action.position))
    return Spent(f"{MANAGEMENT}-{entry.plan_id}", _("Overall management"), (1, entry.plan_id))


def read_filter(args) -> tuple[int | None, str]:
    """The year and what the hours were spent on, from the query; a year not written as one is a 400."""
    year = None
    if args.get("year"):
        try:
            year = validation.year("year", args["year"])
        except validation.Invalid as error:
            abort(400, problem("year", error.errors["year"], labels={"year": _("Year")}))
    return year, args.get("on", "")


@bp.get("/people/<int:user_id>")
@requires(Need.READ)
def person(user_id: int):
    """A person's time entries by year, one line each, filtered by year and by what they were
    spent on; the totals of each action and each year; a way to log more."""
    person = get_or_404(db.session, User, user_id)
    entries = db.session.scalars(
        sa.select(TimeEntry)
        .where(TimeEntry.user_id == person.id)
        .options(selectinload(TimeEntry.action), selectinload(TimeEntry.plan))
        .order_by(TimeEntry.spent_on.desc(), TimeEntry.id.desc())
    ).all()
    year, on = read_filter(request.args)
    years = sorted({entry.spent_on.year for entry in entries}, reverse=True)
    choices = sorted({target_of(entry) for entry in entries}, key=lambda spent: spent.sort)
    shown = [
        entry
        for entry in entries
        if (year is None or entry.spent_on.year == year) and (not on or target_of(entry).key == on)
    ]
    by_year: dict[int, list[TimeEntry]] = defaultdict(list)
    for entry in shown:
        by_year[entry.spent_on.year].append(entry)
    totals = {y: sum((e.hours for e in rows), Decimal("0")) for y, rows in by_year.items()}
    # Totals of each action (and management line) by year, over the entries shown.
    per_action: dict[Spent, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in shown:
        per_action[target_of(entry)][entry.spent_on.year] += entry.hours
    shown_years = sorted(by_year, reverse=True)
    may_change = person.id == current_user.id or current_user.role is Role.ADMIN
    may_log = person.id == current_user.id and current_user.role is not Role.VIEWER
    return render_template(
        "hours/person.html",
        person=person,
        by_year=sorted(by_year.items(), reverse=True),
        totals=totals,
        per_action=sorted(per_action.items(), key=lambda item: item[0].sort),
        shown_years=shown_years,
        years=years,
        choices=choices,
        year=year,
        on=on,
        filtered=year is not None or bool(on),
        plans=plans_in(db.session, current_scope()) if may_log else [],
        may_change=may_change and current_user.role is not Role.VIEWER,
        delete_form=VersionForm(formdata=None),
    )
