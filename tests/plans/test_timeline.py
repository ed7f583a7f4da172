"""Occurrences of recurring actions within the plan's years."""

import pytest

from tracker.plans.models import Cadence
from tracker.plans.timeline import OccurrenceState, occurrence_states, occurrence_years


@pytest.mark.parametrize(
    ("cadence", "start", "end", "expected"),
    [
        # ICLEI 3.2.6, the yearly member webinar, through the plan 2023-2026.
        (Cadence.YEARLY, 2023, None, [2023, 2024, 2025, 2026]),
        # ICLEI 3.4.2, every two years starting from 2025: 2027 falls after the plan.
        (Cadence.EVERY_TWO_YEARS, 2025, None, [2025]),
        # Started before the plan: only the plan's years count, in the same two-year rhythm.
        (Cadence.EVERY_TWO_YEARS, 2021, None, [2023, 2025]),
        (Cadence.YEARLY, 2020, None, [2023, 2024, 2025, 2026]),
        # An end year inside the plan cuts the series.
        (Cadence.YEARLY, 2023, 2024, [2023, 2024]),
        # Actions done once, or ongoing, have no occurrences.
        (Cadence.ONCE, 2023, 2025, []),
        (Cadence.ONGOING, 2023, None, []),
        # Starting after the plan: none within it.
        (Cadence.YEARLY, 2027, None, []),
    ],
)
def test_occurrence_years(cadence, start, end, expected):
    assert occurrence_years(cadence, start, end, 2023, 2026) == expected


def test_unmarked_years_are_not_done_and_marks_keep_their_notes():
    states = occurrence_states([2023, 2024, 2025], [(2024, True, "Held in May"), (2025, False, "")])
    assert states == [
        OccurrenceState(2023, False, ""),
        OccurrenceState(2024, True, "Held in May"),
        OccurrenceState(2025, False, ""),
    ]


def test_recurring_cadences():
    assert Cadence.YEARLY.recurring and Cadence.EVERY_TWO_YEARS.recurring
    assert not Cadence.ONCE.recurring and not Cadence.ONGOING.recurring
