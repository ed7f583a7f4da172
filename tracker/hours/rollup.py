"""The hour roll-up: one year of a plan, by allocation line, pillar, action and person.

The dashboard, the API, the Excel files and the reports all read their hour figures from
:func:`hour_rollup`, so they cannot disagree. Sums are done in SQL on exact hundredths of an hour,
in a fixed number of queries whatever the plan's size.

Definitions:
- allocated: the year's allocation lines; planned: the actions' budgets for the year;
  logged: time entries dated in the year (on an action, or on the overall-management line).
- For the plan and each allocation kind: remaining = allocated - logged; over-allocated when
  planned or logged exceeds what was allocated. Planned hours belong to actions, so they count
  against the implementation kind; overall management has no planned hours of its own.
- For a pillar or an action the budget is its planned hours: remaining = planned - logged, and it
  is over when more was logged than planned.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.accounts.models import User
from tracker.hours.models import MANAGEMENT, ActionHours, PersonHours
from tracker.plans.models import (
    Action,
    AllocationKind,
    AllocationLine,
    Pillar,
    Plan,
    PlannedHours,
    pillar_label,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineFigures:
    """One allocation line as allocated."""

    name: str
    kind: AllocationKind
    hours: Decimal


@dataclass(frozen=True, kw_only=True)
class AllocatedFigures:
    """Allocated, planned, logged and remaining hours."""

    allocated: Decimal
    planned: Decimal
    logged: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.allocated - self.logged


@dataclass(frozen=True, kw_only=True)
class KindFigures(AllocatedFigures):
    """The hours of one allocation kind."""

    kind: AllocationKind

    @property
    def over_allocated(self) -> bool:
        return self.planned > self.allocated or self.logged > self.allocated


@dataclass(frozen=True)
class BudgetFigures:
    """Planned and logged hours of an action or a pillar."""

    planned: Decimal = ZERO
    logged: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.logged

    @property
    def over_allocated(self) -> bool:
        return self.logged > self.planned


@dataclass(frozen=True)
class PillarFigures(BudgetFigures):
    """A pillar's budget, named as the plan numbers it."""

    pillar_id: int = 0
    position: int = 0
    name: str = ""

    @property
    def label(self) -> str:
        """The pillar as the plan numbers it."""
        return pillar_label(self.position, self.name)


@dataclass(frozen=True)
class PersonFigures:
    """Hours one person logged in the year."""

    user_id: int
    name: str
    management: Decimal
    actions: Decimal

    @property
    def logged(self) -> Decimal:
        return self.management + self.actions


@dataclass(frozen=True)
class HourRollup:
    """Every hour figure of one plan and year."""

    year: int
    lines: list[LineFigures]
    planned: Decimal
    logged_management: Decimal
    logged_actions: Decimal
    by_pillar: list[PillarFigures]
    by_action: dict[int, BudgetFigures]
    by_person: list[PersonFigures]
    by_kind: dict[AllocationKind, KindFigures] = field(default_factory=dict)

    @property
    def allocated(self) -> Decimal:
        return sum((line.hours for line in self.lines), ZERO)

    @property
    def logged(self) -> Decimal:
        return self.logged_management + self.logged_actions

    @property
    def remaining(self) -> Decimal:
        return self.allocated - self.logged

    @property
    def over_allocated(self) -> bool:
        return any(kind.over_allocated for kind in self.by_kind.values())

    def action(self, action_id: int) -> BudgetFigures:
        """An action's figures; an action with neither budget nor entries has zeros."""
        return self.by_action.get(action_id, BudgetFigures())


def hour_rollup(
    session: Session,
    plan: Plan,
    year: int,
    *,
    pillars: list[Pillar] | None = None,
    pillar_of: dict[int, int] | None = None,
) -> HourRollup:
    """Roll up the hours of ``plan`` for ``year`` (archived actions keep their hours).

    A caller that has already loaded the plan's pillars, and which pillar each action is in,
    passes them to save two queries.
    """
    return hour_rollups(
        session,
        [plan],
        year,
        pillars=None if pillars is None else {plan.id: pillars},
        pillar_of=pillar_of,
    )[plan.id]


