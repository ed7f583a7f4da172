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

from flask_babel import gettext as _
from flask_babel import ngettext

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


def _years(years: Sequence[int]) -> str:
    """2024, 2024 and 2025, 2023, 2024 and 2025."""
    words = [str(year) for year in years]
    if len(words) == 1:
        return words[0]
    return _("%(years)s and %(last)s", years=", ".join(words[:-1]), last=words[-1])


def why_late(status: Status, reasons: Sequence[Lateness]) -> str:
    """Why an action is late, in words: the one wording, wherever late is shown.

    A completed action is late only for occurrences not marked done, and says so, so that
    "completed" beside "late" reads as one fact: "completed; the 2025 occurrence is not marked
    done". An empty string when it is not late.
    """
    parts = []
    for reason in reasons:
        if reason.reason is LateReason.END_YEAR_PASSED:
            parts.append(_("its end year, %(year)s, has passed and it is not completed", year=reason.year))
        elif reason.reason is LateReason.NOT_STARTED:
            parts.append(_("it was to start in %(year)s and is still upcoming", year=reason.year))
    missed = [reason.year for reason in reasons if reason.reason is LateReason.OCCURRENCE_MISSED]
    if missed:
        parts.append(
            ngettext(
                "the %(years)s occurrence is not marked done",
                "the %(years)s occurrences are not marked done",
                len(missed),
                years=_years(missed),
            )
        )
    if not parts:
        return ""
    if status is Status.COMPLETED:
        parts.insert(0, _("completed"))
    sentence = "; ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "."
