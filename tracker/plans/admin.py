"""Administering plans: their period, ordered pillars and yearly allocation lines."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from tracker.accounts.models import Organisation
from tracker.core.concurrency import expect_version, flush, flush_new
from tracker.core.validation import Invalid
from tracker.plans.models import (
    Action,
    AllocationKind,
    AllocationLine,
    Occurrence,
    Pillar,
    Plan,
    PlannedHours,
)
from tracker.plans.plan_templates import Template


def _period(start: int, end: int) -> None:
    if end < start:
        raise Invalid({"end_year": _("%(end)s is before the start year %(start)s", end=end, start=start)})


def _title_free(session: Session, organisation_id: int, title: str, plan_id: int | None = None) -> None:
    taken = session.scalar(
        sa.select(Plan.id).where(
            Plan.organisation_id == organisation_id, Plan.title == title, Plan.id != (plan_id or 0)
        )
    )
    if taken is not None:
        raise Invalid(
            {"title": _("another plan of your organisation is already called %(title)s", title=title)}
        )


def create_plan(
    session: Session,
    organisation: Organisation,
    *,
    title: str,
    start_year: int,
    end_year: int,
    template: Template | None = None,
) -> Plan:
    """A new plan of ``organisation``: empty, or with the pillars (and their guidance) of
    ``template``, in its order."""
    _period(start_year, end_year)
    _title_free(session, organisation.id, title)
    organisation_id = organisation.id
    plan = Plan(organisation=organisation, title=title, start_year=start_year, end_year=end_year)
    session.add(plan)
    pillars = [
        Pillar(plan=plan, position=position, name=pillar.name, guidance=pillar.guidance)
        for position, pillar in enumerate(template.pillars if template else (), start=1)
    ]
    session.add_all(pillars)
    flush_new(session, [plan, *pillars], _("the plan"), lambda: _title_free(session, organisation_id, title))
    return plan


# What lies outside a period: (session, plan, years) -> [(year, what, in words)]. The plan's own
# records are read here; concerns above plans (logged hours) register theirs with
# :func:`keeps_years`, so that plans need not import them.
OutsideReader = Callable[[Session, Plan, range], list[tuple[int, str]]]
_readers: list[OutsideReader] = []


def keeps_years(reader: OutsideReader) -> None:
    """Refuse a period that would leave out what ``reader`` finds (once, however often called)."""
    if reader not in _readers:
        _readers.append(reader)


def _counted(rows, words) -> list[tuple[int, str]]:
    return [(year, words(count, year)) for year, count in rows]


def _own_records_outside(session: Session, plan: Plan, years: range) -> list[tuple[int, str]]:
    def by_year(model, *joins):
        query = sa.select(model.year, sa.func.count()).select_from(model)
        for join in joins:
            query = query.join(*join)
        owner = Action.plan_id if joins else model.plan_id
        query = query.where(owner == plan.id, sa.or_(model.year < years.start, model.year >= years.stop))
        return session.execute(query.group_by(model.year).order_by(model.year)).all()

    action_join = (Action, Action.id == PlannedHours.action_id)
    return [
        *_counted(
            by_year(PlannedHours, action_join),
            lambda n, year: ngettext(
                "%(num)d budget in %(year)s", "%(num)d budgets in %(year)s", n, year=year
            ),
        ),
        *_counted(
            by_year(AllocationLine),
            lambda n, year: ngettext(
                "%(num)d allocation line in %(year)s", "%(num)d allocation lines in %(year)s", n, year=year
            ),
        ),
        *_counted(
            by_year(Occurrence, (Action, Action.id == Occurrence.action_id)),
            lambda n, year: ngettext(
                "%(num)d occurrence mark in %(year)s", "%(num)d occurrence marks in %(year)s", n, year=year
            ),
        ),
    ]


def _and(words: list[str]) -> str:
    return (
        words[0]
        if len(words) == 1
        else _("%(list)s and %(last)s", list=", ".join(words[:-1]), last=words[-1])
    )


def check_period_keeps_records(session: Session, plan: Plan, start_year: int, end_year: int) -> None:
    """A plan's period may not shrink past what is recorded in its years: logged hours, budgets,
    allocation lines, occurrence marks would vanish from every view. Refused naming the side."""
    years = range(start_year, end_year + 1)
    found = [item for reader in (_own_records_outside, *_readers) for item in reader(session, plan, years)]
    errors = {}
    for field, side in (
        ("start_year", [w for y, w in found if y < start_year]),
        ("end_year", [w for y, w in found if y > end_year]),
    ):
        if side:
            errors[field] = _(
                "the period %(first)s-%(last)s would leave out %(records)s; move or delete them first",
                first=start_year,
                last=end_year,
                records=_and(side),
            )
    if errors:
        raise Invalid(errors)


def update_plan(
    session: Session, plan: Plan, *, title: str, start_year: int, end_year: int, version: int
) -> None:
    """Rename a plan or change its period; the period keeps every record in its years."""
    expect_version(plan, version, _("the plan"))
    _period(start_year, end_year)
    check_period_keeps_records(session, plan, start_year, end_year)
    organisation_id, plan_id = plan.organisation_id, plan.id
    _title_free(session, organisation_id, title, plan_id)
    plan.title, plan.start_year, plan.end_year = title, start_year, end_year
    flush_new(session, [plan], _("the plan"), lambda: _title_free(session, organisation_id, title, plan_id))


def _name_free(session: Session, plan: Plan, name: str, pillar_id: int | None = None) -> None:
    taken = session.scalar(
        sa.select(Pillar.id).where(
            Pillar.plan_id == plan.id, Pillar.name == name, Pillar.id != (pillar_id or 0)
        )
    )
    if taken is not None:
        raise Invalid({"name": _("a pillar of this plan is already called %(name)s", name=name)})


def add_pillar(session: Session, plan: Plan, name: str) -> Pillar:
    """Add a pillar after the last one."""
    _name_free(session, plan, name)
    last = session.scalar(sa.select(sa.func.max(Pillar.position)).where(Pillar.plan_id == plan.id)) or 0
    pillar = Pillar(plan=plan, position=last + 1, name=name)
    session.add(pillar)
    flush_new(session, [pillar], _("the pillar"), lambda: _name_free(session, plan, name))
    return pillar


def rename_pillar(
    session: Session, pillar: Pillar, name: str, *, version: int, guidance: str | None = None
) -> None:
    """Give a pillar another name (and, when ``guidance`` is given, another guidance text)."""
    expect_version(pillar, version, _("pillar %(position)s", position=pillar.position))
    plan, pillar_id = pillar.plan, pillar.id
    _name_free(session, plan, name, pillar_id)
    pillar.name = name
    if guidance is not None:
        pillar.guidance = guidance
    flush_new(
        session,
        [pillar],
        _("pillar %(position)s", position=pillar.position),
        lambda: _name_free(session, plan, name, pillar_id),
    )


def move_pillar(session: Session, pillar: Pillar, step: int, *, version: int) -> None:
    """Swap a pillar with the one before (``step`` -1) or after (+1) it."""
    expect_version(pillar, version, _("pillar %(position)s", position=pillar.position))
    ordered = session.scalars(
        sa.select(Pillar).where(Pillar.plan_id == pillar.plan_id).order_by(Pillar.position, Pillar.id)
    ).all()
    index = ordered.index(pillar)
    other_index = index + step
    if step not in (-1, 1) or not 0 <= other_index < len(ordered):
        raise Invalid({"direction": _("this pillar cannot move further that way")})
    # Renumber all, so that positions stay 1..n whatever they were before.
    ordered[index], ordered[other_index] = ordered[other_index], ordered[index]
    for position, each in enumerate(ordered, start=1):
        if each.position != position:
            each.position = position
    flush(session, ordered, _("the pillars"))


def add_allocation_line(
    session: Session,
    plan: Plan,
    *,
    year: int,
    kind: AllocationKind,
    name: str,
    hours: Decimal,
    description: str,
) -> AllocationLine:
    """Add a line to a year's allocation."""
    if year not in plan.years:
        raise Invalid(
            {
                "year": _(
                    "must be within the plan's period %(first)s-%(last)s",
                    first=plan.start_year,
                    last=plan.end_year,
                )
            }
        )
    plan_id = plan.id
    _line_name_free(session, plan_id, year, name)
    last = (
        session.scalar(
            sa.select(sa.func.max(AllocationLine.position)).where(
                AllocationLine.plan_id == plan.id, AllocationLine.year == year
            )
        )
        or 0
    )
    line = AllocationLine(
        plan=plan, year=year, position=last + 1, kind=kind, name=name, hours=hours, description=description
    )
    session.add(line)
    flush_new(session, [line], _("the line"), lambda: _line_name_free(session, plan_id, year, name))
    return line


