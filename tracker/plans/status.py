"""The status of an action on any past date, read from its status changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from tracker.plans.models import Status


class StatusChangeLike(Protocol):
    """What :func:`status_on` needs of a status change."""

    at: datetime
    to_status: Status


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` ends, in UTC: a change at or after it came later."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def status_on(changes: Iterable[StatusChangeLike], when: date | datetime) -> Status | None:
    """The status after the last change made up to ``when``.

    A date means the end of that day (UTC). Every action's first change records the status it
    was created with, so ``None`` means the action was not yet in the tracker then.
    """
    moment = when if isinstance(when, datetime) else end_of_day(when)
    inclusive = isinstance(when, datetime)
    current: Status | None = None
    latest: datetime | None = None
    for change in changes:
        counts = change.at <= moment if inclusive else change.at < moment
        if counts and (latest is None or change.at >= latest):
            current, latest = change.to_status, change.at
    return current
