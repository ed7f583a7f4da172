"""The plan as the gender group tracks it: the plans, a plan pillar by pillar, the action list,
an action with its history; changing statuses, marking occurrences, editing and adding actions."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField

from tracker.accounts.web import safe_next
from tracker.core import validation
from tracker.core.clock import today
from tracker.core.concurrency import Conflict
from tracker.core.extensions import db
from tracker.core.forms import TickedVersions, VersionForm, errors_for, field_errors, kept
from tracker.core.pages import confirm_page, confirmed_by_form, flash_errors, refused_page, status_of
from tracker.core.permissions import Need, can, requires
from tracker.core.scope import current_scope
from tracker.core.validation import Errors, Invalid
from tracker.plans import rules
from tracker.plans.editing import (
    ActionFields,
    add_action,
    archive_action,
    change_status,
    change_statuses,
    mark_occurrence,
    set_planned_hours,
    update_action,
)
from tracker.plans.history import action_history
from tracker.plans.loaders import (
    action_or_404,
    pillar_or_404,
    plan_or_404,
    plans_in,
    requested_year,
    to_the_plan,
)
from tracker.plans.models import Action, Cadence, Plan, Status
from tracker.tracking.flags import flags_of, last_changed
from tracker.tracking.lines import (
    ActionFilter,
    filter_rows,
    one_line,
    plan_overview,
    responsible_people,
    sort_rows,
)

bp = Blueprint("tracking", __name__)
bp.add_app_template_global(errors_for, "errors_for")

STATUS_CHOICES = [SelectChoice(status.value, _l(status.value)) for status in Status]
CADENCE_CHOICES = [SelectChoice(cadence.value, _l(cadence.value)) for cadence in Cadence]


class StatusForm(FlaskForm):
    """A new status with a short note."""

    status = SelectField(_l("New status"), choices=STATUS_CHOICES)
    note = TextAreaField(_l("Note"))
    as_of = StringField(_l("Took effect on"))
    version = HiddenField()


class BulkStatusForm(FlaskForm):
    """One status and one note for every ticked action."""

    # No status is chosen for the person: a slip of the Enter key must not complete ten actions.
    status = SelectField(
        _l("New status for the ticked actions"),
        choices=[SelectChoice("", _l("Choose a status…")), *STATUS_CHOICES],
        default="",
    )
    note = TextAreaField(_l("Note for all of them"))
    action = TickedVersions()


class OccurrenceForm(FlaskForm):
    """Done or not done, with a note."""

    done = HiddenField()
    note = StringField(_l("Note"))
    version = HiddenField()


class ActionForm(FlaskForm):
    """An action's text, timeline, budgets, resources and people."""

    code = StringField(_l("Code"))
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    objectives = TextAreaField(_l("Objectives"))
    start_year = StringField(_l("Start year"))
    end_year = StringField(_l("End year (leave empty when open)"))
    cadence = SelectField(_l("Cadence"), choices=CADENCE_CHOICES)
    timeline_text = StringField(_l("Timeline as the plan words it"))
    resources_text = TextAreaField(_l("Other resources"))
    resources_amount = StringField(_l("Amount of money"))
    resources_currency = StringField(_l("Currency"))
    responsible = StringField(_l("Responsible (separate names with ;)"))
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default=Status.UPCOMING.value)
    version = HiddenField()


def planned_field(year: int) -> str:
    return f"planned_{year}"


def action_form(plan: Plan, **kwargs) -> ActionForm:
    """The action form for ``plan``: the fields above and a budget input for each of its years."""
    budgets = {
        planned_field(year): StringField(_l("Planned hours %(year)s", year=year)) for year in plan.years
    }
    return type("PlanActionForm", (ActionForm,), budgets)(**kwargs)


