"""Optimistic concurrency: every change starts from the version the person saw.

If the record changed since, the change is refused with :class:`Conflict` and nothing is written;
the caller shows both versions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError


class Conflict(Exception):
    """The record changed since the person loaded it, or may no longer change."""

    def __init__(self, message: str, records: Sequence = ()):
        super().__init__(message)
        self.message = message
        self.records = list(records)


def stale(what: str) -> str:
    """The refusal of a change made from a stale copy of ``what``."""
    return _("%(what)s was changed by someone else since you opened it; nothing was saved.", what=what)


def expect_version(record, version: int, what: str) -> None:
    """Refuse to go on from a stale copy."""
    if record.version != version:
        raise Conflict(stale(what), [record])


def flush(session: Session, records: Sequence, what: str) -> None:
    """Write now; an UPDATE that finds its version gone means someone saved first."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(stale(what), records) from None


def claim(session: Session, record, version: int, what: str) -> None:
    """Bump ``record``'s version when the change lies in its children only (budgets).

    The guarded UPDATE matches no row if someone else saved first.
    """
    model = type(record)
    result = session.execute(
        sa.update(model)
        .where(model.id == record.id, model.version == version)
        .values(version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise Conflict(stale(what), [record])
    session.expire(record, ["version"])


def flush_new(session: Session, records: Sequence, what: str, taken: Callable[[], None]) -> None:
    """Write a new record whose name must be unique. Two people creating the same one at once
    both pass the check before the insert; the database's unique constraint refuses the second.
    Then the transaction is undone and ``taken()`` checks again: it raises the
    :class:`~tracker.core.validation.Invalid` naming the field, as the check before would have.
    Any other integrity error is raised as it is."""
    try:
        flush(session, records, what)
    except sa.exc.IntegrityError:
        session.rollback()
        taken()
        raise
