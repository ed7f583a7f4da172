"""Reading a plan: its actions with their status, lateness, occurrences and hours.

Pages and the API both call these functions, so a figure or a "late" flag is worked out once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tracker.domain.late import Lateness, late_reasons
from tracker.domain.rollup import BudgetFigures, HourRollup, hour_rollup
from tracker.domain.timeline import OccurrenceState, occurrence_states, occurrence_years
from tracker.models import MANAGEMENT, Action, ActionHours, Pillar, Plan, PlannedHours, Status


def plans_of(session: Session, organisation_id: int) -> list[Plan]:
    """The plans an organisation owns, newest period first."""
    return list(
        session.scalars(
            sa.select(Plan)
            .where(Plan.organisation_id == organisation_id)
            .options(selectinload(Plan.organisation))
            .order_by(Plan.start_year.desc(), Plan.title)
        )
    )


def plan_of(session: Session, organisation_id: int, plan_id: int) -> Plan | None:
    """The plan ``plan_id`` if ``organisation_id`` owns it; another's plan is as good as absent."""
    return session.scalar(sa.select(Plan).where(Plan.id == plan_id, Plan.organisation_id == organisation_id))


def action_of(session: Session, organisation_id: int, action_id: int) -> Action | None:
    """The action ``action_id`` if it belongs to a plan of ``organisation_id``."""
    return session.scalar(
        sa.select(Action)
        .join(Plan, Plan.id == Action.plan_id)
        .where(Action.id == action_id, Plan.organisation_id == organisation_id)
        .options(selectinload(Action.pillar))
    )


def action_occurrences(action: Action, plan: Plan) -> list[OccurrenceState]:
    """The expected occurrences of ``action`` within ``plan``'s years, done or not."""
    years = occurrence_years(
        action.cadence, action.start_year, action.end_year, plan.start_year, plan.end_year
    )
    return occurrence_states(years, ((mark.year, mark.done, mark.note) for mark in action.occurrences))


@dataclass(frozen=True)
class ActionRow:
    """An action as a list shows it for one year."""

    action: Action
    pillar: Pillar
    occurrences: list[OccurrenceState]
    late: list[Lateness]
    hours: BudgetFigures

    @property
    def is_late(self) -> bool:
        return bool(self.late)


@dataclass(frozen=True)
class PlanOverview:
    """A plan's actions, grouped by pillar in the plan's order, with the year's roll-up."""

    plan: Plan
    year: int
    on: date
    pillars: list[tuple[Pillar, list[ActionRow]]]
    rollup: HourRollup

    @property
    def rows(self) -> list[ActionRow]:
        return [row for _, rows in self.pillars for row in rows]


def plan_overview(session: Session, plan: Plan, year: int, on: date) -> PlanOverview:
    """Every action of ``plan`` with its late flag on ``on`` and its hours in ``year``."""
    pillars = list(
        session.scalars(
            sa.select(Pillar).where(Pillar.plan_id == plan.id).order_by(Pillar.position, Pillar.id)
        )
    )
    actions = session.scalars(
        sa.select(Action)
        .where(Action.plan_id == plan.id, Action.archived_at.is_(None))
        .options(selectinload(Action.occurrences))
        .order_by(Action.position, Action.id)
    ).all()
    rollup = hour_rollup(session, plan, year)
    by_pillar: dict[int, list[ActionRow]] = defaultdict(list)
    pillar_by_id = {pillar.id: pillar for pillar in pillars}
    for action in actions:
        occurrences = action_occurrences(action, plan)
        by_pillar[action.pillar_id].append(
            ActionRow(
                action=action,
                pillar=pillar_by_id[action.pillar_id],
                occurrences=occurrences,
                late=late_reasons(action.status, action.start_year, action.end_year, occurrences, on),
                hours=rollup.action(action.id),
            )
        )
    return PlanOverview(
        plan=plan,
        year=year,
        on=on,
        pillars=[(pillar, by_pillar.get(pillar.id, [])) for pillar in pillars],
        rollup=rollup,
    )


