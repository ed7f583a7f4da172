"""The biennial assessment: drafts, the report page, publishing, and the public link."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Form, FormField, HiddenField, StringField, TextAreaField

from tracker.accounts.models import SecurityEventKind
from tracker.accounts.web import event
from tracker.assessments.models import Assessment
from tracker.assessments.report import (
    AssessmentTexts,
    IndicatorInput,
    assessment_data,
    create_assessment,
    default_period,
    delete_assessment,
    draft,
    frozen_data,
    frozen_file,
    period_ended,
    public_assessment,
    publish,
    set_public,
    update_assessment,
)
from tracker.assessments.storage import WORKBOOK_FILE, Damaged, Storage, storage_from
from tracker.core import validation
from tracker.core.clock import today
from tracker.core.concurrency import Conflict
from tracker.core.downloads import attachment
from tracker.core.extensions import db
from tracker.core.forms import BoundedFieldList, VersionForm
from tracker.core.pages import (
    confirm_page,
    confirmed_by_form,
    flash_errors,
    flash_unshown,
    refused_page,
    status_of,
)
from tracker.core.permissions import Need, requires
from tracker.core.scope import get_or_404
from tracker.core.validation import Errors, Invalid
from tracker.dashboard import charts
from tracker.hours.rollup import YearHours
from tracker.plans.loaders import plan_or_404
from tracker.plans.models import Status
from tracker.plans.rules import pillar_label, status_labels
from tracker.workbooks.assessment_workbook import build_assessment_workbook

bp = Blueprint("assessments", __name__)
CHARTS = ("status-by-pillar", "hours-by-year")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INDICATOR_ROWS = 3  # empty rows offered below the indicators, for new ones
MAX_INDICATORS = 50  # rows the form takes at most (the page never offers more)


def storage() -> Storage:
    """Where frozen files live: ``REPORT_STORAGE`` (files under ``REPORTS_DIR``, or the database)."""
    return storage_from(current_app.config)


def assessment_or_404(assessment_id: int) -> Assessment:
    """An assessment of a plan of the signed-in user's organisation; anything else is 404."""
    return get_or_404(db.session, Assessment, assessment_id)


def data_of(assessment: Assessment) -> dict:
    """A published report's frozen data, or a draft's data worked out now."""
    if assessment.published:
        try:
            return frozen_data(db.session, storage(), assessment)
        except Damaged as error:
            abort(503, str(error))
    return assessment_data(db.session, assessment, today())


def workbook_of(assessment: Assessment) -> bytes:
    if assessment.published:
        try:
            return frozen_file(db.session, storage(), assessment, WORKBOOK_FILE)
        except Damaged as error:
            abort(503, str(error))
    return build_assessment_workbook(data_of(assessment))


def download(content: bytes, data: dict) -> Response:
    """The report workbook, named after its title and period."""
    period = data["period"]
    return attachment(content, XLSX, f"{data['title']} {period['start']} {period['end']}", "xlsx")


def draw(data: dict, name: str) -> bytes:
    """A report chart, drawn from the report's data (frozen or not)."""
    if name == "hours-by-year":
        rows = [
            YearHours(
                year=y["year"],
                allocated=Decimal(y["allocated"]),
                planned=Decimal(y["planned"]),
                logged=Decimal(y["logged"]),
            )
            for y in data["hours"]
        ]
        labels = {
            "allocated": _("allocated"),
            "planned": _("planned"),
            "logged": _("logged"),
            "hours": _("Hours"),
        }
        return charts.hours_by_year(rows, labels)
    rows = [
        SimpleNamespace(
            pillar=SimpleNamespace(label=pillar_label(p["position"], p["name"]), position=p["position"]),
            counts={status: p["end"][status.value] for status in Status},
        )
        for p in data["by_pillar"]
    ]
    return charts.status_by_pillar(rows, status_labels())


def svg(content: bytes) -> Response:
    response = Response(content, mimetype="image/svg+xml")
    return response


# --- The list and new drafts -------------------------------------------------------------------


def list_page(plan, status=200, problems=None):
    assessments = db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.plan_id == plan.id)
        .order_by(Assessment.period_end.desc(), Assessment.id.desc())
    ).all()
    return render_template(
        "assessments/list.html",
        plan=plan,
        assessments=assessments,
        problems=problems or {},
        posted=request.form if request.method == "POST" else {},
        default_year=today().year,
    ), status


@bp.get("/plans/<int:plan_id>/assessments")
@requires(Need.READ)
def index(plan_id: int):
    """The plan's assessments: drafts, and published reports with their checksums."""
    return list_page(plan_or_404(plan_id))


class VisibilityForm(VersionForm):
    """Open or close the public link."""

    public = HiddenField()