def hour_rollups(
    session: Session,
    plans: list[Plan],
    year: int,
    *,
    pillars: dict[int, list[Pillar]] | None = None,
    pillar_of: dict[int, int] | None = None,
) -> dict[int, HourRollup]:
    """:func:`hour_rollup` of several plans at once, by plan id, in the same few queries however
    many plans (a network's roll-up): one definition, whether for one plan or two hundred.

    ``pillars`` (by plan id) and ``pillar_of`` (action id to pillar id, any plan) save two queries.
    """
    plan_ids = sorted({plan.id for plan in plans})
    lines: dict[int, list[LineFigures]] = defaultdict(list)
    for line in session.scalars(
        sa.select(AllocationLine)
        .where(AllocationLine.plan_id.in_(plan_ids), AllocationLine.year == year)
        .order_by(AllocationLine.position, AllocationLine.id)
    ):
        lines[line.plan_id].append(LineFigures(line.name, line.kind, line.hours))
    planned_by_action: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for plan_id, action_id, hours in session.execute(
        sa.select(Action.plan_id, PlannedHours.action_id, PlannedHours.hours)
        .join(Action, Action.id == PlannedHours.action_id)
        .where(Action.plan_id.in_(plan_ids), PlannedHours.year == year)
    ):
        planned_by_action[plan_id][action_id] = hours
    # Logged hours come from the maintained summaries (see tracker.domain.summary): a row per
    # action and per person, not one per entry.
    logged_by_action: dict[int, dict[int | None, Decimal]] = defaultdict(dict)
    for plan_id, action_id, hours in session.execute(
        sa.select(ActionHours.plan_id, ActionHours.action_id, ActionHours.hours).where(
            ActionHours.plan_id.in_(plan_ids), ActionHours.year == year
        )
    ):
        logged_by_action[plan_id][None if action_id == MANAGEMENT else action_id] = hours
    if pillar_of is None:
        pillar_of = dict(
            session.execute(sa.select(Action.id, Action.pillar_id).where(Action.plan_id.in_(plan_ids))).all()
        )
    if pillars is None:
        pillars = defaultdict(list)
        for pillar in session.scalars(
            sa.select(Pillar).where(Pillar.plan_id.in_(plan_ids)).order_by(Pillar.position, Pillar.id)
        ):
            pillars[pillar.plan_id].append(pillar)
    person_rows = session.execute(
        sa.select(PersonHours.plan_id, User.id, User.name, PersonHours.management, PersonHours.hours)
        .join(User, User.id == PersonHours.user_id)
        .where(PersonHours.plan_id.in_(plan_ids), PersonHours.year == year)
        .order_by(User.name, User.id)
    ).all()
    people: dict[int, dict[int, dict]] = defaultdict(dict)
    for plan_id, user_id, name, management, hours in person_rows:
        person = people[plan_id].setdefault(user_id, {"name": name, True: ZERO, False: ZERO})
        person[bool(management)] += hours
    return {
        plan_id: _rollup(
            year,
            lines[plan_id],
            planned_by_action[plan_id],
            logged_by_action[plan_id],
            pillars.get(plan_id, []),
            pillar_of,
            people[plan_id],
        )
        for plan_id in plan_ids
    }


