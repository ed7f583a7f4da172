"""The status of an action on a past date, from its status changes, by the day each took effect."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests import factories as f
from tracker.core.validation import Invalid
from tracker.history.recording import set_clock
from tracker.plans.editing import change_status
from tracker.plans.history import action_history
from tracker.plans.models import Status, StatusChange
from tracker.plans.status import status_on


@dataclass
class Change:
    at: datetime
    to_status: Status
    effective_on: date | None = None

    def __post_init__(self):
        if self.effective_on is None:
            self.effective_on = self.at.date()


CHANGES = [
    Change(datetime(2025, 3, 1, 9, 0, tzinfo=UTC), Status.UPCOMING),  # created
    Change(datetime(2025, 6, 15, 14, 30, tzinfo=UTC), Status.ONGOING),
    Change(datetime(2026, 2, 1, 8, 0, tzinfo=UTC), Status.COMPLETED),
]


def test_before_the_action_was_recorded_there_is_no_status():
    assert status_on(CHANGES, date(2025, 2, 28)) is None


def test_a_date_counts_every_change_in_effect_that_day():
    assert status_on(CHANGES, date(2025, 3, 1)) is Status.UPCOMING
    assert status_on(CHANGES, date(2025, 6, 14)) is Status.UPCOMING
    assert status_on(CHANGES, date(2025, 6, 15)) is Status.ONGOING
    assert status_on(CHANGES, date(2025, 12, 31)) is Status.ONGOING
    assert status_on(CHANGES, date(2026, 2, 1)) is Status.COMPLETED


def test_order_of_the_rows_does_not_matter():
    assert status_on(list(reversed(CHANGES)), date(2025, 12, 31)) is Status.ONGOING


def test_a_change_counts_from_the_day_it_took_effect_not_the_day_it_was_recorded():
    recorded = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
    changes = [Change(recorded, Status.COMPLETED, effective_on=date(2023, 12, 31))]
    assert status_on(changes, date(2023, 12, 30)) is None
    assert status_on(changes, date(2023, 12, 31)) is Status.COMPLETED
    assert status_on(changes, date(2024, 6, 1)) is Status.COMPLETED


def test_changes_in_effect_the_same_day_count_in_the_order_they_were_recorded():
    changes = [
        Change(datetime(2025, 7, 2, tzinfo=UTC), Status.COMPLETED, effective_on=date(2024, 5, 1)),
        Change(datetime(2025, 7, 1, tzinfo=UTC), Status.ONGOING, effective_on=date(2024, 5, 1)),
    ]
    assert status_on(changes, date(2024, 5, 1)) is Status.COMPLETED


# Recording a change "as of" a past day ------------------------------------------------------

TODAY = date(2026, 11, 23)


@pytest.fixture
def gep(session):
    """An action created on 2025-07-01, upcoming, in a 2023-2026 plan."""
    org = f.organisation(session)
    plan = f.plan(session, org, start=2023, end=2026)
    pillar = f.pillar(session, plan, 1)
    set_clock(session, datetime(2025, 7, 1, 9, 0, tzinfo=UTC))
    action = f.action(session, pillar, "1.1", status=Status.UPCOMING)
    set_clock(session, None)
    session.commit()
    return action


def changes_of(session, action):
    return session.scalars(
        sa.select(StatusChange).where(StatusChange.action_id == action.id).order_by(StatusChange.id)
    ).all()


def test_a_change_recorded_as_of_a_past_day_counts_from_that_day_and_keeps_both_dates(session, gep):
    changed = change_status(
        session,
        gep,
        status=Status.ONGOING,
        note="Kick-off was in September",
        version=gep.version,
        as_of=date(2025, 9, 15),
        today=TODAY,
    )
    session.commit()
    assert changed
    created, kick_off = changes_of(session, gep)
    assert created.effective_on == date(2025, 7, 1)  # recorded that day, in effect that day
    assert kick_off.effective_on == date(2025, 9, 15) and kick_off.at.date() > date(2025, 9, 15)
    assert kick_off.note == "Kick-off was in September"
    assert status_on([created, kick_off], date(2025, 9, 14)) is Status.UPCOMING
    assert status_on([created, kick_off], date(2025, 9, 15)) is Status.ONGOING
    [item] = [item for item in action_history(session, gep) if item.field == "status"]
    assert item.effective_on == date(2025, 9, 15) and item.note == "Kick-off was in September"


def test_a_change_without_a_day_takes_effect_when_it_is_recorded(session, gep):
    change_status(session, gep, status=Status.ONGOING, note="", version=gep.version)
    session.commit()
    latest = changes_of(session, gep)[-1]
    assert latest.effective_on == latest.at.date()
    [item] = [item for item in action_history(session, gep) if item.field == "status"]
    assert item.effective_on is None  # not back-dated: nothing more to say


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        (date(2022, 12, 31), "as_of: must be within the plan's period 2023-2026"),
        (date(2027, 1, 1), "as_of: must be within the plan's period 2023-2026"),
        (date(2026, 11, 24), "as_of: must not be after today (2026-11-23)"),
        (
            date(2025, 6, 30),
            "as_of: must not be before 2025-07-01, when the previous status change of 1.1 took effect",
        ),
    ],
)
def test_a_day_outside_the_plan_in_the_future_or_before_the_last_change_is_refused(
    session, gep, as_of, message
):
    with pytest.raises(Invalid) as refused:
        change_status(
            session, gep, status=Status.ONGOING, note="", version=gep.version, as_of=as_of, today=TODAY
        )
    assert str(refused.value) == message
    session.rollback()
    assert len(changes_of(session, gep)) == 1 and gep.status is Status.UPCOMING
