"""The status of an action on any past date, read from its status changes.

A change counts from the day it took effect (``effective_on``), not from when it was recorded:
a change recorded today "as of" 2024-03-01 says what the status was in March 2024. Changes that
took effect on the same day count in the order they were recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from tracker.plans.models import Status


class StatusChangeLike(Protocol):
    """What :func:`status_on` needs of a status change."""

    at: datetime
    effective_on: date
    to_status: Status


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` ends, in UTC: a change at or after it came later."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def in_effect_order(change: StatusChangeLike) -> tuple[date, datetime]:
    """The order changes took effect in: by their day, then by when they were recorded."""
    return change.effective_on, change.at


def status_on(changes: Iterable[StatusChangeLike], day: date) -> Status | None:
    """The status after the last change in effect by the end of ``day``.

    Every action's first change records the status it was created with (or the one it had on
    the date the plan gives), so ``None`` means the action was not yet in the tracker then.
    """
    current: Status | None = None
    latest: tuple[date, datetime] | None = None
    for change in changes:
        if change.effective_on > day:
            continue
        key = in_effect_order(change)
        if latest is None or key >= latest:
            current, latest = change.to_status, key
    return current
