"""The maintained hours summary never disagrees with the time entries it sums."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f
from tracker.hours.models import ActionHours, TimeEntry
from tracker.hours.summary import disagreements, rebuild

operation = st.one_of(
    st.tuples(
        st.just("add"),
        st.integers(0, 2),
        st.integers(0, 1),
        st.dates(date(2024, 1, 1), date(2026, 6, 30)),
        st.integers(1, 2400),
    ),
    st.tuples(
        st.just("move"), st.integers(0, 50), st.integers(0, 2), st.dates(date(2024, 1, 1), date(2026, 6, 30))
    ),
    st.tuples(st.just("hours"), st.integers(0, 50), st.integers(1, 2400)),
    st.tuples(st.just("person"), st.integers(0, 50), st.integers(0, 1)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
)


@pytest.fixture
def world(session):
    org = f.organisation(session)
    plan = f.plan(session, org)
    pillar = f.pillar(session, plan, 1)
    actions = [None, f.action(session, pillar, "1.1"), f.action(session, pillar, "1.2")]
    people = [f.person(session, org, "Alice"), f.person(session, org, "Bob")]
    session.commit()
    return plan, actions, people


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, max_size=15))
def test_the_summary_follows_every_change_of_every_entry(session, world, operations):
    plan, actions, people = world
    for op in operations:
        entries = session.scalars(sa.select(TimeEntry).order_by(TimeEntry.id)).all()
        if op[0] == "add":
            _, action, person, day, hundredths = op
            f.log(session, plan, people[person], day, Decimal(hundredths) / 100, actions[action])
        elif not entries:
            continue
        elif op[0] == "move":
            entry = entries[op[1] % len(entries)]
            entry.action_id = actions[op[2]].id if actions[op[2]] else None
            entry.spent_on = op[3]
        elif op[0] == "hours":
            entries[op[1] % len(entries)].hours = Decimal(op[2]) / 100
        elif op[0] == "person":
            entries[op[1] % len(entries)].user_id = people[op[2]].id
        else:
            session.delete(entries[op[1] % len(entries)])
        session.commit()
    assert disagreements(session, plan.id) == []


def test_a_rolled_back_change_leaves_the_summary_as_it_was(session, world):
    plan, actions, people = world
    f.log(session, plan, people[0], date(2025, 5, 5), "2", actions[1])
    session.commit()
    before = session.scalars(sa.select(ActionHours.hours)).all()
    f.log(session, plan, people[0], date(2025, 5, 6), "3", actions[1])
    session.flush()
    session.rollback()
    assert session.scalars(sa.select(ActionHours.hours)).all() == before == [Decimal("2.00")]


def test_rebuild_sums_entries_that_bypassed_the_session(session, world):
    plan, actions, people = world
    session.execute(
        sa.insert(TimeEntry),
        [
            {
                "plan_id": plan.id,
                "action_id": actions[1].id,
                "user_id": people[0].id,
                "spent_on": date(2025, 1, 2),
                "hours": Decimal("1.5"),
                "note": "",
                "version": 1,
                "created_at": datetime.now(UTC),
            },
        ],
    )
    session.commit()
    assert disagreements(session, plan.id) != []
    rebuild(session.connection(), plan.id)
    session.commit()
    assert disagreements(session, plan.id) == []
