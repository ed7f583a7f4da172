"""Small builders for test data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tracker.accounts.models import Organisation, Region, User
from tracker.core.database import counting_statements
from tracker.core.permissions import Role
from tracker.hours.models import TimeEntry
from tracker.plans.models import (
    Action,
    AllocationKind,
    AllocationLine,
    Cadence,
    Pillar,
    Plan,
    PlannedHours,
    Status,
)


def organisation(session, name="Test LGA") -> Organisation:
    org = Organisation(name=name, country="Sweden", region=Region.NORTH_AMERICA_AND_EUROPE)
    session.add(org)
    return org


def plan(session, org, title="Test plan", start=2023, end=2026) -> Plan:
    plan = Plan(organisation=org, title=title, start_year=start, end_year=end)
    session.add(plan)
    session.flush()
    return plan


def pillar(session, plan, position, name=None) -> Pillar:
    pillar = Pillar(plan=plan, position=position, name=name or f"Pillar {position}")
    session.add(pillar)
    session.flush()
    return pillar


def action(
    session, pillar, code, *, status=Status.ONGOING, start=2023, end=None, cadence=Cadence.ONGOING, title=None
) -> Action:
    action = Action(
        plan_id=pillar.plan_id,
        pillar=pillar,
        position=int(code.replace(".", "")),
        code=code,
        title=title or f"Action {code}",
        status=status,
        start_year=start,
        end_year=end,
        cadence=cadence,
        timeline_text="",
    )
    session.add(action)
    session.flush()
    return action


def person(session, org, name, role=Role.EDITOR) -> User:
    user = User(
        organisation=org, email=f"{name.lower()}@example.test", name=name, role=role, password_hash="x"
    )
    session.add(user)
    session.flush()
    return user


def allocate(session, plan, year, management, implementation) -> None:
    session.add_all(
        [
            AllocationLine(
                plan=plan,
                year=year,
                position=1,
                kind=AllocationKind.MANAGEMENT,
                name="Overall management",
                hours=Decimal(management),
            ),
            AllocationLine(
                plan=plan,
                year=year,
                position=2,
                kind=AllocationKind.IMPLEMENTATION,
                name="Implementation",
                hours=Decimal(implementation),
            ),
        ]
    )


def budget(session, action, year, hours) -> None:
    session.add(PlannedHours(action=action, year=year, hours=Decimal(hours)))


def log(session, plan, who, day: date, hours, action=None, note="") -> TimeEntry:
    entry = TimeEntry(
        plan_id=plan.id,
        action_id=action.id if action else None,
        user_id=who.id,
        spent_on=day,
        hours=Decimal(hours),
        note=note,
    )
    session.add(entry)
    return entry


# One counter for the tests and the benchmark.
count_statements = counting_statements
