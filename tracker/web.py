"""Small helpers shared by the pages and the API."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from tracker.clock import today
from tracker.domain.plans import action_of, plan_of, plans_of
from tracker.extensions import db
from tracker.models import Action, Plan


def requested_year(plan: Plan, raw: str | None) -> int:
    """The year asked for in ``?year=``; by default this year, or the plan's nearest year."""
    if raw is None or raw == "":
        return min(max(today().year, plan.start_year), plan.end_year)
    if not raw.strip().isdigit():
        abort(400, _("year: %(value)s is not a year.", value=raw[:20]))
    year = int(raw)
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


def plan_or_404(plan_id: int) -> Plan:
    """A plan of the signed-in user's organisation; anything else is 404."""
    plan = plan_of(db.session, current_user.organisation_id, plan_id)
    if plan is None:
        abort(404)
    return plan


def action_or_404(action_id: int) -> Action:
    """An action of the signed-in user's organisation; anything else is 404."""
    action = action_of(db.session, current_user.organisation_id, action_id)
    if action is None:
        abort(404)
    return action


def json_body() -> dict:
    """The request's JSON object; anything else is a 400 that says what is wrong with it."""
    if not request.is_json:
        abort(400, _("body: send JSON with the header Content-Type: application/json."))
    data = request.get_json(silent=True)
    if data is None:
        abort(400, _("body: not valid JSON."))
    if not isinstance(data, dict):
        abort(400, _("body: must be a JSON object."))
    return data


def show_errors(form, errors: dict[str, str]) -> None:
    """Put each domain error next to its form field.

    Fields the form does not declare (the budget of each year) keep their errors in
    ``form.extra_errors`` for the template; the rest go to the top of the page.
    """
    form.extra_errors = getattr(form, "extra_errors", {})
    for field_name, message in errors.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors") and field.type != "HiddenField":
            if not field.errors:  # WTForms may have said it already (a choice not offered)
                field.errors = [message]
        elif field_name.startswith("planned_"):
            form.extra_errors[field_name] = message
        else:
            flash(f"{field_name}: {message}", "error")


def errors_for(form, name: str) -> str:
    """The error of an input the form class does not declare."""
    return getattr(form, "extra_errors", {}).get(name, "")


class VersionForm(FlaskForm):
    """A button that changes a record, from the version the person saw."""

    version = HiddenField()


def field_errors(form) -> dict[str, str]:
    """WTForms' own findings (choices not offered), run beside the domain's checks.

    CSRF was already checked by the app-wide hook, so it is left out here.
    """
    form.validate()
    return {name: " ".join(errors) for name, errors in form.errors.items() if name != "csrf_token"}


def to_the_plan(endpoint: str):
    """Straight to ``endpoint`` of the organisation's plan when it has one; else the list."""
    plans = plans_of(db.session, current_user.organisation_id)
    if len(plans) == 1:
        return redirect(url_for(endpoint, plan_id=plans[0].id))
    return redirect(url_for("views.plans"))