def read_action_form(form: ActionForm, plan: Plan) -> tuple[ActionFields, dict[int, Decimal | None]]:
    """The action form's values, or :class:`Invalid` with every field's problem."""
    errors = Errors()
    start_year, end_year = validation.timeline(errors, form.start_year.data, form.end_year.data)
    amount = errors.check("resources_amount", validation.money, form.resources_amount.data)
    fields = ActionFields(
        title=errors.check("title", validation.title, form.title.data),
        description=errors.check("description", validation.text, form.description.data),
        objectives=errors.check("objectives", validation.text, form.objectives.data),
        start_year=start_year,
        end_year=end_year,
        cadence=errors.check("cadence", rules.cadence, form.cadence.data),
        timeline_text=errors.check("timeline_text", validation.text, form.timeline_text.data, limit=300),
        resources_text=errors.check("resources_text", validation.text, form.resources_text.data),
        resources_amount=amount,
        resources_currency=errors.check(
            "resources_currency", validation.currency, form.resources_currency.data, amount
        ),
        responsible=errors.check("responsible", validation.text, form.responsible.data, limit=2000),
    )
    planned: dict[int, Decimal | None] = {}
    for plan_year in plan.years:
        raw = form[planned_field(plan_year)].data or ""
        planned[plan_year] = (
            None if not raw.strip() else errors.check(planned_field(plan_year), validation.planned_hours, raw)
        )
    errors.raise_any()
    return fields, planned


# The plans, a plan ---------------------------------------------------------------------------


@bp.route("/")
@requires(Need.ACCOUNT)
def index():
    """Straight to the plan when the organisation has one; else the list. A coordinator, who
    has no organisation, to the networks they coordinate."""
    if not can(current_user, Need.READ):
        return redirect(url_for("networks.index"))
    return to_the_plan("tracking.plan")


@bp.route("/plans")
@requires(Need.READ)
def plans():
    """The organisation's plans."""
    return render_template("tracking/list.html", plans=plans_in(db.session, current_scope()))


@bp.route("/plans/<int:plan_id>")
@requires(Need.READ)
def plan(plan_id: int):
    """A plan, pillar by pillar, with this year's hours."""
    plan = plan_or_404(plan_id)
    year = requested_year(plan, request.args.get("year"))
    overview = plan_overview(db.session, plan, year, today())
    return render_template("tracking/plan.html", plan=plan, overview=overview, year=year)


@bp.route("/actions/<int:action_id>")
@requires(Need.READ)
def action(action_id: int):
    """An action with all its fields, its occurrences, its hours by year and its history."""
    return action_page(action_or_404(action_id))


# Finding actions ----------------------------------------------------------------------------


def read_filter(plan: Plan) -> tuple[ActionFilter, str, bool]:
    """The list's filter and order from the URL, so that a filtered list can be shared."""
    args = request.args
    pillar_id = None
    if args.get("pillar"):
        pillar_id = validation.digits(args["pillar"])
        if pillar_id not in {p.id for p in plan.pillars}:
            abort(400, _("pillar: %(value)s is not a pillar of this plan.", value=args["pillar"][:20]))
    status = None
    if args.get("status"):
        try:
            status = Status(args["status"])
        except ValueError:
            abort(400, _("status: must be one of completed, ongoing, upcoming."))
    criteria = ActionFilter(
        pillar_id=pillar_id,
        status=status,
        late=args.get("late") == "1",
        responsible=args.get("responsible", "")[:200],
        text=args.get("q", "")[:200],
    )
    return criteria, args.get("sort", "code"), args.get("dir") == "desc"


@bp.get("/plans/<int:plan_id>/actions")
@requires(Need.READ)
def actions(plan_id: int):
    """The plan's actions, filtered by pillar, status, late, year and person, searchable, sortable."""
    plan = plan_or_404(plan_id)
    year = requested_year(plan, request.args.get("year"))
    overview = plan_overview(db.session, plan, year, today())
    criteria, sort, descending = read_filter(plan)
    rows = sort_rows(filter_rows(overview.rows, criteria), sort, descending)
    changed = last_changed(db.session, [plan])
    return render_template(
        "tracking/actions.html",
        plan=plan,
        year=year,
        rows=rows,
        flags={
            row.action.id: flags_of(row.action, row.hours, year, today(), changed.get(row.action.id))
            for row in rows
        },
        total=len(overview.rows),
        criteria=criteria,
        sort=sort,
        descending=descending,
        people=responsible_people(overview.rows),
        bulk=BulkStatusForm(),
    )


def bulk_refused(error, plan_id: int):
    """Back to the list, saying what was wrong; nothing changed."""
    if isinstance(error, Conflict):
        flash(_(error.message) + " " + _("Here is the list as it is now."), "error")
    else:
        flash_errors(error.errors, labels={"actions": _("Ticked actions"), "status": _("New status")})
    return redirect(bulk_back(plan_id)), 303


def bulk_back(plan_id: int) -> str:
    return safe_next(request.form.get("back")) or url_for("tracking.actions", plan_id=plan_id)


