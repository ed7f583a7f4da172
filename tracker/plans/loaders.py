"""Plans and actions as pages and the API load them: through the one scope, 404 otherwise."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from tracker.core import validation
from tracker.core.clock import today
from tracker.core.extensions import db
from tracker.core.scope import Scope, current_scope, get_or_404, scoped
from tracker.plans.models import Action, AllocationLine, Pillar, Plan


def plans_in(session: Session, scope: Scope) -> list[Plan]:
    """The plans ``scope`` reaches, newest period first."""
    return list(
        session.scalars(
            scoped(sa.select(Plan), Plan, scope)
            .options(selectinload(Plan.organisation))
            .order_by(Plan.start_year.desc(), Plan.title)
        )
    )


def plan_or_404(plan_id: int) -> Plan:
    """A plan the person may reach; anything else is 404."""
    return get_or_404(db.session, Plan, plan_id)


def action_or_404(action_id: int) -> Action:
    """An action the person may reach; anything else is 404."""
    return get_or_404(db.session, Action, action_id, selectinload(Action.pillar))


def pillar_or_404(pillar_id: int, plan: Plan | None = None) -> Pillar:
    """A pillar the person may reach (of ``plan`` when given); anything else is 404."""
    pillar = get_or_404(db.session, Pillar, pillar_id)
    if plan is not None and pillar.plan_id != plan.id:
        abort(404)
    return pillar


def line_or_404(line_id: int, plan: Plan) -> AllocationLine:
    """An allocation line of ``plan`` the person may reach; anything else is 404."""
    line = get_or_404(db.session, AllocationLine, line_id)
    if line.plan_id != plan.id:
        abort(404)
    return line


def requested_year(plan: Plan, raw: str | None) -> int:
    """The year asked for in ``?year=``; by default this year, or the plan's nearest year."""
    if raw is None or raw == "":
        return min(max(today().year, plan.start_year), plan.end_year)
    year = validation.digits(raw, most=4)
    if year is None:
        abort(400, _("year: %(value)s is not a year.", value=raw[:20]))
    if year not in plan.years:
        abort(
            400,
            _(
                "year: %(year)s is outside the plan's period %(start)s-%(end)s.",
                year=year,
                start=plan.start_year,
                end=plan.end_year,
            ),
        )
    return year


def to_the_plan(endpoint: str):
    """Straight to ``endpoint`` of the person's plan when they reach exactly one; else the list."""
    plans = plans_in(db.session, current_scope())
    if len(plans) == 1:
        return redirect(url_for(endpoint, plan_id=plans[0].id))
    return redirect(url_for("tracking.plans"))