def _line_name_free(session: Session, plan_id: int, year: int, name: str, line_id: int | None = None) -> None:
    taken = session.scalar(
        sa.select(AllocationLine.id).where(
            AllocationLine.plan_id == plan_id,
            AllocationLine.year == year,
            AllocationLine.name == name,
            AllocationLine.id != (line_id or 0),
        )
    )
    if taken is not None:
        raise Invalid({"name": _("%(year)s already has a line called %(name)s", year=year, name=name)})


def update_allocation_line(
    session: Session, line: AllocationLine, *, kind: AllocationKind, name: str, hours: Decimal, version: int
) -> None:
    """Change a line's kind, name or hours."""
    what = _("the %(year)s line %(name)s", year=line.year, name=line.name)
    expect_version(line, version, what)
    plan_id, year, line_id = line.plan_id, line.year, line.id
    _line_name_free(session, plan_id, year, name, line_id)
    line.kind, line.name, line.hours = kind, name, hours
    flush_new(session, [line], what, lambda: _line_name_free(session, plan_id, year, name, line_id))


def delete_allocation_line(session: Session, line: AllocationLine, *, version: int) -> None:
    """Remove a line from a year's allocation (the history keeps it)."""
    expect_version(line, version, _("the %(year)s line %(name)s", year=line.year, name=line.name))
    session.delete(line)
    flush(session, [line], _("the line"))
