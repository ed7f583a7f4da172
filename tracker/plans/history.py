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
from tracker.plans.models import Action, Occurrence, Plan, PlannedHours, StatusChange


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


def status_changes_by(session: Session, action_ids: Sequence[int], day: date) -> dict[int, list]:
    """What :func:`tracker.plans.status.status_on` needs to say each action's status at the end
    of ``day``: the changes in effect by then (their day, when recorded, the status), as plain
    rows, in one query; lighter than :func:`status_changes` for many actions."""
    changes: dict[int, list] = {action_id: [] for action_id in action_ids}
    for row in session.execute(
        sa.select(StatusChange.action_id, StatusChange.at, StatusChange.effective_on, StatusChange.to_status)
        .where(StatusChange.action_id.in_(action_ids), StatusChange.effective_on <= day)
        .order_by(StatusChange.effective_on, StatusChange.at, StatusChange.id)
    ):
        changes[row.action_id].append(row)
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


CHANGED_PLANS = "changed_plan_ids"


def _note_changed_plans(session: Session, flush_context) -> None:
    """Remember the plans whose records this flush wrote history for (every change of a plan's
    records has a history row naming the plan, whoever wrote it)."""
    plan_ids = {obj.plan_id for obj in session.new if isinstance(obj, HistoryEntry) and obj.plan_id}
    if plan_ids:
        session.info.setdefault(CHANGED_PLANS, set()).update(plan_ids)


def _bump_data_versions(session: Session) -> None:
    """Add one to the data version of every plan this transaction changed, as its last statement.

    The ``UPDATE`` takes the plan row's lock until commit, so two writers of one plan bump it in
    the order they commit: a reader that sees version N sees every change counted up to N. Bumping
    at commit rather than at the first flush holds the lock only for the commit; plans are
    updated in id order so that two transactions changing the same plans cannot deadlock.
    """
    # The commit's own flush comes after this hook: flush here (the history's rows, added by one
    # flush, go out with the next) so that every change of the transaction is counted now.
    for _pass in range(100):
        if not (session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty)):
            break
        session.flush()
    plan_ids = session.info.pop(CHANGED_PLANS, None)
    if not plan_ids:
        return
    table = Plan.__table__
    for plan_id in sorted(plan_ids):
        session.execute(
            sa.update(table).where(table.c.id == plan_id).values(data_version=table.c.data_version + 1)
        )


def data_version(session: Session, plan_id: int) -> int:
    """The plan's data version as committed (or as this transaction changed it), read fresh."""
    return session.scalar(sa.select(Plan.data_version).where(Plan.id == plan_id)) or 0


def _forget_changed_plans(session: Session) -> None:
    session.info.pop(CHANGED_PLANS, None)


def init() -> None:
    """Record status changes alongside the history and count every plan's changes (once,
    however often it is called)."""
    on_change(_status_change_rows)
    if not event.contains(Session, "after_commit", _forget_dates):
        event.listen(Session, "after_commit", _forget_dates)
        event.listen(Session, "after_rollback", _forget_dates)
    if not event.contains(Session, "after_flush", _note_changed_plans):
        event.listen(Session, "after_flush", _note_changed_plans)
        event.listen(Session, "before_commit", _bump_data_versions)
        event.listen(Session, "after_commit", _forget_changed_plans)
        event.listen(Session, "after_rollback", _forget_changed_plans)
