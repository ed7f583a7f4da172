"""The read-only JSON API (``/api/v1``): a signed-in session or a bearer token.

Figures come from the same functions as the pages; hours are JSON numbers.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, jsonify, request
from flask_login import current_user

from tracker.clock import today
from tracker.domain.plans import hours_by_year, plan_overview, plans_of
from tracker.domain.rollup import HourRollup, hour_rollup
from tracker.extensions import db
from tracker.models import AllocationKind
from tracker.permissions import Need, requires
from tracker.web import plan_or_404, requested_year

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def hours(value: Decimal) -> float:
    """Hours as a JSON number; two decimals convert exactly enough to read back the same."""
    return float(value)


@bp.get("/plans")
@requires(Need.READ)
def plans():
    """The plans of the caller's organisation."""
    return jsonify(
        [
            {
                "id": plan.id,
                "title": plan.title,
                "organisation": plan.organisation.name,
                "start_year": plan.start_year,
                "end_year": plan.end_year,
            }
            for plan in plans_of(db.session, current_user.organisation_id)
        ]
    )


@bp.get("/plans/<int:plan_id>/actions")
@requires(Need.READ)
def actions(plan_id: int):
    """Every action of a plan, late as of today, with planned and logged hours by year."""
    plan = plan_or_404(plan_id)
    overview = plan_overview(db.session, plan, requested_year(plan, None), today())
    planned, logged = hours_by_year(db.session, plan)
    zero = Decimal("0")
    return jsonify(
        [
            {
                "id": row.action.id,
                "code": row.action.code,
                "title": row.action.title,
                "pillar": row.pillar.label,
                "status": row.action.status.value,
                "late": row.is_late,
                "start_year": row.action.start_year,
                "end_year": row.action.end_year,
                "cadence": row.action.cadence.value,
                "timeline_text": row.action.timeline_text,
                "planned_hours": {
                    str(year): hours(planned[row.action.id].get(year, zero)) for year in plan.years
                },
                "logged_hours": {
                    str(year): hours(logged[row.action.id].get(year, zero)) for year in plan.years
                },
                "version": row.action.version,
            }
            for row in overview.rows
        ]
    )


def rollup_json(rollup: HourRollup) -> dict:
    """The roll-up as the API and tests read it."""
    return {
        "year": rollup.year,
        "allocated": {
            "total": hours(rollup.allocated),
            "lines": [
                {"name": line.name, "kind": line.kind.value, "hours": hours(line.hours)}
                for line in rollup.lines
            ],
        },
        "planned": hours(rollup.planned),
        "logged": {
            "total": hours(rollup.logged),
            "management": hours(rollup.logged_management),
            "actions": hours(rollup.logged_actions),
        },
        "remaining": hours(rollup.remaining),
        "over_allocated": rollup.over_allocated,
        "by_kind": [
            {
                "kind": kind.value,
                "allocated": hours(figures.allocated),
                "planned": hours(figures.planned),
                "logged": hours(figures.logged),
                "remaining": hours(figures.remaining),
                "over_allocated": figures.over_allocated,
            }
            for kind, figures in sorted(rollup.by_kind.items(), key=lambda item: _KIND_ORDER[item[0]])
        ],
        "by_pillar": [
            {
                "pillar": f"{pillar.position} {pillar.name}",
                "planned": hours(pillar.planned),
                "logged": hours(pillar.logged),
                "remaining": hours(pillar.remaining),
                "over_allocated": pillar.over_allocated,
            }
            for pillar in rollup.by_pillar
        ],
    }


_KIND_ORDER = {AllocationKind.MANAGEMENT: 0, AllocationKind.IMPLEMENTATION: 1}


@bp.get("/plans/<int:plan_id>/hours")
@requires(Need.READ)
def plan_hours(plan_id: int):
    """The hour roll-up of one year (``?year=``, default this year)."""
    plan = plan_or_404(plan_id)
    year = requested_year(plan, request.args.get("year"))
    return jsonify(rollup_json(hour_rollup(db.session, plan, year)))
