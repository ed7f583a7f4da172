"""Timelines: which years a recurring action occurs in, and which of those are done."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tracker.plans.models import Cadence


@dataclass(frozen=True)
class OccurrenceState:
    """One expected occurrence of a recurring action."""

    year: int
    done: bool
    note: str = ""


def occurrence_years(
    cadence: Cadence,
    start_year: int,
    end_year: int | None,
    plan_start: int,
    plan_end: int,
) -> list[int]:
    """The years within the plan's period in which a recurring action occurs.

    A yearly action occurs every year from its start year; one every two years, in its start year
    and every second year after. An open end runs to the plan's last year. Actions done once or
    ongoing have no occurrences.
    """
    if not cadence.recurring:
        return []
    step = 1 if cadence is Cadence.YEARLY else 2
    last = plan_end if end_year is None else min(end_year, plan_end)
    return [year for year in range(start_year, last + 1, step) if year >= plan_start]


def occurrence_states(
    years: Iterable[int], recorded: Iterable[tuple[int, bool, str]]
) -> list[OccurrenceState]:
    """Merge the expected ``years`` with the recorded ``(year, done, note)`` marks.

    A year nobody has marked is not done.
    """
    marks = {year: (done, note) for year, done, note in recorded}
    return [OccurrenceState(year, *marks.get(year, (False, ""))) for year in years]