def hundredths_by_year(
    session: Session, plan: Plan, action_id: int | None = None
) -> tuple[dict[int, dict[int, int]], dict[int, dict[int, int]]]:
    """Planned and logged hours of every action of ``plan`` (or of one), by action and year,
    as the whole hundredths they are stored in (cheap to read by the ten thousand)."""
    stored = sa.BigInteger()
    planned: dict[int, dict[int, int]] = defaultdict(dict)
    planned_query = (
        sa.select(PlannedHours.action_id, PlannedHours.year, sa.type_coerce(PlannedHours.hours, stored))
        .join(Action, Action.id == PlannedHours.action_id)
        .where(Action.plan_id == plan.id)
    )
    if action_id is not None:
        planned_query = planned_query.where(PlannedHours.action_id == action_id)
    for planned_action, year, hours in session.execute(planned_query):
        planned[planned_action][year] = hours
    logged: dict[int, dict[int, int]] = defaultdict(dict)
    logged_query = sa.select(
        ActionHours.action_id, ActionHours.year, sa.type_coerce(ActionHours.hours, stored)
    ).where(ActionHours.plan_id == plan.id, ActionHours.action_id != MANAGEMENT)
    if action_id is not None:
        logged_query = logged_query.where(ActionHours.action_id == action_id)
    for logged_action, year, hours in session.execute(logged_query):
        logged[logged_action][year] = hours
    return planned, logged


def hours_by_year(
    session: Session, plan: Plan, action_id: int | None = None
) -> tuple[dict[int, dict[int, Decimal]], dict[int, dict[int, Decimal]]]:
    """Planned and logged hours of every action of ``plan`` (or of one), by action and year."""
    planned, logged = hundredths_by_year(session, plan, action_id)

    def exact(table):
        return defaultdict(
            dict, {a: {y: Decimal(v).scaleb(-2) for y, v in years.items()} for a, years in table.items()}
        )

    return exact(planned), exact(logged)


@dataclass(frozen=True)
class ActionFilter:
    """What the action list is narrowed to; every criterion is optional."""

    pillar_id: int | None = None
    status: Status | None = None
    late: bool = False
    responsible: str = ""
    text: str = ""


SORT_KEYS = {
    "code": lambda row: (row.pillar.position, row.action.position, row.action.id),
    "title": lambda row: row.action.title.lower(),
    "pillar": lambda row: (row.pillar.position, row.action.position),
    "status": lambda row: (STATUS_ORDER[row.action.status], row.action.position),
    "late": lambda row: (not row.is_late, row.action.position),
    "start": lambda row: (row.action.start_year, row.action.position),
    "planned": lambda row: (row.hours.planned, row.action.position),
    "logged": lambda row: (row.hours.logged, row.action.position),
}
STATUS_ORDER = {Status.UPCOMING: 0, Status.ONGOING: 1, Status.COMPLETED: 2}


def filter_rows(rows: list[ActionRow], criteria: ActionFilter) -> list[ActionRow]:
    """The rows that meet every given criterion (text matches code, title and description)."""
    needle = criteria.text.casefold()
    person = criteria.responsible.casefold()
    return [
        row
        for row in rows
        if (criteria.pillar_id is None or row.pillar.id == criteria.pillar_id)
        and (criteria.status is None or row.action.status is criteria.status)
        and (not criteria.late or row.is_late)
        and (not person or person in row.action.responsible.casefold())
        and (
            not needle
            or needle in row.action.code.casefold()
            or needle in row.action.title.casefold()
            or needle in row.action.description.casefold()
        )
    ]


def sort_rows(rows: list[ActionRow], key: str, descending: bool = False) -> list[ActionRow]:
    """The rows in the order of a column; unknown keys sort by code."""
    return sorted(rows, key=SORT_KEYS.get(key, SORT_KEYS["code"]), reverse=descending)


def responsible_people(rows: list[ActionRow]) -> list[str]:
    """Everyone named responsible for some action (names are separated by ';')."""
    names = {name.strip() for row in rows for name in row.action.responsible.split(";") if name.strip()}
    return sorted(names, key=str.casefold)


def hours_of_action(session: Session, action: Action) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """One action's planned and logged hours, by year."""
    planned, logged = hours_by_year(session, action.pillar.plan, action_id=action.id)
    return planned[action.id], logged[action.id]