@bp.post("/plans/<int:plan_id>/actions/status")
@requires(Need.EDIT)
@refused_page(bulk_refused)
def bulk_status(plan_id: int):
    """Change the status of every ticked action at once, with one note."""
    plan = plan_or_404(plan_id)
    form = BulkStatusForm()
    if not form.validate_on_submit() or form.status.data not in {status.value for status in Status}:
        raise Invalid({"status": _("choose a status")})
    # Never more than the plan has actions: a list of a million ids is refused before it is read.
    count = db.session.scalar(sa.select(sa.func.count(Action.id)).where(Action.plan_id == plan.id))
    versions = form.action.versions("actions", most=max(count, 1))
    if not versions:
        raise Invalid({"actions": _("tick at least one action")})
    note = validation.text("note", form.note.data)
    changed = change_statuses(db.session, plan, versions, status=Status(form.status.data), note=note)
    db.session.commit()
    flash(_("%(count)s actions are now %(status)s.", count=len(changed), status=_(form.status.data)), "info")
    return redirect(bulk_back(plan.id)), 303


# One action -----------------------------------------------------------------------------------


def action_page(action, status: int = 200, *, status_form=None, theirs=None):
    """The action's page with its forms; ``theirs`` shows a conflicting change beside yours."""
    line = one_line(db.session, action, today())
    marks = {mark.year: mark for mark in action.occurrences}
    return render_template(
        "tracking/action.html",
        plan=action.pillar.plan,
        action=action,
        occurrences=line.occurrences,
        marks=marks,
        late=line.late,
        why_late=line.why_late,
        planned=line.planned,
        logged=line.logged,
        history=action_history(db.session, action),
        status_form=status_form
        or StatusForm(
            formdata=None, status=action.status.value, as_of=today().isoformat(), version=action.version
        ),
        occurrence_form=OccurrenceForm(formdata=None),
        theirs=theirs,
        today_iso=today().isoformat(),
    ), status


def status_refused(error, action_id: int):
    """The action's page with the status form kept; on a conflict, the current status beside it."""
    action = action_or_404(action_id)
    form = kept(StatusForm(), error)
    if isinstance(error, Conflict):
        flash(error.message, "error")
        # Keep what the person typed; the version is now the current one, so saving again is
        # a choice made with both changes in view.
        form.version.data = action.version
        return action_page(action, 409, status_form=form, theirs=True)
    return action_page(action, 422, status_form=form)


def took_effect_on(errors: Errors, value):
    """The day a status change took effect: empty or today mean the day it is recorded."""
    if value is None or not str(value).strip():
        return None
    day = errors.check("as_of", validation.iso_date, value)
    return None if day == today() else day


