"""The status of an action on a past date, from its status changes."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from tracker.plans.models import Status
from tracker.plans.status import status_on


@dataclass
class Change:
    at: datetime
    to_status: Status


CHANGES = [
    Change(datetime(2025, 3, 1, 9, 0, tzinfo=UTC), Status.UPCOMING),  # created
    Change(datetime(2025, 6, 15, 14, 30, tzinfo=UTC), Status.ONGOING),
    Change(datetime(2026, 2, 1, 8, 0, tzinfo=UTC), Status.COMPLETED),
]


def test_before_the_action_was_recorded_there_is_no_status():
    assert status_on(CHANGES, date(2025, 2, 28)) is None


def test_a_date_counts_every_change_made_that_day():
    assert status_on(CHANGES, date(2025, 3, 1)) is Status.UPCOMING
    assert status_on(CHANGES, date(2025, 6, 14)) is Status.UPCOMING
    assert status_on(CHANGES, date(2025, 6, 15)) is Status.ONGOING
    assert status_on(CHANGES, date(2025, 12, 31)) is Status.ONGOING
    assert status_on(CHANGES, date(2026, 2, 1)) is Status.COMPLETED


def test_an_instant_counts_changes_made_up_to_and_at_it():
    assert status_on(CHANGES, datetime(2025, 6, 15, 14, 29, tzinfo=UTC)) is Status.UPCOMING
    assert status_on(CHANGES, datetime(2025, 6, 15, 14, 30, tzinfo=UTC)) is Status.ONGOING


def test_order_of_the_rows_does_not_matter():
    assert status_on(list(reversed(CHANGES)), date(2025, 12, 31)) is Status.ONGOING