class NewAssessmentForm(FlaskForm):
    """A draft's period: an assessment year, or a start and an end date; and its title."""

    year = StringField()
    period_start = StringField()
    period_end = StringField()
    title = StringField()


def read_period(errors: Errors, form: NewAssessmentForm, plan) -> tuple[date | None, date | None]:
    """Start and end dates, or the two calendar years ending in the assessment year (both within
    the plan's years)."""
    start_text, end_text = (form.period_start.data or "").strip(), (form.period_end.data or "").strip()
    if not start_text and not end_text:
        year = errors.check("year", validation.year, form.year.data)
        if year and not (plan.start_year < year <= plan.end_year):
            errors.errors["year"] = _(
                "%(year)s covers %(before)s-%(year)s, outside the plan's period %(first)s-%(last)s: "
                "choose a year from %(earliest)s to %(last)s, or give the first and last day",
                year=year,
                before=year - 1,
                first=plan.start_year,
                last=plan.end_year,
                earliest=plan.start_year + 1,
            )
            return None, None
        return default_period(year) if year else (None, None)
    start = errors.check("period_start", validation.period_day, start_text)
    end = errors.check("period_end", validation.period_day, end_text)
    return start, end


def create_refused(error, plan_id: int):
    """The list again, the new draft's form as sent."""
    if isinstance(error, Conflict):
        flash(error.message, "error")
        return list_page(plan_or_404(plan_id), 409)
    drawn = {"year", "period_start", "period_end", "title"}
    return list_page(plan_or_404(plan_id), 422, flash_unshown(error.errors, drawn))


@bp.post("/plans/<int:plan_id>/assessments")
@requires(Need.EDIT)
@refused_page(create_refused)
def create(plan_id: int):
    """Start a draft assessment of a period."""
    plan = plan_or_404(plan_id)
    form = NewAssessmentForm()
    errors = Errors()
    start, end = read_period(errors, form, plan)
    title = errors.check("title", validation.text, form.title.data, limit=validation.MAX_TITLE)
    errors.raise_any()
    assessment = create_assessment(db.session, plan, start=start, end=end, title=title)
    db.session.commit()
    flash(_("The draft is ready: add the survey's summary and the written sections."), "info")
    return redirect(url_for("assessments.edit", assessment_id=assessment.id), 303)


# --- One assessment ----------------------------------------------------------------------------


@bp.get("/assessments/<int:assessment_id>")
@requires(Need.READ)
def show(assessment_id: int):
    """The report: figures, charts, survey and texts; frozen once published."""
    return report_page(assessment_or_404(assessment_id))


def report_page(assessment: Assessment, status: int = 200):
    return render_template(
        "assessments/report.html",
        assessment=assessment,
        plan=assessment.plan,
        data=data_of(assessment),
        charts={
            name: url_for("assessments.chart", assessment_id=assessment.id, name=name, v=assessment.version)
            for name in CHARTS
        },
        workbook_url=url_for("assessments.workbook", assessment_id=assessment.id),
        public=False,
    ), status


def refused(error: Invalid | Conflict, assessment_id: int):
    """The report again, with what was wrong: 422 for bad input, 409 for a stale or frozen one."""
    if isinstance(error, Conflict):
        flash(error.message, "error")
    else:
        flash_errors(error.errors)
    return report_page(assessment_or_404(assessment_id), status_of(error))


@bp.get("/assessments/<int:assessment_id>/report.xlsx")
@requires(Need.READ)
def workbook(assessment_id: int):
    """The report workbook: the frozen file of a published report, or the draft's as of today."""
    assessment = assessment_or_404(assessment_id)
    return download(workbook_of(assessment), data_of(assessment))


@bp.get("/assessments/<int:assessment_id>/charts/<name>.svg")
@requires(Need.READ)
def chart(assessment_id: int, name: str):
    if name not in CHARTS:
        abort(404)
    return svg(draw(data_of(assessment_or_404(assessment_id)), name))


class IndicatorForm(Form):
    """One survey indicator: a row of the draft's table (no CSRF token of its own)."""

    name = StringField()
    value = StringField()
    previous = StringField()
    unit = StringField()


class AssessmentForm(FlaskForm):
    """The draft's survey summary, its indicators and its written sections."""

    title = StringField()
    respondents = StringField()
    response_rate = StringField()
    indicator = BoundedFieldList(FormField(IndicatorForm), max_entries=MAX_INDICATORS)
    achievements = TextAreaField()
    improvements = TextAreaField()
    next_steps = TextAreaField()
    version = HiddenField()

    DRAWN = frozenset({"title", "respondents", "response_rate", "achievements", "improvements", "next_steps"})


