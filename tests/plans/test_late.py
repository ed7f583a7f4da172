"""Late, as the product brief defines it, at a given date."""

from datetime import date

import pytest

from tracker.plans.late import Lateness, LateReason, is_late, late_reasons, why_late
from tracker.plans.models import Status
from tracker.plans.timeline import OccurrenceState

NOV_2026 = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("status", "start", "end", "on", "expected"),
    [
        # Not completed and the end year has passed: late (ICLEI 3.1.1, 2023-25, in 2026).
        (Status.ONGOING, 2023, 2025, NOV_2026, [Lateness(LateReason.END_YEAR_PASSED, 2025)]),
        # The end year itself is not passed until it is over.
        (Status.ONGOING, 2023, 2025, date(2025, 12, 31), []),
        # Completed actions are never late for their end year.
        (Status.COMPLETED, 2023, 2023, NOV_2026, []),
        # Upcoming and the start year has passed (ICLEI 3.1.6, 2025-2026, in 2026).
        (Status.UPCOMING, 2025, 2026, NOV_2026, [Lateness(LateReason.NOT_STARTED, 2025)]),
        # Upcoming in its start year is on time.
        (Status.UPCOMING, 2026, 2026, NOV_2026, []),
        # Both at once: upcoming, and its whole period is over.
        (
            Status.UPCOMING,
            2024,
            2025,
            NOV_2026,
            [Lateness(LateReason.END_YEAR_PASSED, 2025), Lateness(LateReason.NOT_STARTED, 2024)],
        ),
        # Ongoing with no end year: never late for its end.
        (Status.ONGOING, 2022, None, NOV_2026, []),
    ],
)
def test_late_by_timeline(status, start, end, on, expected):
    assert late_reasons(status, start, end, [], on) == expected
    assert is_late(status, start, end, [], on) is bool(expected)


def test_a_past_occurrence_not_done_is_late_and_this_years_is_not_yet():
    occurrences = [
        OccurrenceState(2024, True),
        OccurrenceState(2025, False),
        OccurrenceState(2026, False),
    ]
    assert late_reasons(Status.ONGOING, 2024, None, occurrences, NOV_2026) == [
        Lateness(LateReason.OCCURRENCE_MISSED, 2025)
    ]


def test_every_past_occurrence_done_is_on_time():
    occurrences = [OccurrenceState(2025, True), OccurrenceState(2026, False)]
    assert not is_late(Status.ONGOING, 2025, None, occurrences, NOV_2026)


LATE = Lateness  # shorter in the table below


@pytest.mark.parametrize(
    ("status", "reasons", "words"),
    [
        (
            Status.COMPLETED,
            [LATE(LateReason.OCCURRENCE_MISSED, 2025)],
            "Completed; the 2025 occurrence is not marked done.",
        ),
        (
            Status.ONGOING,
            [LATE(LateReason.OCCURRENCE_MISSED, 2023), LATE(LateReason.OCCURRENCE_MISSED, 2024)],
            "The 2023 and 2024 occurrences are not marked done.",
        ),
        (
            Status.UPCOMING,
            [LATE(LateReason.END_YEAR_PASSED, 2025), LATE(LateReason.NOT_STARTED, 2024)],
            "Its end year, 2025, has passed and it is not completed; "
            "it was to start in 2024 and is still upcoming.",
        ),
        (Status.ONGOING, [], ""),
    ],
)
def test_why_late_is_said_in_words_once_for_every_page(status, reasons, words):
    assert why_late(status, reasons) == words
