"""The management dashboard and its charts."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from tracker.core.cache import cached_json, plan_key, single_flight
from tracker.core.clock import today
from tracker.core.extensions import db
from tracker.core.permissions import Need, requires
from tracker.dashboard import charts
from tracker.dashboard.figures import build_dashboard, timeline_summary
from tracker.hours.rollup import YearHours, hours_per_year
from tracker.plans.loaders import plan_or_404, requested_year, to_the_plan
from tracker.plans.models import Plan, Status
from tracker.plans.rules import status_labels

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
    version = loaded_version(plan)
    # Built by one worker at a time after a change; meanwhile the last one built is shown.
    body = single_flight(
        "dashboard",
        plan,
        version,
        depends_on(year),
        lambda: render_body(plan, year, version).encode(),
        ".html",
    )
    return render_template("dashboard/show.html", plan=plan, year=year, body=Markup(body.decode()))


def render_body(plan: Plan, year: int, version: int) -> str:
    """The dashboard's content, computed from the plan's data as of data version ``version``."""
    board = build_dashboard(db.session, plan, year, today(), version=version)
    return render_template(
        "dashboard/body.html",
        plan=plan,
        year=year,
        board=board,
        years=years_of(plan, board.data_version, year),
        timeline=timeline_summary(plan, board.pillars, board.actions),
        statuses=[Status.COMPLETED, Status.ONGOING, Status.UPCOMING],
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
    board = build_dashboard(db.session, plan, year, today(), version=version)
    if name == "status-by-pillar":
        return charts.status_by_pillar(board.by_pillar, status_labels())
    return charts.timeline(plan, board.pillars, board.actions, status_labels())


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
