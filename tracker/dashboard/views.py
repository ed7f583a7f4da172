"""The management dashboard and its charts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from tracker.core import validation
from tracker.core.cache import cached_json, plan_key, single_flight
from tracker.core.clock import today
from tracker.core.extensions import db
from tracker.core.permissions import Need, requires
from tracker.core.validation import Invalid
from tracker.dashboard import charts
from tracker.dashboard.figures import (
    build_dashboard,
    default_since,
    status_by_pillar,
    timeline_summary,
)
from tracker.hours.rollup import YearHours, hours_per_year
from tracker.plans.changes import (
    CHANGE_TYPE_LABELS,
    PLAN_WORK,
    ChangeFilter,
    ChangeType,
    people_who_changed,
    plan_changes,
)
from tracker.plans.loaders import plan_or_404, requested_year, to_the_plan
from tracker.plans.models import Action, Plan, Status
from tracker.plans.rules import status_labels
from tracker.tracking.flags import STALE_AFTER_DAYS, FlagKind
from tracker.tracking.lines import load_lines

bp = Blueprint("dashboard", __name__)
CHARTS = ("status-by-pillar", "hours-by-year", "timeline")


def depends_on(year: int) -> tuple:
    """What a dashboard item depends on besides the plan's data: the year, today (for late), the
    language."""
    return (year, today().isoformat(), get_locale())


def cache_key(what: str, plan: Plan, version: int, year: int) -> str:
    return plan_key(what, plan, version, *depends_on(year))


def years_of(plan: Plan, version: int, year: int) -> list[YearHours]:
    """Hours for every year of the plan, computed once per version of the plan's data."""
    rows = cached_json(
        cache_key("hours-per-year", plan, version, year),
        lambda: [
            [r.year, str(r.allocated), str(r.planned), str(r.logged)]
            for r in hours_per_year(db.session, plan)
        ],
    )
    return [
        YearHours(year=y, allocated=Decimal(a), planned=Decimal(p), logged=Decimal(lg))
        for y, a, p, lg in rows
    ]


def loaded_version(plan: Plan) -> int:
    """The plan's data version as its row was just read (in this request, after any commit):
    the commit-ordered counter :func:`tracker.dashboard.figures.data_version` reads, without a
    query of its own. Every query after this one sees at least the changes it counts."""
    return plan.data_version


@bp.get("/dashboard")
@requires(Need.READ)
def index():
    """The dashboard of the organisation's plan (the list when there are several)."""
    return to_the_plan("dashboard.show")


@bp.get("/plans/<int:plan_id>/dashboard")
@requires(Need.READ)
def show(plan_id: int):
    """Where the plan stands in a year: statuses, lateness, hours, timeline, latest changes.

    The body holds nothing of the person asking, so it is built once per version of the plan's
    data (and per year, day and language) and then read from the shared cache.
    """
    plan = plan_or_404(plan_id)
    year = requested_year(plan, request.args.get("year"))
    since = day_asked("since", _("Compare with"))
    version = loaded_version(plan)
    what = "dashboard" if since is None else f"dashboard-since-{since.isoformat()}"
    # Built by one worker at a time after a change; meanwhile the last one built is shown.
    body = single_flight(
        what,
        plan,
        version,
        depends_on(year),
        lambda: render_body(plan, year, version, since).encode(),
        ".html",
    )
    return render_template("dashboard/show.html", plan=plan, year=year, body=Markup(body.decode()))


def day_asked(name: str, label: str) -> date | None:
    """The day given in ``?name=`` (YYYY-MM-DD), ``None`` when empty; anything else is a 400 that
    names the field by its ``label``."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return None
    try:
        return validation.period_day(name, raw[:40])
    except Invalid as error:
        abort(400, f"{label}: {error.errors[name]}")


def render_body(plan: Plan, year: int, version: int, since: date | None = None) -> str:
    """The dashboard's content, computed from the plan's data as of data version ``version``."""
    board = build_dashboard(db.session, plan, year, today(), version=version, since=since)
    return render_template(
        "dashboard/body.html",
        plan=plan,
        year=year,
        board=board,
        years=years_of(plan, board.data_version, year),
        timeline=timeline_summary(plan, board.pillars, board.actions),
        statuses=[Status.COMPLETED, Status.ONGOING, Status.UPCOMING],
        FlagKind=FlagKind,
        STALE_AFTER_DAYS=STALE_AFTER_DAYS,
        charts={
            name: url_for("dashboard.chart", plan_id=plan.id, name=name, year=year, v=board.data_version)
            for name in CHARTS
        },
    )


def draw(name: str, plan: Plan, year: int, version: int) -> bytes:
    """Draw one chart from the plan's data."""
    if name == "hours-by-year":
        labels = {
            "allocated": _("allocated"),
            "planned": _("planned"),
            "logged": _("logged"),
            "hours": _("Hours"),
        }
        return charts.hours_by_year(years_of(plan, version, year), labels)
    # The charts need the actions only: not the history, hours or flags of the whole board.
    loaded = load_lines(db.session, plan, today(), hours=False)
    labels = {**status_labels(), "today": _("today"), "late": _("late")}
    if name == "status-by-pillar":
        return charts.status_by_pillar(status_by_pillar(loaded.pillars, loaded.open), labels)
    return charts.timeline(plan, loaded.pillars, loaded.open, labels, today())


