"""Keeping :class:`HoursSummary` in step with the time entries it sums.

One ``after_flush`` hook turns every inserted, changed or deleted time entry into deltas on its
summary rows, applied with an upsert in the same transaction, so the two can never disagree.
:func:`rebuild` sums the entries from scratch (migrations, bulk loads); :func:`disagreements`
compares the two.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.models import MANAGEMENT, HoursSummary, TimeEntry

Key = tuple[int, int, int, int]  # plan, year, action (0: management), person


def _key(plan_id, spent_on, action_id, user_id) -> Key:
    return (plan_id, spent_on.year, action_id or MANAGEMENT, user_id)


def _hundredths(hours) -> int:
    return int(Decimal(str(hours)) * 100)


def _old(entry: TimeEntry, name: str):
    history = inspect(entry).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return getattr(entry, name)


@event.listens_for(Session, "after_flush")
def _keep_summary(session: Session, flush_context) -> None:
    deltas: dict[Key, list[int]] = defaultdict(lambda: [0, 0])

    def add(key: Key, hours, count: int) -> None:
        deltas[key][0] += _hundredths(hours) * count
        deltas[key][1] += count

    for entry in session.new:
        if isinstance(entry, TimeEntry):
            add(_key(entry.plan_id, entry.spent_on, entry.action_id, entry.user_id), entry.hours, 1)
    for entry in session.deleted:
        if isinstance(entry, TimeEntry):
            add(
                _key(
                    _old(entry, "plan_id"),
                    _old(entry, "spent_on"),
                    _old(entry, "action_id"),
                    _old(entry, "user_id"),
                ),
                _old(entry, "hours"),
                -1,
            )
    for entry in session.dirty:
        if isinstance(entry, TimeEntry) and session.is_modified(entry):
            old = _key(
                _old(entry, "plan_id"),
                _old(entry, "spent_on"),
                _old(entry, "action_id"),
                _old(entry, "user_id"),
            )
            add(old, _old(entry, "hours"), -1)
            add(_key(entry.plan_id, entry.spent_on, entry.action_id, entry.user_id), entry.hours, 1)
    changes = [(key, hours, count) for key, (hours, count) in deltas.items() if hours or count]
    if changes:
        apply(session.connection(), changes)


def apply(connection, changes: list[tuple[Key, int, int]]) -> None:
    """Add ``(key, hundredths, entries)`` deltas to the summary, creating rows as needed."""
    table = HoursSummary.__table__
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for (plan_id, year, action_id, user_id), hours, count in changes:
        statement = insert(table).values(
            plan_id=plan_id,
            year=year,
            action_id=action_id,
            user_id=user_id,
            hours=Decimal(hours) / 100,
            entries=count,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["plan_id", "year", "action_id", "user_id"],
            set_={
                "hours": table.c.hours + statement.excluded.hours,
                "entries": table.c.entries + statement.excluded.entries,
            },
        )
        connection.execute(statement)
    # Rows whose last entry went away say nothing: remove them.
    connection.execute(sa.delete(table).where(table.c.entries == 0))


def _from_entries(plan_id: int | None):
    year = sa.cast(sa.extract("year", TimeEntry.spent_on), sa.Integer)
    action = sa.func.coalesce(TimeEntry.action_id, MANAGEMENT)
    query = sa.select(
        TimeEntry.plan_id,
        year.label("year"),
        action.label("action_id"),
        TimeEntry.user_id,
        sa.func.sum(TimeEntry.hours).label("hours"),
        sa.func.count().label("entries"),
    ).group_by(TimeEntry.plan_id, year, action, TimeEntry.user_id)
    if plan_id is not None:
        query = query.where(TimeEntry.plan_id == plan_id)
    return query


def rebuild(connection, plan_id: int | None = None) -> None:
    """Sum the entries from scratch (of one plan, or of all)."""
    table = HoursSummary.__table__
    delete = sa.delete(table)
    if plan_id is not None:
        delete = delete.where(table.c.plan_id == plan_id)
    connection.execute(delete)
    source = _from_entries(plan_id).subquery()
    connection.execute(
        sa.insert(table).from_select(
            ["plan_id", "year", "action_id", "user_id", "hours", "entries"],
            sa.select(
                source.c.plan_id,
                source.c.year,
                source.c.action_id,
                source.c.user_id,
                source.c.hours,
                source.c.entries,
            ),
        )
    )


def disagreements(session: Session, plan_id: int | None = None) -> list[tuple]:
    """Where the summary differs from the sums of the entries; empty when they agree."""
    kept = {
        (row.plan_id, row.year, row.action_id, row.user_id): (row.hours, row.entries)
        for row in session.scalars(
            sa.select(HoursSummary).where(HoursSummary.plan_id == plan_id)
            if plan_id
            else sa.select(HoursSummary)
        )
    }
    summed = {
        (row.plan_id, int(row.year), row.action_id, row.user_id): (row.hours, row.entries)
        for row in session.execute(_from_entries(plan_id))
    }
    return sorted(
        (key, kept.get(key), summed.get(key))
        for key in kept.keys() | summed.keys()
        if kept.get(key) != summed.get(key)
    )