def read_texts(errors: Errors, form: AssessmentForm) -> AssessmentTexts:
    respondents = errors.check("respondents", validation.count, form.respondents.data)
    rate = errors.check("response_rate", validation.percent, form.response_rate.data)
    return AssessmentTexts(
        title=errors.check("title", validation.title, form.title.data),
        respondents=respondents,
        response_rate=rate,
        achievements=errors.check("achievements", validation.text, form.achievements.data),
        improvements=errors.check("improvements", validation.text, form.improvements.data),
        next_steps=errors.check("next_steps", validation.text, form.next_steps.data),
    )


def read_indicators(errors: Errors, form: AssessmentForm) -> list[IndicatorInput] | None:
    """The indicator rows of the form; a row without a name is left out (or removed).

    ``None`` when the form sent no indicator row at all (the page always sends its rows): the
    indicators are then left as they are, never all removed.
    """
    if not form.indicator.entries:
        return None
    indicators = []
    for entry in form.indicator:
        row, prefix = entry.form, f"{entry.name}-"
        name = errors.check(f"{prefix}name", validation.text, row["name"].data, limit=200)
        if not name:
            continue
        value = errors.check(f"{prefix}value", validation.decimal, row.value.data)
        raw_previous = row.previous.data or ""
        previous = (
            errors.check(f"{prefix}previous", validation.decimal, raw_previous)
            if raw_previous.strip()
            else None
        )
        unit = errors.check(f"{prefix}unit", validation.text, row.unit.data, limit=20)
        if value is not None:
            indicators.append(IndicatorInput(name, value, previous, unit or ""))
    return indicators


def saved_indicators(assessment: Assessment) -> list[dict]:
    return [
        {
            "name": row.name,
            "value": str(row.value),
            "previous": "" if row.previous is None else str(row.previous),
            "unit": row.unit,
        }
        for row in assessment.indicators
    ]


def edit_page(assessment, status=200, problems=None):
    """The draft's form: as sent when it is shown again, else as saved; empty rows below."""
    if request.method == "POST":
        form = AssessmentForm()
    else:
        form = AssessmentForm(formdata=None, obj=assessment, indicator=saved_indicators(assessment))
    for _row in range(min(INDICATOR_ROWS, MAX_INDICATORS - len(form.indicator))):
        form.indicator.append_entry()
    return render_template(
        "assessments/edit.html",
        assessment=assessment,
        plan=assessment.plan,
        form=form,
        problems=problems or {},
    ), status


@bp.get("/assessments/<int:assessment_id>/edit")
@requires(Need.EDIT)
def edit(assessment_id: int):
    """The draft's survey summary, indicators and written sections."""
    assessment = assessment_or_404(assessment_id)
    if assessment.published:
        flash(
            _("%(title)s is published and frozen; it can no longer change.", title=assessment.title), "error"
        )
        return redirect(url_for("assessments.show", assessment_id=assessment.id), 303)
    return edit_page(assessment)


def save_refused(error, assessment_id: int):
    """The draft's form as sent, each problem next to its field."""
    assessment = assessment_or_404(assessment_id)
    if isinstance(error, Conflict):
        flash(error.message, "error")
        return edit_page(assessment, 409)
    return edit_page(assessment, 422, flash_unshown(error.errors, drawn_on_edit))


def drawn_on_edit(field: str) -> bool:
    """The draft form's inputs, each indicator's included (the version is hidden)."""
    return field.startswith("indicator") or field in AssessmentForm.DRAWN


@bp.post("/assessments/<int:assessment_id>/edit")
@requires(Need.EDIT)
@refused_page(save_refused)
def save(assessment_id: int):
    assessment = assessment_or_404(assessment_id)
    form = AssessmentForm()
    errors = Errors()
    texts = read_texts(errors, form)
    indicators = read_indicators(errors, form)
    version = errors.check("version", validation.version, form.version.data)
    errors.raise_any()
    update_assessment(db.session, assessment, texts, indicators, version=version)
    db.session.commit()
    flash(_("Saved."), "info")
    return redirect(url_for("assessments.show", assessment_id=assessment.id), 303)