@bp.get("/plans/<int:plan_id>/charts/<name>.svg")
@requires(Need.READ)
def chart(plan_id: int, name: str):
    """One chart as SVG, drawn once per version of the plan's data and shared by all workers."""
    if name not in CHARTS:
        abort(404)
    plan = plan_or_404(plan_id)
    year = requested_year(plan, request.args.get("year"))
    version = loaded_version(plan)
    svg = single_flight(
        f"chart-{name}", plan, version, depends_on(year), lambda: draw(name, plan, year, version), ".svg"
    )
    response = Response(svg, mimetype="image/svg+xml")
    return response


# What changed ---------------------------------------------------------------------------------

PER_PAGE = 50


def read_change_filter(plan: Plan) -> ChangeFilter:
    """The history's filter from the URL, so that a filtered history can be shared; a bad value
    is a 400 naming its field."""
    args = request.args
    since = day_asked("since", _("Since"))
    until = day_asked("until", _("Until"))
    if since and until and until < since:
        abort(
            400, _("Until: %(until)s is before %(since)s.", until=until.isoformat(), since=since.isoformat())
        )
    pillar_id = action_id = user_id = None
    if args.get("pillar"):
        pillar_id = validation.digits(args["pillar"])
        if pillar_id not in {pillar.id for pillar in plan.pillars}:
            abort(400, _("Pillar: %(value)s is not a pillar of this plan.", value=args["pillar"][:20]))
    if args.get("action"):
        action_id = validation.digits(args["action"])
        found = action_id is not None and db.session.scalar(
            sa.select(Action.id).where(Action.id == action_id, Action.plan_id == plan.id)
        )
        if not found:
            abort(400, _("Action: %(value)s is not an action of this plan.", value=args["action"][:20]))
    if args.get("person"):
        user_id = validation.digits(args["person"])
        if user_id not in {person_id for person_id, _name in people_who_changed(db.session, plan.id)}:
            abort(400, _("Person: %(value)s made no change to this plan.", value=args["person"][:20]))
    types = PLAN_WORK
    if args.get("kind"):
        if args["kind"] == "all":
            types = tuple(ChangeType)
        else:
            try:
                types = (ChangeType(args["kind"]),)
            except ValueError:
                abort(
                    400,
                    _("Kind of change: %(value)s is not one of the kinds offered.", value=args["kind"][:20]),
                )
    return ChangeFilter(
        since=since, until=until, pillar_id=pillar_id, action_id=action_id, user_id=user_id, types=types
    )


@bp.get("/plans/<int:plan_id>/history")
@requires(Need.READ)
def history(plan_id: int):
    """What changed in the plan, newest first, in sentences: filtered by dates, pillar, action,
    person and kind of change, fifty to a page."""
    plan = plan_or_404(plan_id)
    criteria = read_change_filter(plan)
    page = validation.digits(request.args.get("page", "1"), most=6) or 1
    changes = plan_changes(db.session, plan.id, criteria, page=page, per_page=PER_PAGE)
    report = default_since(db.session, plan, today().year, today())[1]
    actions = db.session.execute(
        sa.select(Action.id, Action.code, Action.title)
        .where(Action.plan_id == plan.id)
        .order_by(Action.position, Action.id)
    ).all()
    kinds = [(kind.value, label) for kind, label in CHANGE_TYPE_LABELS.items()]
    return render_template(
        "dashboard/history.html",
        plan=plan,
        changes=changes,
        criteria=criteria,
        kind=request.args.get("kind", ""),
        kinds=kinds,
        actions=actions,
        people=people_who_changed(db.session, plan.id),
        report=report,
    )
