"""The read-only JSON API (``/api/v1``): a signed-in session or a bearer token.

Figures come from the same functions as the pages; hours are JSON numbers.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from tracker.accounts.models import Network
from tracker.core import validation
from tracker.core.cache import cached_bytes, plan_key
from tracker.core.clock import today
from tracker.core.concurrency import Conflict
from tracker.core.extensions import db
from tracker.core.forms import json_body
from tracker.core.idempotency import committed
from tracker.core.permissions import Need, requires
from tracker.core.scope import current_scope, get_or_404, scoped
from tracker.core.validation import Errors, Invalid
from tracker.dashboard.figures import data_version
from tracker.hours.models import TimeEntry
from tracker.hours.rollup import ZERO, HourRollup, hour_rollup
from tracker.hours.services import log_hours
from tracker.networks.loaders import requested_year as network_year
from tracker.networks.rollup import network_rollup as rollup_network
from tracker.networks.rollup import rollup_json as network_rollup_json
from tracker.plans import rules
from tracker.plans.editing import change_status
from tracker.plans.history import action_history
from tracker.plans.loaders import action_or_404, plan_or_404, plans_in, requested_year
from tracker.plans.models import Action, AllocationKind
from tracker.tracking.lines import ActionLine, load_lines, one_line

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.record_once
def _json_in_field_order(state) -> None:
    # Keys in the order the API documents them; sorting thousands of objects' keys costs time
    # and tells a reader nothing.
    state.app.json.sort_keys = False


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
            for plan in plans_in(db.session, current_scope())
        ]
    )


def action_json(action: ActionLine, pillar_label: str, years: range) -> dict:
    """An action line as every API answer shows it; its exact hours become JSON numbers here."""
    return {
        "id": action.id,
        "code": action.code,
        "title": action.title,
        "pillar": pillar_label,
        "status": action.status.value,
        "late": action.is_late,
        "start_year": action.start_year,
        "end_year": action.end_year,
        "cadence": action.cadence.value,
        "timeline_text": action.timeline_text,
        "planned_hours": {str(year): hours(action.planned.get(year, ZERO)) for year in years},
        "logged_hours": {str(year): hours(action.logged.get(year, ZERO)) for year in years},
        "version": action.version,
    }


@bp.get("/plans/<int:plan_id>/actions")
@requires(Need.READ)
def actions(plan_id: int):
    """Every action of a plan, late as of today, with planned and logged hours by year.

    The answer depends only on the plan's data and today's date, so it is built once per
    version of the data and read from the shared cache after that.
    """
    plan = plan_or_404(plan_id)
    version = data_version(db.session, plan)
    body = cached_bytes(
        plan_key("api-actions", plan, version, today().isoformat()),
        lambda: current_app.json.dumps(actions_json(plan)).encode(),
        ".json",
    )
    return current_app.response_class(body, mimetype="application/json")


def actions_json(plan) -> list[dict]:
    """The action list of ``plan`` as the API shows it, computed from the database."""
    loaded = load_lines(db.session, plan, today())
    labels = {pillar.id: pillar.label for pillar in loaded.pillars}
    return [action_json(line, labels[line.pillar_id], plan.years) for line in loaded.open]


def one_action_json(action: Action) -> dict:
    """One action, freshly read, as the list shows it."""
    return action_json(one_line(db.session, action, today()), action.pillar.label, action.pillar.plan.years)


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
                "pillar": pillar.label,
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


@bp.get("/networks")
@requires(Need.NETWORK)
def networks():
    """The networks the caller coordinates or whose member organisation they belong to."""
    scope = current_scope()
    found = db.session.scalars(scoped(sa.select(Network), Network, scope).order_by(Network.name)).all()
    return jsonify(
        [
            {"id": network.id, "name": network.name, "coordinator": scope.coordinates(network.id)}
            for network in found
        ]
    )


@bp.get("/networks/<int:network_id>/rollup")
@requires(Need.NETWORK)
def network_rollup(network_id: int):
    """A network's roll-up of one year (``?year=``, default this year), by region and member."""
    network = get_or_404(db.session, Network, network_id)
    year = network_year(request.args.get("year"))
    return jsonify(network_rollup_json(rollup_network(db.session, network, year, today())))


