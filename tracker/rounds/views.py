"""Reporting rounds: coordinators open and close them and download the network workbook; each
member's editors submit one plan. Everyone else (an outsider, another network) gets 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from tracker.core import scope as scoping
from tracker.core import validation
from tracker.core.clock import today
from tracker.core.concurrency import Conflict
from tracker.core.downloads import attachment
from tracker.core.extensions import db
from tracker.core.pages import refused_page, status_of
from tracker.core.permissions import Need, requires
from tracker.core.scope import get_or_404, reachable
from tracker.core.validation import Errors, Invalid
from tracker.plans.models import Plan
from tracker.rounds import services
from tracker.rounds.models import ReportingRound, RoundSubmission
from tracker.rounds.workbook import build_round_workbook

bp = Blueprint("rounds", __name__, url_prefix="/rounds")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROUND_FIELDS = {"title", "year", "due_on"}


def round_or_404(round_id: int) -> ReportingRound:
    """A round of a network the person reaches (coordinates, or their organisation belongs to)."""
    return get_or_404(db.session, ReportingRound, round_id, selectinload(ReportingRound.network))


def coordinating(round_: ReportingRound) -> bool:
    return scoping.current_scope().coordinates(round_.network_id)


def coordinator_only(round_: ReportingRound) -> None:
    """Only the round's network's coordinators run it. The route's need (COORDINATE) already
    refused everyone else; a coordinator reaches only their own network's rounds, so this holds
    unless the scope says otherwise (then the round is absent: 404)."""
    if not coordinating(round_):
        abort(404)


def list_page(status: int = 200, problems: dict[str, str] | None = None):
    scope = scoping.current_scope()
    return render_template(
        "rounds/list.html",
        rounds=services.rounds_of(db.session, scope),
        coordinator=bool(scope.coordinated_ids),
        problems=problems or {},
        posted=request.form,
    ), status


def list_refused(error):
    if isinstance(error, Conflict):
        flash(error.message, "error")
        return list_page(409)
    shown = {field: message for field, message in error.errors.items() if field in ROUND_FIELDS}
    for field, message in error.errors.items():
        if field not in ROUND_FIELDS:
            flash(f"{field}: {message}", "error")
    return list_page(422, shown)


@bp.get("")
@requires(Need.NETWORK)
def index():
    """The rounds of one's networks; a coordinator opens a new one here."""
    return list_page()


@bp.post("", endpoint="open")
@requires(Need.COORDINATE)
@refused_page(list_refused)
def open_round():
    """Open a round of the network the coordinator coordinates."""
    network_id = current_user.network_id
    if network_id is None or not scoping.current_scope().coordinates(network_id):
        abort(403)
    errors = Errors()
    title = errors.check("title", validation.title, request.form.get("title"))
    year = errors.check("year", validation.year, request.form.get("year"))
    due_on = errors.check("due_on", validation.period_day, request.form.get("due_on"))
    # Each message names its field by the label the form shows.
    labels = {"title": _("Title"), "year": _("Year"), "due_on": _("Due date")}
    errors.errors = {
        field: message if message.startswith(f"{labels[field]}:") else f"{labels[field]}: {message}"
        for field, message in errors.errors.items()
    }
    errors.raise_any()
    round_ = services.open_round(
        db.session, network_id, title=title, year=year, due_on=due_on, opened_by=current_user
    )
    db.session.commit()
    flash(
        _("The round %(title)s is open: every member can submit one plan to it.", title=round_.title), "info"
    )
    return redirect(url_for("rounds.show", round_id=round_.id), 303)


def round_page(round_: ReportingRound, status: int = 200):
    scope = scoping.current_scope()
    on = today()
    statuses = services.member_statuses(db.session, round_, on)
    own = [s for s in statuses if scope.reaches(s.organisation.id)]
    plans = []
    if own and not round_.closed and own[0].submission is None:
        plans = services.plans_to_submit(db.session, round_, own[0].organisation.id)
    return render_template(
        "rounds/show.html",
        round=round_,
        coordinator=coordinating(round_),
        statuses=statuses,
        own=own,
        plans=plans,
        today=on,
        MemberState=services.MemberState,
    ), status


def round_refused(error, round_id: int):
    flash(error.message if isinstance(error, Conflict) else "; ".join(error.errors.values()), "error")
    return round_page(round_or_404(round_id), status_of(error))


@bp.get("/<int:round_id>")
@requires(Need.NETWORK)
def show(round_id: int):
    """The round: a coordinator sees every member's state; a member its own, and submits."""
    return round_page(round_or_404(round_id))


@bp.post("/<int:round_id>/submit")
@requires(Need.EDIT)
@refused_page(round_refused)
def submit(round_id: int):
    """Submit one of the organisation's plans to the round, frozen as it is today."""
    round_ = round_or_404(round_id)
    plan_id = validation.digits(request.form.get("plan", ""))
    reachable_id = plan_id is not None and 1 <= plan_id <= validation.MAX_ID
    plan = reachable(db.session, Plan, plan_id, scoping.current_scope()) if reachable_id else None
    if plan is None:
        raise Invalid({"plan": _("Plan: choose one of your organisation's plans to submit")})
    submission = services.submit(db.session, round_, plan, by=current_user, on=today())
    db.session.commit()
    flash(
        _(
            "%(plan)s is submitted to %(round)s: its figures and workbook are frozen as of %(day)s.",
            plan=submission.plan_title,
            round=round_.title,
            day=submission.submitted_on.isoformat(),
        ),
        "info",
    )
    return redirect(url_for("rounds.show", round_id=round_.id), 303)


@bp.post("/<int:round_id>/close")
@requires(Need.COORDINATE)
@refused_page(round_refused)
def close(round_id: int):
    """Close the round: members can no longer submit to it."""
    round_ = round_or_404(round_id)
    coordinator_only(round_)
    version = validation.version("version", request.form.get("version"))
    services.close_round(db.session, round_, version=version)
    db.session.commit()
    flash(_("The round %(title)s is closed.", title=round_.title), "info")
    return redirect(url_for("rounds.show", round_id=round_.id), 303)


@bp.get("/<int:round_id>/workbook.xlsx")
@requires(Need.COORDINATE)
def workbook(round_id: int):
    """The round's network workbook, built from the frozen submissions (coordinators only)."""
    round_ = round_or_404(round_id)
    coordinator_only(round_)
    statuses = services.member_statuses(db.session, round_, today())
    try:
        data = build_round_workbook(round_, round_.network.name, statuses)
    except services.Damaged as error:
        abort(503, str(error))
    return attachment(data, XLSX, f"{round_.network.name} {round_.title}", "xlsx")


@bp.get("/<int:round_id>/submissions/<int:submission_id>/workbook.xlsx")
@requires(Need.NETWORK)
def submission_workbook(round_id: int, submission_id: int):
    """A submitted plan workbook as it was frozen: for the round's coordinators and the
    submitting organisation's people."""
    round_ = round_or_404(round_id)
    submission = get_or_404(
        db.session, RoundSubmission, submission_id, selectinload(RoundSubmission.organisation)
    )
    if submission.round_id != round_.id:
        abort(404)
    try:
        data = services.frozen_workbook(submission)
    except services.Damaged as error:
        abort(503, str(error))
    stem = f"{submission.organisation.name} {submission.plan_title} {submission.submitted_on.isoformat()}"
    return attachment(data, XLSX, stem, "xlsx")
