"""Logging hours, correcting and deleting time entries.

Entries are additions, so logging never conflicts; a correction or a deletion starts from the
version the person saw. The caller commits.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from tracker.accounts.models import User
from tracker.core.concurrency import expect_version, flush
from tracker.history.recording import require as require_history
from tracker.hours.models import TimeEntry
from tracker.hours.summary import require as require_summary
from tracker.plans.editing import writable
from tracker.plans.models import Action, Plan


def require_hooks() -> None:
    """Refuse to write entries unless the history and the summaries will follow them."""
    require_history()
    require_summary()


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
    what = "this time entry"
    expect_version(entry, version, what)
    if action is not None and action.id != entry.action_id:
        writable(action)
    entry.spent_on, entry.hours, entry.note = spent_on, hours, note
    entry.action_id = action.id if action else None
    flush(session, [entry], what)


def delete_entry(session: Session, entry: TimeEntry, *, version: int) -> None:
    """Delete a time entry; the history keeps what it was."""
    require_hooks()
    expect_version(entry, version, "this time entry")
    session.delete(entry)
    flush(session, [entry], "this time entry")