@bp.errorhandler(Invalid)
def _invalid(error: Invalid):
    db.session.rollback()
    return jsonify(error="invalid", message=str(error), errors=error.errors), 422


@bp.errorhandler(Conflict)
def _conflict(error: Conflict):
    db.session.rollback()
    body = {"error": "conflict", "message": error.message}
    current = [record for record in error.records if isinstance(record, Action)]
    if current:
        db.session.refresh(current[0])
        body["current"] = one_action_json(current[0])
    return jsonify(body), 409


@bp.post("/actions/<int:action_id>/status")
@requires(Need.EDIT)
@committed
def action_status(action_id: int):
    """Change an action's status: ``{"status", "note", "version"}`` and optionally ``"as_of"``
    (the day it took effect, within the plan's period and not after today); 200 with the action."""
    action = action_or_404(action_id)
    data = json_body()
    errors = Errors()
    status = errors.check("status", rules.status, data.get("status"))
    note = errors.check("note", validation.text, data.get("note"))
    version = errors.check("version", validation.version, data.get("version"))
    as_of = None if data.get("as_of") is None else errors.check("as_of", validation.iso_date, data["as_of"])
    errors.raise_any()
    change_status(db.session, action, status=status, note=note, version=version, as_of=as_of, today=today())
    db.session.flush()
    # Built from what was flushed; @committed commits after (nothing is read after the commit).
    return jsonify(one_action_json(action))


def entry_json(entry: TimeEntry) -> dict:
    """A time entry as the API shows it."""
    return {
        "id": entry.id,
        "date": entry.spent_on.isoformat(),
        "hours": hours(entry.hours),
        "action_id": entry.action_id,
        "user": entry.user.name,
        "note": entry.note,
        "version": entry.version,
    }


def _log(plan, action):
    data = json_body()
    errors = Errors()
    spent_on = errors.check("date", validation.day, data.get("date"), years=plan.years, today=today())
    logged = errors.check("hours", validation.logged_hours, data.get("hours"))
    note = errors.check("note", validation.text, data.get("note"))
    errors.raise_any()
    entry = log_hours(
        db.session, plan, person=current_user, spent_on=spent_on, hours=logged, action=action, note=note
    )
    # Built from what was flushed; @committed commits after (nothing is read after the commit).
    return jsonify(entry_json(entry)), 201


@bp.post("/actions/<int:action_id>/hours")
@requires(Need.EDIT)
@committed
def action_hours(action_id: int):
    """Log hours on an action: ``{"date", "hours", "note"}``; 201 with the entry."""
    action = action_or_404(action_id)
    return _log(action.pillar.plan, action)


@bp.post("/plans/<int:plan_id>/management-hours")
@requires(Need.EDIT)
@committed
def management_hours(plan_id: int):
    """Log hours on the plan's overall-management line; 201 with the entry."""
    return _log(plan_or_404(plan_id), None)


def effective_day(item) -> str | None:
    """The day a status took effect (a status change, or the status an action was created
    with); ``None`` for every other change."""
    if item.entity != "action" or not (item.field == "status" or item.kind == "created"):
        return None
    return (item.effective_on or item.at.date()).isoformat()


@bp.get("/actions/<int:action_id>/history")
@requires(Need.READ)
def action_history_json(action_id: int):
    """Every change of an action, oldest first."""
    action = action_or_404(action_id)
    return jsonify(
        [
            {
                "at": item.at.isoformat(),
                "user": item.user,
                "field": item.field if item.kind == "updated" else f"{item.entity} {item.kind}",
                "before": item.before,
                "after": item.after,
                "note": item.note,
                "effective_on": effective_day(item),
            }
            for item in action_history(db.session, action)
        ]
    )
