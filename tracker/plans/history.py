"""An action's history: a status change row with every change of status (kept by a hook on the
history's flush, registered by :func:`init`), and every change of the action read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tracker.history.models import HistoryEntry
from tracker.history.recording import actor, from_json, on_change, when
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
        )
        for entry in entries
    ]


def status_changes(session: Session, action_ids: Sequence[int]) -> dict[int, list[StatusChange]]:
    """The status changes of many actions, oldest first, in one query."""
    changes: dict[int, list[StatusChange]] = {action_id: [] for action_id in action_ids}
    for change in session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.action_id.in_(action_ids))
        .options(selectinload(StatusChange.user))
        .order_by(StatusChange.at, StatusChange.id)
    ):
        changes[change.action_id].append(change)
    return changes


def _status_change_rows(session: Session, obj, field, before, after, note) -> list[StatusChange]:
    """A new action starts a status record; every change of status adds to it."""
    if not isinstance(obj, Action) or field not in (None, "status"):
        return []
    if field is None:
        before, after = None, obj.status
    return [
        StatusChange(
            action_id=obj.id,
            at=when(session),
            user_id=actor(session),
            from_status=before,
            to_status=after,
            note=note,
        )
    ]


def init() -> None:
    """Record status changes alongside the history (once, however often it is called)."""
    on_change(_status_change_rows)
