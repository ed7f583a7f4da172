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

from tracker.hours.rollup import BudgetFigures, HourRollup, hour_rollup, hours_by_year
from tracker.plans.late import Lateness, late_reasons
from tracker.plans.models import Action, Cadence, Occurrence, Pillar, Plan, Status
from tracker.plans.timeline import OccurrenceState, occurrence_states, occurrence_years


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


@dataclass(slots=True)
class ActionLine:
    """An action as the dashboard needs it (plain values, no ORM object)."""

    id: int
    code: str
    title: str
    pillar_id: int
    status: Status
    start_year: int
    end_year: int | None
    cadence: Cadence
    timeline_text: str
    version: int
    occurrences: list[OccurrenceState]
    late: list[Lateness]


def action_lines(session: Session, plan: Plan, on: date) -> tuple[list[Pillar], list, list[ActionLine]]:
    """The plan's pillars, every action row (archived too) and the open actions, late as of ``on``.

    Plain columns rather than ORM objects: thousands of actions load in milliseconds.
    """
    pillars = list(
        session.scalars(
            sa.select(Pillar).where(Pillar.plan_id == plan.id).order_by(Pillar.position, Pillar.id)
        )
    )
    rows = session.execute(
        sa.select(
            Action.id,
            Action.code,
            Action.title,
            Action.pillar_id,
            Action.status,
            Action.start_year,
            Action.end_year,
            Action.cadence,
            Action.timeline_text,
            Action.version,
            Action.archived_at,
        )
        .where(Action.plan_id == plan.id)
        .order_by(Action.position, Action.id)
    ).all()
    marks: dict[int, list[tuple[int, bool, str]]] = defaultdict(list)
    for action_id, mark_year, done, note in session.execute(
        sa.select(Occurrence.action_id, Occurrence.year, Occurrence.done, Occurrence.note)
        .join(Action, Action.id == Occurrence.action_id)
        .where(Action.plan_id == plan.id)
    ):
        marks[action_id].append((mark_year, done, note))
    actions = []
    for row in rows:
        if row.archived_at is not None:
            continue
        years = occurrence_years(row.cadence, row.start_year, row.end_year, plan.start_year, plan.end_year)
        occurrences = occurrence_states(years, marks.get(row.id, ()))
        actions.append(
            ActionLine(
                id=row.id,
                code=row.code,
                title=row.title,
                pillar_id=row.pillar_id,
                status=row.status,
                start_year=row.start_year,
                end_year=row.end_year,
                cadence=row.cadence,
                timeline_text=row.timeline_text,
                version=row.version,
                occurrences=occurrences,
                late=late_reasons(row.status, row.start_year, row.end_year, occurrences, on),
            )
        )
    return pillars, rows, actions
