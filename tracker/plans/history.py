"""An action's history: a status change row with every change of status (kept by a hook on the
history's flush, registered by :func:`init`), and every change of the action read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session, selectinload

from tracker.history.models import HistoryEntry
from tracker.history.recording import actor, from_json, on_change, to_json, when
from tracker.plans.models import Action, Occurrence, PlannedHours, StatusChange


@dataclass(frozen=True)
class HistoryItem:
    """One change as people read it."""

    at: datetime
    user: str | None
    entity: str
    kind: str
    field: str | None
    before: object
    after: object
    note: str
    # A status change recorded "as of" an earlier day: the day it took effect; else None.
    effective_on: date | None = None


def action_history(session: Session, action: Action) -> list[HistoryItem]:
    """Every change of ``action``, its occurrences and its planned hours, oldest first."""
    occurrence_ids = sa.select(Occurrence.id).where(Occurrence.action_id == action.id)
    planned_ids = sa.select(PlannedHours.id).where(PlannedHours.action_id == action.id)
    entries = session.scalars(
        sa.select(HistoryEntry)
        .where(
            sa.or_(
                sa.and_(HistoryEntry.entity == "action", HistoryEntry.entity_id == action.id),
                sa.and_(HistoryEntry.entity == "occurrence", HistoryEntry.entity_id.in_(occurrence_ids)),
                sa.and_(HistoryEntry.entity == "planned_hours", HistoryEntry.entity_id.in_(planned_ids)),
            )
        )
        .options(selectinload(HistoryEntry.user))
        .order_by(HistoryEntry.at, HistoryEntry.id)
    )
    back_dated = _back_dated(session, action.id)
    return [
        HistoryItem(
            at=entry.at,
            user=entry.user.name if entry.user else None,
            entity=entry.entity,
            kind=entry.kind.value,
            field=entry.field,
            before=from_json(entry.before),
            after=from_json(entry.after),
            note=entry.note,
            effective_on=back_dated.get((entry.at, entry.after if entry.field else None))
            if entry.entity == "action" and entry.field in (None, "status")
            else None,
        )
        for entry in entries
    ]


def _back_dated(session: Session, action_id: int) -> dict[tuple[datetime, str | None], date]:
    """The action's status changes that took effect before the day they were recorded, keyed as
    their history row is: the status row and its history row are written in one flush, at one
    time, with the new status (a created action's row carries the whole record instead)."""
    found = {}
    for change in session.scalars(sa.select(StatusChange).where(StatusChange.action_id == action_id)):
        if change.effective_on != change.at.astimezone(UTC).date():
            status = None if change.from_status is None else to_json(change.to_status)
            found[(change.at, status)] = change.effective_on
    return found


def status_changes(session: Session, action_ids: Sequence[int]) -> dict[int, list[StatusChange]]:
    """The status changes of many actions, oldest first, in one query."""
    changes: dict[int, list[StatusChange]] = {action_id: [] for action_id in action_ids}
    for change in session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.action_id.in_(action_ids))
        .options(selectinload(StatusChange.user))
        .order_by(StatusChange.effective_on, StatusChange.at, StatusChange.id)
    ):
        changes[change.action_id].append(change)
    return changes


EFFECTIVE = "status_effective_on"


def take_effect_on(action: Action, day: date) -> None:
    """Record ``action``'s next flushed status (its first, or a change) as in effect from
    ``day`` rather than from the day it is recorded. The caller checks that ``day`` keeps the
    action's record in order (:func:`tracker.plans.editing.change_status`)."""
    session = object_session(action)
    if session is None:
        raise ValueError("take_effect_on needs an action that belongs to a session")
    session.info.setdefault(EFFECTIVE, {})[id(action)] = day


def _status_change_rows(session: Session, obj, field, before, after, note) -> list[StatusChange]:
    """A new action starts a status record; every change of status adds to it."""
    if not isinstance(obj, Action) or field not in (None, "status"):
        return []
    if field is None:
        before, after = None, obj.status
    at = when(session)
    effective_on = session.info.get(EFFECTIVE, {}).pop(id(obj), None) or at.astimezone(UTC).date()
    return [
        StatusChange(
            action_id=obj.id,
            at=at,
            effective_on=effective_on,
            user_id=actor(session),
            from_status=before,
            to_status=after,
            note=note,
        )
    ]


def _forget_dates(session: Session) -> None:
    session.info.pop(EFFECTIVE, None)


def init() -> None:
    """Record status changes alongside the history (once, however often it is called)."""
    on_change(_status_change_rows)
    if not event.contains(Session, "after_commit", _forget_dates):
        event.listen(Session, "after_commit", _forget_dates)
        event.listen(Session, "after_rollback", _forget_dates)