def _rollup(
    year: int,
    lines: list[LineFigures],
    planned_by_action: dict[int, Decimal],
    logged_by_action: dict[int | None, Decimal],
    pillars: list[Pillar],
    pillar_of: dict[int, int],
    people: dict[int, dict],
) -> HourRollup:
    """One plan's roll-up from its rows (see the module's definitions)."""
    logged_by_action = dict(logged_by_action)
    logged_management = logged_by_action.pop(None, None) or ZERO

    by_action = {
        action_id: BudgetFigures(
            planned=planned_by_action.get(action_id, ZERO),
            logged=logged_by_action.get(action_id, ZERO),
        )
        for action_id in planned_by_action.keys() | logged_by_action.keys()
    }

    pillar_planned: dict[int, Decimal] = defaultdict(lambda: ZERO)
    pillar_logged: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for action_id, figures in by_action.items():
        pillar_planned[pillar_of[action_id]] += figures.planned
        pillar_logged[pillar_of[action_id]] += figures.logged
    by_pillar = [
        PillarFigures(
            planned=pillar_planned[pillar.id],
            logged=pillar_logged[pillar.id],
            pillar_id=pillar.id,
            position=pillar.position,
            name=pillar.name,
        )
        for pillar in pillars
    ]
    by_person = [
        PersonFigures(user_id, person["name"], person[True], person[False])
        for user_id, person in people.items()
    ]

    planned = sum(planned_by_action.values(), ZERO)
    logged_actions = sum(logged_by_action.values(), ZERO)
    allocated_by_kind: dict[AllocationKind, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        allocated_by_kind[line.kind] += line.hours
    by_kind = {
        AllocationKind.MANAGEMENT: KindFigures(
            kind=AllocationKind.MANAGEMENT,
            allocated=allocated_by_kind[AllocationKind.MANAGEMENT],
            planned=ZERO,
            logged=logged_management,
        ),
        AllocationKind.IMPLEMENTATION: KindFigures(
            kind=AllocationKind.IMPLEMENTATION,
            allocated=allocated_by_kind[AllocationKind.IMPLEMENTATION],
            planned=planned,
            logged=logged_actions,
        ),
    }
    return HourRollup(
        year=year,
        lines=lines,
        planned=planned,
        logged_management=logged_management,
        logged_actions=logged_actions,
        by_pillar=by_pillar,
        by_action=by_action,
        by_person=by_person,
        by_kind=by_kind,
    )


def hours_by_year(
    session: Session, plan: Plan | list[Plan], action_id: int | None = None
) -> tuple[dict[int, dict[int, Decimal]], dict[int, dict[int, Decimal]]]:
    """Planned and logged hours of every action of ``plan`` (or of one; or of several plans), by
    action and year.

    Read as the whole hundredths they are stored in, which is cheap by the ten thousand, and
    handed on as exact Decimals.
    """
    stored = sa.BigInteger()
    plan_ids = sorted({one.id for one in (plan if isinstance(plan, list) else [plan])})
    planned: dict[int, dict[int, Decimal]] = defaultdict(dict)
    planned_query = (
        sa.select(PlannedHours.action_id, PlannedHours.year, sa.type_coerce(PlannedHours.hours, stored))
        .join(Action, Action.id == PlannedHours.action_id)
        .where(Action.plan_id.in_(plan_ids))
    )
    if action_id is not None:
        planned_query = planned_query.where(PlannedHours.action_id == action_id)
    for planned_action, year, hundredths in session.execute(planned_query):
        planned[planned_action][year] = Decimal(hundredths).scaleb(-2)
    logged: dict[int, dict[int, Decimal]] = defaultdict(dict)
    logged_query = sa.select(
        ActionHours.action_id, ActionHours.year, sa.type_coerce(ActionHours.hours, stored)
    ).where(ActionHours.plan_id.in_(plan_ids), ActionHours.action_id != MANAGEMENT)
    if action_id is not None:
        logged_query = logged_query.where(ActionHours.action_id == action_id)
    for logged_action, year, hundredths in session.execute(logged_query):
        logged[logged_action][year] = Decimal(hundredths).scaleb(-2)
    return planned, logged


@dataclass(frozen=True, kw_only=True)
class YearHours(AllocatedFigures):
    """One year of the plan: allocated, planned and logged hours."""

    year: int


def hours_per_year(session: Session, plan: Plan) -> list[YearHours]:
    """Allocated, planned and logged hours for every year of the plan, in three queries."""
    allocated = dict(
        session.execute(
            sa.select(AllocationLine.year, sa.func.sum(AllocationLine.hours))
            .where(AllocationLine.plan_id == plan.id)
            .group_by(AllocationLine.year)
        ).all()
    )
    planned = dict(
        session.execute(
            sa.select(PlannedHours.year, sa.func.sum(PlannedHours.hours))
            .join(Action, Action.id == PlannedHours.action_id)
            .where(Action.plan_id == plan.id)
            .group_by(PlannedHours.year)
        ).all()
    )
    logged = dict(
        session.execute(
            sa.select(ActionHours.year, sa.func.sum(ActionHours.hours))
            .where(ActionHours.plan_id == plan.id)
            .group_by(ActionHours.year)
        ).all()
    )
    return [
        YearHours(
            year=y,
            allocated=allocated.get(y) or ZERO,
            planned=planned.get(y) or ZERO,
            logged=logged.get(y) or ZERO,
        )
        for y in plan.years
    ]
