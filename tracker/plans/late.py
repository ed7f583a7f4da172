"""Late: the one definition, derived and never stored.

An action is late on a date when it is not completed and its end year has passed, when it is
upcoming and its start year has passed, or when an occurrence of a past year is not done.
A year has passed when the date falls in a later year.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tracker.plans.models import Status
from tracker.plans.timeline import OccurrenceState


class LateReason(enum.StrEnum):
    """Why an action is late."""

    END_YEAR_PASSED = "end_year_passed"
    NOT_STARTED = "not_started"
    OCCURRENCE_MISSED = "occurrence_missed"


@dataclass(frozen=True)
class Lateness:
    """A reason an action is late, and the year it concerns."""

    reason: LateReason
    year: int


def late_reasons(
    status: Status,
    start_year: int,
    end_year: int | None,
    occurrences: Sequence[OccurrenceState],
    on: date,
) -> list[Lateness]:
    """Every reason the action is late on ``on``; an empty list means it is not late."""
    reasons: list[Lateness] = []
    if status is not Status.COMPLETED and end_year is not None and end_year < on.year:
        reasons.append(Lateness(LateReason.END_YEAR_PASSED, end_year))
    if status is Status.UPCOMING and start_year < on.year:
        reasons.append(Lateness(LateReason.NOT_STARTED, start_year))
    reasons.extend(
        Lateness(LateReason.OCCURRENCE_MISSED, occurrence.year)
        for occurrence in occurrences
        if occurrence.year < on.year and not occurrence.done
    )
    return reasons


def is_late(
    status: Status,
    start_year: int,
    end_year: int | None,
    occurrences: Sequence[OccurrenceState],
    on: date,
) -> bool:
    """Whether the action is late on ``on`` (see :func:`late_reasons`)."""
    return bool(late_reasons(status, start_year, end_year, occurrences, on))