@bp.post("/actions/<int:action_id>/status")
@requires(Need.EDIT)
@refused_page(status_refused)
def status(action_id: int):
    """Change an action's status with a note."""
    action = action_or_404(action_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return action_page(action, 400, status_form=form)
    errors = Errors()
    new = errors.check("status", rules.status, form.status.data)
    note = errors.check("note", validation.text, form.note.data)
    version = errors.check("version", validation.version, form.version.data)
    as_of = took_effect_on(errors, form.as_of.data)
    errors.raise_any()
    changed = change_status(
        db.session, action, status=new, note=note, version=version, as_of=as_of, today=today()
    )
    db.session.commit()
    if changed:
        flash(_("%(code)s is now %(status)s.", code=action.code, status=_(action.status.value)), "info")
    elif note:
        flash(
            _(
                "%(code)s is already %(status)s; your note is kept in its history.",
                code=action.code,
                status=_(action.status.value),
            ),
            "info",
        )
    else:
        flash(
            _("%(code)s is already %(status)s; nothing changed.", code=action.code, status=_(new.value)),
            "warning",
        )
    return redirect(url_for("tracking.action", action_id=action.id), 303)


def occurrence_refused(error, action_id: int, year: int):
    """The action's page, saying why the occurrence was not marked."""
    if isinstance(error, Conflict):
        flash(error.message, "error")
    else:
        flash_errors(error.errors)
    return action_page(action_or_404(action_id), status_of(error))


@bp.post("/actions/<int:action_id>/occurrences/<int:year>")
@requires(Need.EDIT)
@refused_page(occurrence_refused)
def occurrence(action_id: int, year: int):
    """Mark an occurrence of a recurring action done or not done."""
    action = action_or_404(action_id)
    form = OccurrenceForm()
    if not form.validate_on_submit():
        abort(400)
    errors = Errors()
    done = errors.check("done", validation.boolean, form.done.data)
    note = errors.check("note", validation.text, form.note.data, limit=2000)
    version = errors.check("version", validation.version, form.version.data)
    errors.raise_any()
    mark_occurrence(db.session, action.pillar.plan, action, year=year, done=done, note=note, version=version)
    db.session.commit()
    flash(
        _("The %(year)s occurrence is marked done.", year=year)
        if done
        else _("The %(year)s occurrence is marked not done.", year=year),
        "info",
    )
    return redirect(url_for("tracking.action", action_id=action.id), 303)


def fill_planned(form: ActionForm, plan: Plan, action=None) -> dict:
    """The budget inputs' values: the person's input when there is some, else what is saved."""
    saved = {row.year: row.hours for row in action.planned_hours} if action is not None else {}
    sent = {plan_year: form[planned_field(plan_year)].data for plan_year in plan.years}
    return {
        plan_year: saved.get(plan_year, "") if value is None else value for plan_year, value in sent.items()
    }


def action_form_page(
    form: ActionForm, pillar, action=None, status: int = 200, *, originals=None, conflict=None
):
    """The action form; ``originals`` are the values the person started from (hidden, sent back
    with the form), ``conflict`` the rows of a conflict: field by field, theirs and yours."""
    return render_template(
        "tracking/action_form.html",
        form=form,
        plan=pillar.plan,
        action=action,
        pillar=pillar,
        planned=fill_planned(form, pillar.plan, action),
        originals=originals or {},
        conflict=conflict,
    ), status


# The fields the action form edits, besides the budget of each year.
EDITED = tuple(field.name for field in dataclasses.fields(ActionFields))
ORIGINAL = "original_"


def _as_typed(value) -> str:
    """A saved value as the form shows it."""
    if value is None:
        return ""
    return value.value if isinstance(value, enum.Enum) else str(value)


def form_values(action, plan: Plan) -> dict[str, str]:
    """The action as saved, field by field, as the form shows it (the budgets of each year too)."""
    budgets = {row.year: row.hours for row in action.planned_hours}
    values = {name: _as_typed(getattr(action, name)) for name in EDITED}
    values.update({planned_field(year): _as_typed(budgets.get(year)) for year in plan.years})
    return values


def same_input(one: str | None, other: str | None) -> bool:
    """Whether two typed values say the same (line endings, spaces around and ``40`` = ``40.00``)."""
    one, other = ((value or "").replace("\r\n", "\n").strip() for value in (one, other))
    if one == other:
        return True
    try:
        return validation.decimal("value", one) == validation.decimal("value", other)
    except Invalid:
        return False


@dataclass(frozen=True)
class ConflictRow:
    """A field that changed since the person opened the form: when they opened it, theirs, yours."""

    label: str
    started: str
    theirs: str
    yours: str | None  # None: the person did not change it


def merge_conflict(action, plan: Plan, sent, form: ActionForm) -> tuple[dict[str, str], list[ConflictRow]]:
    """What a stale form becomes: the current record, with only the fields the person changed
    (compared with the values they started from, sent back as ``original_*``) on top.

    A field whose starting value did not come back counts as changed when it differs from the
    current record, so nothing the person typed is dropped unseen.
    """
    current = form_values(action, plan)
    merged = dict(current)
    rows = []
    for name, theirs in current.items():
        typed = sent.get(name, "")
        started = sent.get(ORIGINAL + name)
        changed_by_you = not same_input(typed, theirs if started is None else started)
        if changed_by_you:
            merged[name] = typed
        changed_by_them = started is not None and not same_input(started, theirs)
        if changed_by_you or changed_by_them:
            rows.append(
                ConflictRow(
                    label=str(form[name].label.text),
                    started="" if started is None else started,
                    theirs=theirs,
                    yours=typed if changed_by_you else None,
                )
            )
    return merged, rows


def edit_refused(error, action_id: int):
    """On a conflict, the current record with the person's own changes on top, each changed
    field shown as it was, as saved by someone else and as typed, and the current version;
    on invalid input, the form as sent, with the values the person started from."""
    action = action_or_404(action_id)
    plan = action.pillar.plan
    if isinstance(error, Conflict):
        flash(
            f"{error.message} "
            + _("The form has their version with your changes on top; check it and save again."),
            "error",
        )
        merged, rows = merge_conflict(action, plan, request.form, action_form(plan))
        form = action_form(plan, formdata=None, data=merged)
        form.version.data = action.version
        # From now on the person starts from the current record.
        return action_form_page(
            form, action.pillar, action, 409, originals=form_values(action, plan), conflict=rows
        )
    form = kept(action_form(plan), error)
    current = form_values(action, plan)
    originals = {name: request.form.get(ORIGINAL + name, value) for name, value in current.items()}
    return action_form_page(form, action.pillar, action, 422, originals=originals)


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@requires(Need.EDIT)
@refused_page(edit_refused)
def edit(action_id: int):
    """Edit an action's text, timeline, budgets, resources and people."""
    action = action_or_404(action_id)
    plan = action.pillar.plan
    if action.archived_at is not None:
        flash(_("%(code)s is archived and can no longer be changed.", code=action.code), "error")
        return redirect(url_for("tracking.action", action_id=action.id), 303)
    if request.method == "GET":
        form = action_form(plan, obj=action)
        form.cadence.data = action.cadence.value
        form.version.data = action.version
        return action_form_page(form, action.pillar, action, originals=form_values(action, plan))
    form = action_form(plan)
    offered = field_errors(form)
    fields, planned = read_action_form(form, plan)
    version = validation.version("version", form.version.data)
    if offered:
        raise Invalid(offered)
    update_action(db.session, action, fields, planned, version=version)
    db.session.commit()
    flash(_("%(code)s is saved.", code=action.code), "info")
    return redirect(url_for("tracking.action", action_id=action.id), 303)


def new_refused(error, pillar_id: int):
    """The new action's form as sent, each problem next to its field."""
    pillar = pillar_or_404(pillar_id)
    form = kept(action_form(pillar.plan), error)
    if isinstance(error, Conflict):
        flash(error.message, "error")
    return action_form_page(form, pillar, None, status_of(error))


@bp.route("/pillars/<int:pillar_id>/actions/new", methods=["GET", "POST"])
@requires(Need.EDIT)
@refused_page(new_refused)
def new(pillar_id: int):
    """Add an action to a pillar."""
    pillar = pillar_or_404(pillar_id)
    plan = pillar.plan
    form = action_form(plan)
    if request.method == "GET":
        form.start_year.data = min(max(today().year, plan.start_year), plan.end_year)
        return action_form_page(form, pillar)
    errors = Errors()
    errors.errors.update(field_errors(form))
    code = errors.check("code", rules.action_code, form.code.data)
    new_status = errors.check("status", rules.status, form.status.data)
    try:
        fields, planned = read_action_form(form, plan)
    except Invalid as error:
        errors.errors.update(error.errors)
    errors.raise_any()
    action = add_action(db.session, pillar, code=code, fields=fields, status=new_status)
    set_planned_hours(db.session, action, planned)
    db.session.flush()
    db.session.commit()
    flash(_("%(code)s is added to %(pillar)s.", code=action.code, pillar=pillar.name), "info")
    return redirect(url_for("tracking.action", action_id=action.id), 303)


def archive_refused(error, action_id: int):
    """Back to the action, saying why it was not archived."""
    flash(str(error) if isinstance(error, Invalid) else error.message, "error")
    return redirect(url_for("tracking.action", action_id=action_id), 303)


@bp.post("/actions/<int:action_id>/archive")
@requires(Need.ADMIN)
@refused_page(archive_refused)
def archive(action_id: int):
    """Archive an action: it leaves the lists, its hours and history stay."""
    action = action_or_404(action_id)
    form = VersionForm()
    version = validation.version("version", form.version.data)
    if not confirmed_by_form():
        return confirm_page(
            title=_("Archive %(code)s?", code=action.code),
            consequences=[
                _(
                    "%(code)s %(title)s will leave the plan's pages and lists, and can no longer be "
                    "changed, get a new status or have hours logged.",
                    code=action.code,
                    title=action.title,
                ),
                _(
                    "Its hours and history are kept. An admin can restore it from the plan's page "
                    "under Manage plans."
                ),
            ],
            button=_("Archive %(code)s", code=action.code),
            back=url_for("tracking.action", action_id=action.id),
        )
    archive_action(db.session, action, version=version)
    db.session.commit()
    flash(_("%(code)s is archived; its hours and history are kept.", code=action.code), "info")
    return redirect(url_for("tracking.plan", plan_id=action.plan_id), 303)
