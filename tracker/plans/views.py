"""Admin pages for plans: title and period, ordered pillars, and each year's allocation lines."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from tracker.core import validation
from tracker.core.concurrency import Conflict
from tracker.core.extensions import db
from tracker.core.forms import VersionForm
from tracker.core.pages import flash_unshown, refused_page
from tracker.core.permissions import Need, requires
from tracker.core.scope import current_scope
from tracker.core.validation import Errors
from tracker.plans import admin as planning
from tracker.plans.editing import restore_action
from tracker.plans.loaders import action_or_404, line_or_404, pillar_or_404, plan_or_404, plans_in
from tracker.plans.models import Action, AllocationKind, AllocationLine, Sharing
from tracker.plans.plan_templates import (
    MAX_GUIDANCE,
    MAX_TEMPLATE_BYTES,
    TemplateInvalid,
    add_template,
    find_template,
    templates_for,
)
from tracker.plans.sharing import set_sharing

bp = Blueprint("planning", __name__, url_prefix="/admin/plans")

# The fields the plan pages draw as inputs, with their problems beside them; the problems of the
# others (a version, a kind chosen from a list, a move) are said at the top of the page.
DRAWN = {"title", "start_year", "end_year", "name", "guidance", "year", "hours", "description", "sharing"}


class PlanForm(FlaskForm):
    """A plan's title and period (a new plan has no version yet)."""

    title = StringField()
    start_year = StringField()
    end_year = StringField()
    version = HiddenField()


class SharingForm(FlaskForm):
    """Who besides the organisation may read the plan."""

    sharing = StringField()
    version = HiddenField()


class PillarForm(FlaskForm):
    """A pillar's name and guidance, or a move up or down."""

    name = StringField()
    guidance = TextAreaField()
    move = HiddenField()
    version = HiddenField()


class LineForm(FlaskForm):
    """A line of a year's allocation, or its deletion."""

    year = StringField()
    kind = StringField()
    name = StringField()
    hours = StringField()
    description = TextAreaField()
    delete = HiddenField()
    version = HiddenField()


def page(plan, status=200, *, form_key=None, problems=None):
    """The plan's admin page; ``problems`` sit next to their fields in the form ``form_key``."""
    lines = db.session.scalars(
        sa.select(AllocationLine)
        .where(AllocationLine.plan_id == plan.id)
        .order_by(AllocationLine.year, AllocationLine.position, AllocationLine.id)
    ).all()
    archived = db.session.scalars(
        sa.select(Action)
        .where(Action.plan_id == plan.id, Action.archived_at.is_not(None))
        .order_by(Action.archived_at.desc(), Action.id)
    ).all()
    return render_template(
        "plans/plan.html",
        plan=plan,
        lines=lines,
        archived=archived,
        kinds=[kind.value for kind in AllocationKind],
        sharings=list(Sharing),
        form_key=form_key,
        problems=problems or {},
        posted=request.form if request.method == "POST" else {},
    ), status


def done(plan, message: str):
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("planning.plan", plan_id=plan.id), 303)


def back_to_plan(form_key: str):
    """The plan's admin page again, the problems next to the fields of the form ``form_key``
    (formatted with the view's ids, such as ``pillar-{pillar_id}``)."""

    def refused(error, plan_id: int, **ids):
        plan, key = plan_or_404(plan_id), form_key.format(**ids)
        if isinstance(error, Conflict):
            flash(error.message, "error")
            return page(plan, 409, form_key=key)
        return page(plan, 422, form_key=key, problems=flash_unshown(error.errors, DRAWN))

    return refused


def plans_page(status: int = 200, problems: dict[str, str] | None = None):
    return render_template(
        "plans/plans.html",
        plans=plans_in(db.session, current_scope()),
        templates=templates_for(db.session, current_scope()),
        problems=problems or {},
        posted=request.form,
    ), status


def plans_refused(error):
    """The list again with the new plan's form as sent."""
    if isinstance(error, Conflict):
        flash(error.message, "error")
        return plans_page(409)
    return plans_page(422, flash_unshown(error.errors, {"title", "start_year", "end_year", "template"}))


