"""A plan's action lines: every action with its status, late flag, occurrences and hours.

:func:`load_lines` is the one loader: the plan and action pages, the action list, the dashboard,
the API, the workbook and the assessment report all read their actions from it, so a "late" flag,
an occurrence or an hour figure is worked out once, the same way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.hours.rollup import ZERO, BudgetFigures, HourRollup, hour_rollup, hours_by_year
from tracker.plans.late import Lateness, late_reasons, why_late
from tracker.plans.models import Action, Cadence, Occurrence, Pillar, Plan, Status
from tracker.plans.timeline import OccurrenceState, occurrence_states, occurrence_years


@dataclass(slots=True)
class ActionLine:
    """An action as every list, page and export reads it (plain values, no ORM object).

    ``planned`` and ``logged`` map years to exact hours; they are empty when the caller asked for
    no hours.
    """

    id: int
    code: str
    title: str
    description: str
    responsible: str
    pillar_id: int
    position: int
    status: Status
    start_year: int
    end_year: int | None
    cadence: Cadence
    timeline_text: str
    version: int
    archived_at: datetime | None
    occurrences: list[OccurrenceState]
    late: list[Lateness]
    planned: dict[int, Decimal] = field(default_factory=dict)
    logged: dict[int, Decimal] = field(default_factory=dict)

    @property
    def is_late(self) -> bool:
        return bool(self.late)

    @property
    def why_late(self) -> str:
        """Why it is late, in words (empty when it is not); see :func:`~tracker.plans.late.why_late`."""
        return why_late(self.status, self.late)

    def hours_in(self, year: int) -> BudgetFigures:
        """Planned and logged hours in ``year``."""
        return BudgetFigures(planned=self.planned.get(year, ZERO), logged=self.logged.get(year, ZERO))


@dataclass
class PlanLines:
    """A plan's pillars in order, and its action lines in order."""

    pillars: list[Pillar]
    lines: list[ActionLine]

    @property
    def open(self) -> list[ActionLine]:
        """The lines of actions that are not archived."""
        return [line for line in self.lines if line.archived_at is None]

    @property
    def pillar_of(self) -> dict[int, int]:
        """Which pillar each action (archived too) is in."""
        return {line.id: line.pillar_id for line in self.lines}


def load_lines(
    session: Session,
    plan: Plan,
    on: date,
    *,
    action_id: int | None = None,
    hours: bool = True,
) -> PlanLines:
    """Every action of ``plan`` (or the one ``action_id``), archived ones included, late as of
    ``on``, with its planned and logged hours by year unless ``hours`` is false.

    Plain columns rather than ORM objects, in a fixed number of queries: thousands of actions
    load in milliseconds.
    """
    return load_lines_of(session, [plan], on, action_id=action_id, hours=hours)[plan.id]


def load_lines_of(
    session: Session,
    plans: list[Plan],
    on: date,
    *,
    action_id: int | None = None,
    hours: bool = True,
) -> dict[int, PlanLines]:
    """:func:`load_lines` of several plans at once, by plan id, in the same few queries however
    many plans there are (a network's roll-up reads its members' plans so)."""
    by_id = {plan.id: plan for plan in plans}
    plan_ids = sorted(by_id)
    pillars: dict[int, list[Pillar]] = {plan_id: [] for plan_id in plan_ids}
    for pillar in session.scalars(
        sa.select(Pillar).where(Pillar.plan_id.in_(plan_ids)).order_by(Pillar.position, Pillar.id)
    ):
        pillars[pillar.plan_id].append(pillar)
    query = (
        sa.select(
            Action.id,
            Action.code,
            Action.title,
            Action.description,
            Action.responsible,
            Action.pillar_id,
            Action.position,
            Action.status,
            Action.start_year,
            Action.end_year,
            Action.cadence,
            Action.timeline_text,
            Action.version,
            Action.archived_at,
            Action.plan_id,
        )
        .where(Action.plan_id.in_(plan_ids))
        .order_by(Action.position, Action.id)
    )
    marks_query = (
        sa.select(Occurrence.action_id, Occurrence.year, Occurrence.done, Occurrence.note)
        .join(Action, Action.id == Occurrence.action_id)
        .where(Action.plan_id.in_(plan_ids))
    )
    if action_id is not None:
        query = query.where(Action.id == action_id)
        marks_query = marks_query.where(Occurrence.action_id == action_id)
    marks: dict[int, list[tuple[int, bool, str]]] = defaultdict(list)
    for marked, mark_year, done, note in session.execute(marks_query):
        marks[marked].append((mark_year, done, note))
    planned, logged = hours_by_year(session, plans, action_id) if hours else ({}, {})
    lines: dict[int, list[ActionLine]] = {plan_id: [] for plan_id in plan_ids}
    result = session.execute(query)
    # The names once: Row._asdict() builds them again for every row, which cost more than all
    # the rest of the loading for ten thousand actions.
    names = list(result.keys())
    for row in result:
        values = dict(zip(names, row, strict=True))
        plan = by_id[values.pop("plan_id")]
        years = occurrence_years(row.cadence, row.start_year, row.end_year, plan.start_year, plan.end_year)
        occurrences = occurrence_states(years, marks.get(row.id, ()))
        lines[plan.id].append(
            ActionLine(
                **values,
                occurrences=occurrences,
                late=late_reasons(row.status, row.start_year, row.end_year, occurrences, on),
                planned=planned.get(row.id, {}),
                logged=logged.get(row.id, {}),
            )
        )
    return {plan_id: PlanLines(pillars[plan_id], lines[plan_id]) for plan_id in plan_ids}


def one_line(session: Session, action: Action, on: date) -> ActionLine:
    """One action's line, freshly read."""
    return load_lines(session, action.pillar.plan, on, action_id=action.id).lines[0]


@dataclass(frozen=True)
class ActionRow:
    """An action line as a list shows it for one year."""

    action: ActionLine
    pillar: Pillar
    hours: BudgetFigures

    @property
    def is_late(self) -> bool:
        return self.action.is_late


@dataclass(frozen=True)
class PlanOverview:
    """A plan's open actions, grouped by pillar in the plan's order, with the year's roll-up."""

    plan: Plan
    year: int
    on: date
    pillars: list[tuple[Pillar, list[ActionRow]]]
    rollup: HourRollup

    @property
    def rows(self) -> list[ActionRow]:
        return [row for _, rows in self.pillars for row in rows]


def plan_overview(session: Session, plan: Plan, year: int, on: date) -> PlanOverview:
    """Every open action of ``plan`` with its late flag on ``on`` and its hours in ``year``."""
    loaded = load_lines(session, plan, on)
    rollup = hour_rollup(session, plan, year, pillars=loaded.pillars, pillar_of=loaded.pillar_of)
    by_pillar: dict[int, list[ActionRow]] = defaultdict(list)
    pillar_by_id = {pillar.id: pillar for pillar in loaded.pillars}
    for line in loaded.open:
        by_pillar[line.pillar_id].append(ActionRow(line, pillar_by_id[line.pillar_id], line.hours_in(year)))
    return PlanOverview(
        plan=plan,
        year=year,
        on=on,
        pillars=[(pillar, by_pillar.get(pillar.id, [])) for pillar in loaded.pillars],
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
