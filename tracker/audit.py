"""Every change of every record goes to the history, in the same transaction as the change.

One SQLAlchemy ``after_flush`` hook writes the rows, so no view, command or service can change a
record without leaving its trace. Callers say who acts (``set_actor``) and may attach a note to a
record's change (``note_change``); the domain never reads ``current_user``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from tracker.models import (
    Action,
    AllocationLine,
    Assessment,
    ChangeKind,
    HistoryEntry,
    Occurrence,
    Organisation,
    Pillar,
    Plan,
    PlannedHours,
    StatusChange,
    SurveyIndicator,
    TimeEntry,
    User,
    utcnow,
)

AUDITED = (
    Organisation,
    User,
    Plan,
    Pillar,
    Action,
    Occurrence,
    PlannedHours,
    AllocationLine,
    TimeEntry,
    Assessment,
    SurveyIndicator,
)
# Secrets are recorded as changed, never with their values.
REDACTED = frozenset({"password_hash", "session_nonce", "public_token", "totp_secret"})
# Bookkeeping columns that change with every edit and say nothing by themselves.
SKIPPED = frozenset({"version", "created_at"})
REDACTED_VALUE = "[redacted]"


def set_actor(session: Session, user_id: int | None) -> None:
    """Record ``user_id`` as the author of the changes this session flushes from now on."""
    session.info["actor_id"] = user_id


def set_clock(session: Session, when: datetime | None) -> None:
    """Date this session's history rows at ``when`` instead of now (demo data, tests)."""
    session.info["clock"] = when


def note_change(obj, note: str) -> None:
    """Attach ``note`` to the history rows of ``obj``'s next flushed change."""
    session = object_session(obj)
    if session is None:
        raise ValueError("note_change needs an object that belongs to a session")
    session.info.setdefault("change_notes", {})[id(obj)] = note


def to_json(value) -> str | None:
    """Serialise a column value for the history: exact decimals as strings, enums by value."""
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    elif isinstance(value, Decimal):
        value = str(value)
    elif isinstance(value, datetime | date):
        value = value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def from_json(text: str | None):
    """Read a value written by :func:`to_json`."""
    return None if text is None else json.loads(text)


def _columns(obj):
    return [attr for attr in inspect(obj).mapper.column_attrs if attr.key not in SKIPPED]


def _shown(key: str, value) -> str | None:
    return to_json(REDACTED_VALUE if key in REDACTED and value is not None else value)


def _plan_id(session: Session, obj) -> int | None:
    if isinstance(obj, Plan):
        return obj.id
    if hasattr(obj, "plan_id"):
        return obj.plan_id
    if isinstance(obj, Occurrence | PlannedHours):
        return session.execute(
            sa.select(Action.plan_id).where(Action.id == obj.action_id)
        ).scalar_one_or_none()
    return None


def _organisation_id(obj) -> int | None:
    if isinstance(obj, Organisation):
        return obj.id
    return getattr(obj, "organisation_id", None)


def _entry(session, obj, kind, field=None, before=None, after=None, note="") -> HistoryEntry:
    return HistoryEntry(
        at=session.info.get("clock") or utcnow(),
        user_id=session.info.get("actor_id"),
        organisation_id=_organisation_id(obj),
        plan_id=_plan_id(session, obj),
        entity=obj.__tablename__,
        entity_id=obj.id,
        kind=kind,
        field=field,
        before=before,
        after=after,
        note=note,
    )


def _snapshot(obj) -> str:
    return json.dumps(
        {attr.key: from_json(_shown(attr.key, getattr(obj, attr.key))) for attr in _columns(obj)},
        ensure_ascii=False,
    )


@event.listens_for(Session, "after_flush")
def _record_history(session: Session, flush_context) -> None:
    notes: dict[int, str] = session.info.get("change_notes", {})
    rows: list = []
    for obj in session.new:
        if isinstance(obj, AUDITED):
            note = notes.pop(id(obj), "")
            rows.append(_entry(session, obj, ChangeKind.CREATED, after=_snapshot(obj), note=note))
            if isinstance(obj, Action):
                rows.append(_status_change(session, obj, None, obj.status, note))
    for obj in session.dirty:
        if not isinstance(obj, AUDITED) or not session.is_modified(obj):
            continue
        note = notes.pop(id(obj), "")
        state = inspect(obj)
        for attr in _columns(obj):
            history = state.attrs[attr.key].history
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before == after:
                continue
            rows.append(
                _entry(
                    session,
                    obj,
                    ChangeKind.UPDATED,
                    field=attr.key,
                    before=_shown(attr.key, before),
                    after=_shown(attr.key, after),
                    note=note,
                )
            )
            if isinstance(obj, Action) and attr.key == "status":
                rows.append(_status_change(session, obj, before, after, note))
    for obj in session.deleted:
        if isinstance(obj, AUDITED):
            note = notes.pop(id(obj), "")
            rows.append(_entry(session, obj, ChangeKind.DELETED, before=_snapshot(obj), note=note))
    # Added now, flushed by the next pass of the same commit: one transaction for both.
    session.add_all(rows)


def _status_change(session, action, before, after, note) -> StatusChange:
    return StatusChange(
        action_id=action.id,
        at=session.info.get("clock") or utcnow(),
        user_id=session.info.get("actor_id"),
        from_status=before,
        to_status=after,
        note=note,
    )


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_notes(session: Session) -> None:
    session.info.pop("change_notes", None)


def _keep_old_value(target, value, oldvalue, initiator):
    """No-op listener whose ``active_history`` makes SQLAlchemy load the value it replaces."""


# Without active history, a change to an attribute expired by the last commit would be recorded
# with no "before" value.
for _model in AUDITED:
    for _attr in inspect(_model).column_attrs:
        if _attr.key not in SKIPPED:
            event.listen(getattr(_model, _attr.key), "set", _keep_old_value, active_history=True)
