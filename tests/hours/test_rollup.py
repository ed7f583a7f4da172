"""The hour roll-up, on figures worked out by hand."""

from datetime import date
from decimal import Decimal as D

import pytest

from tests import factories as f
from tracker.hours.rollup import hour_rollup
from tracker.plans.models import AllocationKind


@pytest.fixture
def scenario(session):
    """2025: 100 h management + 250 h implementation; three actions in two pillars."""
    org = f.organisation(session)
    plan = f.plan(session, org)
    p1, p2 = f.pillar(session, plan, 1), f.pillar(session, plan, 2)
    a, b = f.action(session, p1, "1.1"), f.action(session, p1, "1.2")
    c = f.action(session, p2, "2.1")
    alice, bob = f.person(session, org, "Alice"), f.person(session, org, "Bob")
    f.allocate(session, plan, 2025, "100", "250")
    f.budget(session, a, 2025, "120")
    f.budget(session, b, 2025, "80.5")
    f.budget(session, c, 2025, "60")
    f.budget(session, a, 2024, "10")  # another year: not counted
    f.log(session, plan, alice, date(2025, 1, 1), "1.25", a)
    f.log(session, plan, bob, date(2025, 12, 31), "2.5", a)
    f.log(session, plan, alice, date(2025, 6, 1), "0.75", b)
    f.log(session, plan, alice, date(2025, 3, 14), "1.5")  # overall management
    f.log(session, plan, bob, date(2025, 3, 15), "3")  # overall management
    f.log(session, plan, alice, date(2024, 12, 31), "5", a)  # the year before
    f.log(session, plan, alice, date(2026, 1, 1), "7", a)  # the year after
    session.commit()
    return plan, (a, b, c), (alice, bob), (p1, p2)


def test_plan_totals(session, scenario):
    plan, *_ = scenario
    r = hour_rollup(session, plan, 2025)
    assert [(line.name, line.kind, line.hours) for line in r.lines] == [
        ("Overall management", AllocationKind.MANAGEMENT, D("100.00")),
        ("Implementation", AllocationKind.IMPLEMENTATION, D("250.00")),
    ]
    assert r.allocated == D("350.00")
    assert r.planned == D("260.50")
    assert r.logged_actions == D("4.50")
    assert r.logged_management == D("4.50")
    assert r.logged == D("9.00")
    assert r.remaining == D("341.00")
    # 260.5 h planned for actions against 250 h for implementation.
    assert r.over_allocated


def test_by_allocation_kind(session, scenario):
    plan, *_ = scenario
    r = hour_rollup(session, plan, 2025)
    management = r.by_kind[AllocationKind.MANAGEMENT]
    implementation = r.by_kind[AllocationKind.IMPLEMENTATION]
    assert (management.allocated, management.planned, management.logged, management.remaining) == (
        D("100.00"),
        D("0.00"),
        D("4.50"),
        D("95.50"),
    )
    assert not management.over_allocated
    assert (implementation.planned, implementation.logged, implementation.remaining) == (
        D("260.50"),
        D("4.50"),
        D("245.50"),
    )
    assert implementation.over_allocated


def test_by_pillar_and_action(session, scenario):
    plan, (a, b, c), _people, (p1, p2) = scenario
    r = hour_rollup(session, plan, 2025)
    assert [(p.pillar_id, p.planned, p.logged, p.remaining) for p in r.by_pillar] == [
        (p1.id, D("200.50"), D("4.50"), D("196.00")),
        (p2.id, D("60.00"), D("0.00"), D("60.00")),
    ]
    assert (r.action(a.id).planned, r.action(a.id).logged, r.action(a.id).remaining) == (
        D("120.00"),
        D("3.75"),
        D("116.25"),
    )
    assert r.action(c.id).logged == D("0.00")


def test_by_person(session, scenario):
    plan, _actions, (alice, bob), _pillars = scenario
    r = hour_rollup(session, plan, 2025)
    assert [(p.name, p.management, p.actions, p.logged) for p in r.by_person] == [
        ("Alice", D("1.50"), D("2.00"), D("3.50")),
        ("Bob", D("3.00"), D("2.50"), D("5.50")),
    ]


def test_logging_beyond_the_budget_shows_on_the_action(session, scenario):
    plan, (a, b, c), (alice, _bob), _ = scenario
    f.log(session, plan, alice, date(2025, 2, 2), "1", c)
    session.commit()
    figures = hour_rollup(session, plan, 2025).action(c.id)
    assert not figures.over_allocated
    f.budget(session, b, 2026, "0")
    f.log(session, plan, alice, date(2026, 2, 2), "0.5", b)
    session.commit()
    assert hour_rollup(session, plan, 2026).action(b.id).over_allocated


def test_sums_are_exact_to_the_last_digit(session):
    org = f.organisation(session)
    plan = f.plan(session, org)
    p = f.pillar(session, plan, 1)
    a = f.action(session, p, "1.1")
    alice = f.person(session, org, "Alice")
    for _ in range(3):
        f.log(session, plan, alice, date(2025, 1, 2), "0.1", a)
    session.commit()
    # 0.1 + 0.1 + 0.1 is 0.30000000000000004 in binary floats.
    assert hour_rollup(session, plan, 2025).logged == D("0.30")


def test_a_year_without_allocation_or_entries_is_all_zero(session, scenario):
    plan, *_ = scenario
    r = hour_rollup(session, plan, 2023)
    assert (r.allocated, r.planned, r.logged, r.remaining, r.over_allocated) == (
        D("0"),
        D("0"),
        D("0"),
        D("0"),
        False,
    )


def test_the_number_of_queries_does_not_grow_with_the_plan(session, scenario):
    plan, _actions, (alice, _bob), (p1, _p2) = scenario
    with f.count_statements(session.get_bind()) as small:
        hour_rollup(session, plan, 2025)
    for n in range(30):
        extra = f.action(session, p1, f"1.{n + 10}")
        f.budget(session, extra, 2025, "1")
        f.log(session, plan, alice, date(2025, 5, 5), "1", extra)
    session.commit()
    with f.count_statements(session.get_bind()) as large:
        r = hour_rollup(session, plan, 2025)
    assert r.planned == D("290.50")
    assert len(large) == len(small)
