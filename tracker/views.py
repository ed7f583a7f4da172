"""The plan's pages: the plans, a plan pillar by pillar, an action with its history."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from tracker.clock import today
from tracker.domain.plans import plan_overview, plans_of
from tracker.extensions import db
from tracker.permissions import Need, requires
from tracker.tracking import action_page
from tracker.web import action_or_404, plan_or_404, requested_year, to_the_plan

bp = Blueprint("views", __name__)


@bp.route("/")
@requires(Need.READ)
def index():
    """Straight to the plan when the organisation has one; else the list."""
    return to_the_plan("views.plan")


@bp.route("/plans")
@requires(Need.READ)
def plans():
    """The organisation's plans."""
    return render_template("plans/list.html", plans=plans_of(db.session, current_user.organisation_id))


@bp.route("/plans/<int:plan_id>")
@requires(Need.READ)
def plan(plan_id: int):
    """A plan, pillar by pillar, with this year's hours."""
    plan = plan_or_404(plan_id)
    year = requested_year(plan, request.args.get("year"))
    overview = plan_overview(db.session, plan, year, today())
    return render_template("plans/plan.html", plan=plan, overview=overview, year=year)


@bp.route("/actions/<int:action_id>")
@requires(Need.READ)
def action(action_id: int):
    """An action with all its fields, its occurrences, its hours by year and its history."""
    return action_page(action_or_404(action_id))
