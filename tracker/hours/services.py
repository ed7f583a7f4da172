"""Logging hours, correcting and deleting time entries.

Entries are additions, so logging never conflicts; a correction or a deletion starts from the
version the person saw. The caller commits.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.accounts.models import User
from tracker.core.concurrency import expect_version, flush
from tracker.core.validation import MAX_HOURS_PER_ENTRY, Invalid
from tracker.history.recording import require as require_history
from tracker.hours.models import TimeEntry
from tracker.hours.summary import require as require_summary
from tracker.plans.admin import keeps_years
from tracker.plans.editing import writable
from tracker.plans.models import Action, Plan


def require_hooks() -> None:
    """Refuse to write entries unless the history and the summaries will follow them."""
    require_history()
    require_summary()


HOURS_IN_A_DAY = MAX_HOURS_PER_ENTRY


def _shown(hours: Decimal) -> str:
    """12.0 h, 7.25 h: the display rule's digits, without the page's locale."""
    return f"{hours.quantize(Decimal('0.1')) if hours == hours.quantize(Decimal('0.1')) else hours} h"


def fits_in_the_day(
    session: Session, person: User, spent_on: date, hours: Decimal, *, besides: int | None = None
) -> None:
    """One person logs at most 24 h on one day, across all their entries (of every plan).

    ``besides`` is the entry being corrected, which does not count against itself.
    """
    query = sa.select(sa.func.coalesce(sa.func.sum(TimeEntry.hours), 0)).where(
        TimeEntry.user_id == person.id, TimeEntry.spent_on == spent_on
    )
    if besides is not None:
        query = query.where(TimeEntry.id != besides)
    already = Decimal(session.scalar(query)).quantize(Decimal("0.01"))
    if already + hours > HOURS_IN_A_DAY:
        room = max(HOURS_IN_A_DAY - already, Decimal(0))
        raise Invalid(
            {
                "hours": _(
                    "%(person)s already has %(already)s logged on %(day)s; "
                    "a day has 24 h, so at most %(room)s more can be logged that day",
                    person=person.name,
                    already=_shown(already),
                    day=spent_on.isoformat(),
                    room=_shown(room),
                )
            }
        )


def log_hours(
    session: Session,
    plan: Plan,
    *,
    person: User,
    spent_on: date,
    hours: Decimal,
    action: Action | None,
    note: str,
) -> TimeEntry:
    """Add a time entry. Entries are additions, so logging never conflicts."""
    require_hooks()
    if action is not None:
        writable(action)
    fits_in_the_day(session, person, spent_on, hours)
    entry = TimeEntry(
        plan_id=plan.id,
        action_id=action.id if action else None,
        user_id=person.id,
        spent_on=spent_on,
        hours=hours,
        note=note,
    )
    session.add(entry)
    session.flush()
    return entry


def update_entry(
    session: Session,
    entry: TimeEntry,
    *,
    spent_on: date,
    hours: Decimal,
    action: Action | None,
    note: str,
    version: int,
) -> None:
    """Correct a time entry."""
    require_hooks()
    what = _("this time entry")
    expect_version(entry, version, what)
    if action is not None and action.id != entry.action_id:
        writable(action)
    with session.no_autoflush:
        fits_in_the_day(session, entry.user, spent_on, hours, besides=entry.id)
    entry.spent_on, entry.hours, entry.note = spent_on, hours, note
    entry.action_id = action.id if action else None
    flush(session, [entry], what)


def delete_entry(session: Session, entry: TimeEntry, *, version: int) -> None:
    """Delete a time entry; the history keeps what it was."""
    require_hooks()
    expect_version(entry, version, _("this time entry"))
    session.delete(entry)
    flush(session, [entry], _("this time entry"))


def _logged_outside(session: Session, plan: Plan, years: range) -> list[tuple[int, str]]:
    """The hours logged on ``plan`` in years outside ``years``, by year, in words."""
    year = sa.extract("year", TimeEntry.spent_on)
    rows = session.execute(
        sa.select(year, sa.func.sum(TimeEntry.hours))
        .where(
            TimeEntry.plan_id == plan.id,
            sa.or_(
                TimeEntry.spent_on < date(years.start, 1, 1),
                TimeEntry.spent_on > date(years.stop - 1, 12, 31),
            ),
        )
        .group_by(year)
        .order_by(year)
    ).all()
    return [
        (int(logged_in), _("%(hours)s logged in %(year)s", hours=_shown(Decimal(hours)), year=int(logged_in)))
        for logged_in, hours in rows
    ]


def init() -> None:
    """A plan's period may not shrink past the hours logged in it."""
    keeps_years(_logged_outside)
