"""What looks wrong with an action, in words: the one place that decides, for the action list and
the dashboard alike.

- logged over planned: more hours logged in the year than the action's budget for it;
- hours on an upcoming action: hours logged in the year on an action still upcoming;
- not updated for long: no change of the action or of its occurrences for :data:`STALE_AFTER_DAYS`
  days (the day it was last changed is said).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.core.formatting import format_date, format_hours
from tracker.history.models import HistoryEntry
from tracker.hours.rollup import BudgetFigures
from tracker.plans.models import Action, Occurrence, Plan, Status
from tracker.tracking.lines import ActionLine

# "Not updated for long": this many days without a change of the action or its occurrences.
STALE_AFTER_DAYS = 90


class FlagKind(enum.StrEnum):
    OVER_BUDGET = "over_budget"
    HOURS_ON_UPCOMING = "hours_on_upcoming"
    STALE = "stale"


@dataclass(frozen=True)
class Flag:
    """One thing that looks wrong, and the sentence that says it: put in words only when shown
    (a plan of thousands of actions flags many more than a page shows)."""

    kind: FlagKind
    say: Callable[[], str] = field(compare=False, repr=False)

    @property
    def words(self) -> str:
        return self.say()


def last_changed(session: Session, plans: list[Plan]) -> dict[int, datetime]:
    """When each open action of ``plans`` or one of its occurrences last changed, as the history
    says (an action the history does not know: when it was made), in one query however many
    plans."""
    occurrence_action = (
        sa.select(Occurrence.action_id).where(Occurrence.id == HistoryEntry.entity_id).scalar_subquery()
    )
    action_id = sa.case((HistoryEntry.entity == "action", HistoryEntry.entity_id), else_=occurrence_action)
    ids = sorted({plan.id for plan in plans})
    changed = (
        sa.select(action_id.label("action_id"), sa.func.max(HistoryEntry.at).label("at"))
        .where(HistoryEntry.plan_id.in_(ids), HistoryEntry.entity.in_(("action", "occurrence")))
        .group_by(action_id)
        .subquery()
    )
    latest: dict[int, datetime] = {}
    for found, created, at in session.execute(
        sa.select(Action.id, Action.created_at, sa.type_coerce(changed.c.at, HistoryEntry.at.type))
        .outerjoin(changed, changed.c.action_id == Action.id)
        .where(Action.plan_id.in_(ids), Action.archived_at.is_(None))
    ):
        when = at if at is not None else created
        latest[found] = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return latest


def flags_of(
    line: ActionLine, hours: BudgetFigures, year: int, on: date, changed: datetime | None
) -> list[Flag]:
    """What looks wrong with ``line`` given its ``hours`` in ``year``, as of ``on``; ``changed``
    is when it or its occurrences last changed (see :func:`last_changed`)."""
    found = []
    if hours.logged > hours.planned:
        found.append(
            Flag(
                FlagKind.OVER_BUDGET,
                lambda: _(
                    "more hours logged than planned in %(year)s: %(logged)s against %(planned)s",
                    year=year,
                    logged=format_hours(hours.logged),
                    planned=format_hours(hours.planned),
                ),
            )
        )
    if line.status is Status.UPCOMING and hours.logged > 0:
        found.append(
            Flag(
                FlagKind.HOURS_ON_UPCOMING,
                lambda: _(
                    "%(logged)s logged in %(year)s on an action still upcoming",
                    logged=format_hours(hours.logged),
                    year=year,
                ),
            )
        )
    if line.status is not Status.COMPLETED and changed is not None:
        days = (on - changed.astimezone(UTC).date()).days
        if days >= STALE_AFTER_DAYS:
            found.append(
                Flag(
                    FlagKind.STALE,
                    lambda: _(
                        "not updated for %(days)s days or more (last change %(day)s)",
                        days=STALE_AFTER_DAYS,
                        day=format_date(changed),
                    ),
                )
            )
    return found