@bp.route("", methods=["GET", "POST"])
@requires(Need.ADMIN)
@refused_page(plans_refused)
def plans():
    """The organisation's plans, and a form for a new one."""
    if request.method == "GET":
        return plans_page()
    form = PlanForm()
    errors = Errors()
    title = errors.check("title", validation.title, form.title.data)
    start = errors.check("start_year", validation.year, form.start_year.data)
    end = errors.check("end_year", validation.year, form.end_year.data)
    key = request.form.get("template", "")
    template = errors.check("template", find_template, key, db.session, current_scope()) if key else None
    errors.raise_any()
    plan = planning.create_plan(
        db.session, current_user.organisation, title=title, start_year=start, end_year=end, template=template
    )
    if template is not None:
        return done(
            plan,
            _(
                "The plan is created with the %(count)d pillars of %(template)s: "
                "add its actions and allocation.",
                count=len(template.pillars),
                template=template.name,
            ),
        )
    return done(plan, _("The plan is created: add its pillars and allocation."))


def templates_page(status: int = 200, problems: list[str] | None = None):
    return render_template(
        "plans/templates.html", templates=templates_for(db.session, current_scope()), problems=problems or []
    ), status


@bp.route("/templates", methods=["GET", "POST"])
@requires(Need.ADMIN)
def templates():
    """The templates a new plan can start from, and a form to add one from a JSON file."""
    if request.method == "GET":
        return templates_page()
    upload = request.files.get("template")
    if upload is None or not upload.filename:
        return templates_page(422, [_("file: choose a template file (.json) to upload")])
    try:
        template = add_template(
            db.session,
            current_user.organisation_id,
            current_scope(),
            upload.read(MAX_TEMPLATE_BYTES + 1),
            uploaded_by=current_user.id,
        )
    except TemplateInvalid as error:
        db.session.rollback()
        return templates_page(422, error.problems)
    db.session.commit()
    flash(
        _(
            "The template %(name)s is added, with %(count)d pillars: new plans can start from it.",
            name=template.name,
            count=len(template.pillars),
        ),
        "info",
    )
    return redirect(url_for("planning.templates"), 303)


@bp.route("/<int:plan_id>", methods=["GET", "POST"])
@requires(Need.ADMIN)
@refused_page(back_to_plan("plan"))
def plan(plan_id: int):
    """A plan's title, period, pillars and allocation lines."""
    plan = plan_or_404(plan_id)
    if request.method == "GET":
        return page(plan)
    form = PlanForm()
    errors = Errors()
    title = errors.check("title", validation.title, form.title.data)
    start = errors.check("start_year", validation.year, form.start_year.data)
    end = errors.check("end_year", validation.year, form.end_year.data)
    version = errors.check("version", validation.version, form.version.data)
    errors.raise_any()
    planning.update_plan(db.session, plan, title=title, start_year=start, end_year=end, version=version)
    return done(plan, _("The plan is saved."))


@bp.post("/<int:plan_id>/sharing")
@requires(Need.ADMIN)
@refused_page(back_to_plan("sharing"))
def sharing(plan_id: int):
    """Share the plan: private, with its networks, or public at a secret link."""
    plan = plan_or_404(plan_id)
    form = SharingForm()
    errors = Errors()
    chosen = errors.check("sharing", validation.choice, form.sharing.data, Sharing)
    version = errors.check("version", validation.version, form.version.data)
    errors.raise_any()
    changed = set_sharing(
        db.session,
        plan,
        chosen,
        organisation=current_user.organisation,
        actor=current_user._get_current_object(),
        version=version,
        client=request.remote_addr or "",
        path=request.path,
    )
    if not changed:
        return done(plan, _("The plan's sharing is unchanged."))
    return done(plan, _("The plan's sharing is saved."))


