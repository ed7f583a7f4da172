"""Keeping :class:`ActionHours` and :class:`PersonHours` in step with the time entries they sum.

One ``after_flush`` hook, registered by :func:`init` (the app factory calls it), turns every
inserted, changed or deleted time entry into deltas on its summary rows, applied with an upsert in
the same transaction, so they can never disagree.
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

from tracker.hours.models import MANAGEMENT, ActionHours, PersonHours, TimeEntry

ZERO = Decimal("0.00")
# (plan, year, action or 0) and (plan, year, person, on management?)
ActionKey = tuple[int, int, int]
PersonKey = tuple[int, int, int, bool]


def _value(entry: TimeEntry, name: str, old: bool):
    if old:
        history = inspect(entry).attrs[name].history
        if history.deleted:
            return history.deleted[0]
    return getattr(entry, name)


def _deltas(session: Session):
    by_action: dict[ActionKey, list] = defaultdict(lambda: [ZERO, 0])
    by_person: dict[PersonKey, list] = defaultdict(lambda: [ZERO, 0])

    def add(entry: TimeEntry, old: bool, sign: int) -> None:
        plan_id = _value(entry, "plan_id", old)
        year = _value(entry, "spent_on", old).year
        action_id = _value(entry, "action_id", old)
        value = _value(entry, "hours", old)
        hours = (value if isinstance(value, Decimal) else Decimal(str(value))) * sign
        for table, key in (
            (by_action, (plan_id, year, action_id or MANAGEMENT)),
            (by_person, (plan_id, year, _value(entry, "user_id", old), action_id is None)),
        ):
            table[key][0] += hours
            table[key][1] += sign

    for entry in session.new:
        if isinstance(entry, TimeEntry):
            add(entry, False, 1)
    for entry in session.deleted:
        if isinstance(entry, TimeEntry):
            add(entry, True, -1)
    for entry in session.dirty:
        if isinstance(entry, TimeEntry) and session.is_modified(entry):
            add(entry, True, -1)
            add(entry, False, 1)
    return by_action, by_person


def _keep_summary(session: Session, flush_context) -> None:
    by_action, by_person = _deltas(session)
    connection = None
    for table, columns, deltas in (
        (ActionHours.__table__, ("plan_id", "year", "action_id"), by_action),
        (PersonHours.__table__, ("plan_id", "year", "user_id", "management"), by_person),
    ):
        changes = [(key, hours, count) for key, (hours, count) in deltas.items() if hours or count]
        if changes:
            connection = connection or session.connection()
            apply(connection, table, columns, changes)


def init() -> None:
    """Register the hook that keeps the summaries in step (once, however often it is called)."""
    if not event.contains(Session, "after_flush", _keep_summary):
        event.listen(Session, "after_flush", _keep_summary)


def require() -> None:
    """Refuse to write time entries while the summaries would not follow: an error, never a
    dashboard silently wrong."""
    if not event.contains(Session, "after_flush", _keep_summary):
        raise RuntimeError(
            "The hours summary hook is not registered: call tracker.init_model_hooks() "
            "(create_app does) before logging hours."
        )


def apply(connection, table, columns, changes) -> None:
    """Add ``(key, hours, entries)`` deltas to a summary table, creating rows as needed."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for key, hours, count in changes:
        statement = insert(table).values(**dict(zip(columns, key, strict=True)), hours=hours, entries=count)
        statement = statement.on_conflict_do_update(
            index_elements=list(columns),
            set_={
                "hours": table.c.hours + statement.excluded.hours,
                "entries": table.c.entries + statement.excluded.entries,
            },
        )
        connection.execute(statement)
    # Rows whose last entry went away say nothing: remove them.
    connection.execute(sa.delete(table).where(table.c.entries == 0))


def _year():
    return sa.cast(sa.extract("year", TimeEntry.spent_on), sa.Integer)


def _by_action(plan_id: int | None):
    year, action = _year(), sa.func.coalesce(TimeEntry.action_id, MANAGEMENT)
    query = sa.select(
        TimeEntry.plan_id,
        year.label("year"),
        action.label("action_id"),
        sa.func.sum(TimeEntry.hours).label("hours"),
        sa.func.count().label("entries"),
    )
    query = query.group_by(TimeEntry.plan_id, year, action)
    return query.where(TimeEntry.plan_id == plan_id) if plan_id is not None else query


def _by_person(plan_id: int | None):
    year, management = _year(), TimeEntry.action_id.is_(None)
    query = sa.select(
        TimeEntry.plan_id,
        year.label("year"),
        TimeEntry.user_id,
        management.label("management"),
        sa.func.sum(TimeEntry.hours).label("hours"),
        sa.func.count().label("entries"),
    )
    query = query.group_by(TimeEntry.plan_id, year, TimeEntry.user_id, management)
    return query.where(TimeEntry.plan_id == plan_id) if plan_id is not None else query


def rebuild(connection, plan_id: int | None = None) -> None:
    """Sum the entries from scratch (of one plan, or of all)."""
    for model, source, columns in (
        (ActionHours, _by_action(plan_id), ["plan_id", "year", "action_id", "hours", "entries"]),
        (PersonHours, _by_person(plan_id), ["plan_id", "year", "user_id", "management", "hours", "entries"]),
    ):
        table = model.__table__
        delete = sa.delete(table)
        connection.execute(delete.where(table.c.plan_id == plan_id) if plan_id is not None else delete)
        connection.execute(sa.insert(table).from_select(columns, source))


def disagreements(session: Session, plan_id: int | None = None) -> list[tuple]:
    """Where the summaries differ from the sums of the entries; empty when they agree."""
    found = []
    for model, source, key in (
        (ActionHours, _by_action(plan_id), ("plan_id", "year", "action_id")),
        (PersonHours, _by_person(plan_id), ("plan_id", "year", "user_id", "management")),
    ):
        query = sa.select(model)
        if plan_id is not None:
            query = query.where(model.plan_id == plan_id)
        kept = {
            tuple(getattr(row, k) for k in key): (row.hours, row.entries) for row in session.scalars(query)
        }
        summed = {
            tuple(
                bool(v) if k == "management" else int(v) for k, v in zip(key, row[: len(key)], strict=True)
            ): (row.hours, row.entries)
            for row in session.execute(source)
        }
        found += [
            (model.__tablename__, k, kept.get(k), summed.get(k))
            for k in kept.keys() | summed.keys()
            if kept.get(k) != summed.get(k)
        ]
    return sorted(found, key=str)