@bp.post("/assessments/<int:assessment_id>/publish")
@requires(Need.EDIT)
@refused_page(refused)
def publish_report(assessment_id: int):
    """Freeze the report: its figures, texts and workbook are stored with checksums.

    The first post answers with a page that says what publishing does (and, for a period that
    has not ended yet, that its figures stop at today) and offers the confirmed post; no
    JavaScript needed.
    """
    assessment = assessment_or_404(assessment_id)
    version = validation.version("version", VersionForm().version.data)
    confirmed = confirmed_by_form()
    draft(assessment)
    early = not period_ended(assessment, today())
    if not confirmed:
        consequences = [
            _(
                "Its figures, texts and workbook are written once, with checksums, and never "
                "change again: later changes to the plan do not reach it."
            ),
            _("A published report cannot be unpublished, edited or deleted."),
        ]
        if early:
            consequences[:0] = [
                _(
                    "The period of this report runs from %(start)s to %(end)s, and today is %(today)s: "
                    "it has not ended yet.",
                    start=assessment.period_start.isoformat(),
                    end=assessment.period_end.isoformat(),
                    today=today().isoformat(),
                ),
                _(
                    "Publishing freezes the figures as of today. What happens from tomorrow to the end "
                    "of the period will never be in this report, and the published report will say "
                    "that it was published before its period ended."
                ),
            ]
        return confirm_page(
            title=_("Publish %(title)s?", title=assessment.title),
            consequences=consequences,
            button=_("Publish now, before the period ends")
            if early
            else _("Publish and freeze %(title)s", title=assessment.title),
            back=url_for("assessments.show", assessment_id=assessment.id),
        )
    publish(
        db.session,
        assessment,
        storage(),
        by=current_user,
        today=today(),
        version=version,
        build_workbook=build_assessment_workbook,
        confirmed_early=confirmed,
    )
    db.session.commit()
    flash(_("%(title)s is published. Its figures and workbook are frozen.", title=assessment.title), "info")
    return redirect(url_for("assessments.show", assessment_id=assessment.id), 303)


@bp.post("/assessments/<int:assessment_id>/delete")
@requires(Need.EDIT)
@refused_page(refused)
def delete(assessment_id: int):
    """Delete a draft (the history keeps it); a published report is frozen and stays (409)."""
    assessment = assessment_or_404(assessment_id)
    version = validation.version("version", VersionForm().version.data)
    if not assessment.published and not confirmed_by_form():
        return confirm_page(
            title=_("Delete the draft %(title)s?", title=assessment.title),
            consequences=[
                _(
                    "The draft, its survey figures and its written sections will be deleted. The history "
                    "keeps what they were, but the draft cannot be brought back."
                ),
            ],
            button=_("Delete the draft %(title)s", title=assessment.title),
            back=url_for("assessments.show", assessment_id=assessment.id),
        )
    plan_id, title = assessment.plan_id, assessment.title
    delete_assessment(db.session, assessment, version=version)
    db.session.commit()
    flash(_("The draft %(title)s is deleted; the history keeps it.", title=title), "info")
    return redirect(url_for("assessments.index", plan_id=plan_id), 303)


@bp.post("/assessments/<int:assessment_id>/visibility")
@requires(Need.ADMIN)
@refused_page(refused)
def visibility(assessment_id: int):
    """Open the published report at a link anyone can follow, or close the link."""
    assessment = assessment_or_404(assessment_id)
    form = VisibilityForm()
    errors = Errors()
    public = errors.check("public", validation.boolean, form.public.data)
    version = errors.check("version", validation.version, form.version.data)
    was_public = assessment.public
    errors.raise_any()
    set_public(db.session, assessment, public, version=version)
    if assessment.public != was_public:
        kind = SecurityEventKind.REPORT_MADE_PUBLIC if public else SecurityEventKind.REPORT_MADE_PRIVATE
        event(kind, current_user, detail=f"assessment {assessment.id}: {assessment.title}")
    db.session.commit()
    flash(
        _("The report is public at the link below.")
        if public
        else _("The report is private; its link is closed."),
        "info",
    )
    return redirect(url_for("assessments.show", assessment_id=assessment.id), 303)


# --- The public link ---------------------------------------------------------------------------


def public_or_404(token: str) -> Assessment:
    assessment = public_assessment(db.session, token)
    if assessment is None:
        abort(404)
    return assessment


@bp.get("/public/reports/<token>")
@requires(Need.PUBLIC)
def public_show(token: str):
    """A public report, read-only, without signing in; nothing else of the organisation."""
    assessment = public_or_404(token)
    data = data_of(assessment)
    return render_template(
        "assessments/public.html",
        assessment=assessment,
        data=data,
        charts={name: url_for("assessments.public_chart", token=token, name=name) for name in CHARTS},
        workbook_url=url_for("assessments.public_workbook", token=token),
        public=True,
    )


@bp.get("/public/reports/<token>/report.xlsx")
@requires(Need.PUBLIC)
def public_workbook(token: str):
    assessment = public_or_404(token)
    return download(workbook_of(assessment), data_of(assessment))


@bp.get("/public/reports/<token>/charts/<name>.svg")
@requires(Need.PUBLIC)
def public_chart(token: str, name: str):
    if name not in CHARTS:
        abort(404)
    return svg(draw(data_of(public_or_404(token)), name))