@bp.post("/<int:plan_id>/pillars")
@requires(Need.ADMIN)
@refused_page(back_to_plan("new-pillar"))
def add_pillar(plan_id: int):
    """Add a pillar at the end."""
    plan = plan_or_404(plan_id)
    name = validation.text("name", PillarForm().name.data, required=True, limit=200)
    pillar = planning.add_pillar(db.session, plan, name)
    return done(
        plan, _("Pillar %(position)s, %(name)s, is added.", position=pillar.position, name=pillar.name)
    )


@bp.post("/<int:plan_id>/pillars/<int:pillar_id>")
@requires(Need.ADMIN)
@refused_page(back_to_plan("pillar-{pillar_id}"))
def pillar(plan_id: int, pillar_id: int):
    """Rename a pillar, or move it up or down."""
    plan = plan_or_404(plan_id)
    pillar = pillar_or_404(pillar_id, plan)
    form = PillarForm()
    version = validation.version("version", form.version.data)
    move = form.move.data
    if move in {"up", "down"}:
        planning.move_pillar(db.session, pillar, -1 if move == "up" else 1, version=version)
        return done(plan, _("%(name)s is moved.", name=pillar.name))
    errors = Errors()
    name = errors.check("name", validation.text, form.name.data, required=True, limit=200)
    guidance = None
    if "guidance" in request.form:
        guidance = errors.check("guidance", validation.text, form.guidance.data, limit=MAX_GUIDANCE)
    errors.raise_any()
    planning.rename_pillar(db.session, pillar, name, version=version, guidance=guidance)
    return done(
        plan, _("Pillar %(position)s, %(name)s, is saved.", position=pillar.position, name=pillar.name)
    )


def read_line(errors: Errors, form: LineForm):
    kind = errors.check("kind", validation.choice, form.kind.data, AllocationKind)
    name = errors.check("name", validation.text, form.name.data, required=True, limit=200)
    hours = errors.check("hours", validation.planned_hours, form.hours.data)
    return kind, name, hours


@bp.post("/<int:plan_id>/allocation")
@requires(Need.ADMIN)
@refused_page(back_to_plan("new-line"))
def add_line(plan_id: int):
    """Add a line to a year's allocation."""
    plan = plan_or_404(plan_id)
    form = LineForm()
    errors = Errors()
    year = errors.check("year", validation.year, form.year.data, years=plan.years)
    kind, name, hours = read_line(errors, form)
    description = errors.check("description", validation.text, form.description.data)
    errors.raise_any()
    planning.add_allocation_line(
        db.session, plan, year=year, kind=kind, name=name, hours=hours, description=description
    )
    return done(plan, _("%(year)s: %(name)s, %(hours)s h, is added.", year=year, name=name, hours=hours))


@bp.post("/<int:plan_id>/allocation/<int:line_id>")
@requires(Need.ADMIN)
@refused_page(back_to_plan("line-{line_id}"))
def line(plan_id: int, line_id: int):
    """Change or delete an allocation line."""
    plan = plan_or_404(plan_id)
    line = line_or_404(line_id, plan)
    form = LineForm()
    errors = Errors()
    version = errors.check("version", validation.version, form.version.data)
    if form.delete.data == "1":
        errors.raise_any()
        planning.delete_allocation_line(db.session, line, version=version)
        return done(plan, _("The line is deleted; the history keeps it."))
    kind, name, hours = read_line(errors, form)
    errors.raise_any()
    planning.update_allocation_line(db.session, line, kind=kind, name=name, hours=hours, version=version)
    return done(plan, _("The line is saved."))


@bp.post("/<int:plan_id>/actions/<int:action_id>/restore")
@requires(Need.ADMIN)
@refused_page(back_to_plan("archived"))
def restore(plan_id: int, action_id: int):
    """Bring an archived action back into the plan's pages and lists."""
    plan = plan_or_404(plan_id)
    action = action_or_404(action_id)
    if action.plan_id != plan.id:
        abort(404)
    version = validation.version("version", VersionForm().version.data)
    restore_action(db.session, action, version=version)
    return done(
        plan, _("%(code)s is restored: it is back in the plan and can change again.", code=action.code)
    )
