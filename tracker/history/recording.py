"""Every change of every versioned record goes to the history, in the same transaction.

One SQLAlchemy ``after_flush`` hook writes the rows, so no view, command or service can change a
record without leaving its trace. :func:`init` registers it; the app factory calls it, and so does
anything that opens sessions without the app (``tracker.init_model_hooks``). Callers say who acts
(``set_actor``) and may attach a note to a record's change (``note_change``); the domain never
reads ``current_user``.

A model says which plan and organisation its rows belong to through ``history_plan_id`` and
``organisation_id`` (an attribute or a property); other concerns add rows of their own to the
same flush through :func:`on_change`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from tracker.core.db import Base, Versioned, utcnow
from tracker.history.models import ChangeKind, HistoryEntry

# Secrets are recorded as changed, never with their values.
REDACTED = frozenset({"password_hash", "session_nonce", "public_token", "totp_secret"})
# Bookkeeping columns that change with every edit and say nothing by themselves.
SKIPPED = frozenset({"version", "created_at", "data_version"})
REDACTED_VALUE = "[redacted]"
FLUSHED_AT = "flushed_at"


def set_actor(session: Session, user_id: int | None) -> None:
    """Record ``user_id`` as the author of the changes this session flushes from now on."""
    session.info["actor_id"] = user_id


def set_clock(session: Session, when: datetime | None) -> None:
    """Date this session's history rows at ``when`` instead of now (demo data, tests)."""
    session.info["clock"] = when


def actor(session: Session) -> int | None:
    """Who the changes this session flushes are recorded against."""
    return session.info.get("actor_id")


def when(session: Session) -> datetime:
    """The time this session's history rows are dated at: every row of one flush (the history's
    and those added through :func:`on_change`) at the same instant, so that they match."""
    return session.info.get("clock") or session.info.get(FLUSHED_AT) or utcnow()


def note_change(obj, note: str) -> None:
    """Attach ``note`` to the history rows of ``obj``'s next flushed change."""
    session = object_session(obj)
    if session is None:
        raise ValueError("note_change needs an object that belongs to a session")
    session.info.setdefault("change_notes", {})[id(obj)] = note


def record_unchanged(session: Session, obj, field: str, note: str) -> None:
    """Keep ``note`` in the history for a change that changed nothing (the same status again):
    a row whose before and after are the same value. Nothing else follows it (no listener)."""
    value = _shown(field, getattr(obj, field))
    session.add(_entry(session, obj, ChangeKind.UPDATED, field, value, value, note))


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
    reader = getattr(type(obj), "history_plan_id", None)
    if reader is not None:
        return reader(session, obj)
    return getattr(obj, "plan_id", None)


def _organisation_id(obj) -> int | None:
    reader = getattr(type(obj), "history_organisation_id", None)
    if reader is not None:
        return reader(obj)
    return getattr(obj, "organisation_id", None)


# Functions that add rows of their own for a change: (session, obj, field or None, before, after,
# note) -> rows. ``field`` None means the record was created.
_listeners: list = []


def on_change(listener) -> None:
    """Call ``listener`` for every created record and every changed field, in the same flush."""
    if listener not in _listeners:
        _listeners.append(listener)


def _extra(session, obj, field, before, after, note) -> list:
    return [row for listener in _listeners for row in listener(session, obj, field, before, after, note)]


def _entry(session, obj, kind, field=None, before=None, after=None, note="") -> HistoryEntry:
    return HistoryEntry(
        at=when(session),
        user_id=actor(session),
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


def _record_history(session: Session, flush_context) -> None:
    session.info[FLUSHED_AT] = utcnow()
    try:
        _record(session)
    finally:
        session.info.pop(FLUSHED_AT, None)


def _record(session: Session) -> None:
    notes: dict[int, str] = session.info.get("change_notes", {})
    rows: list = []
    for obj in session.new:
        if isinstance(obj, Versioned):
            note = notes.pop(id(obj), "")
            rows.append(_entry(session, obj, ChangeKind.CREATED, after=_snapshot(obj), note=note))
            rows += _extra(session, obj, None, None, None, note)
    for obj in session.dirty:
        if not isinstance(obj, Versioned) or not session.is_modified(obj):
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
            rows += _extra(session, obj, attr.key, before, after, note)
    for obj in session.deleted:
        if isinstance(obj, Versioned):
            note = notes.pop(id(obj), "")
            rows.append(_entry(session, obj, ChangeKind.DELETED, before=_snapshot(obj), note=note))
    # Added now, flushed by the next pass of the same commit: one transaction for both.
    session.add_all(rows)


def _forget_notes(session: Session) -> None:
    session.info.pop("change_notes", None)


def _keep_old_value(target, value, oldvalue, initiator):
    """No-op listener whose ``active_history`` makes SQLAlchemy load the value it replaces."""


def init() -> None:
    """Register the history hooks on every session (once, however often it is called).

    Without active history, a change to an attribute expired by the last commit would be recorded
    with no "before" value, so every versioned model's columns load the value they replace.
    """
    if event.contains(Session, "after_flush", _record_history):
        return
    event.listen(Session, "after_flush", _record_history)
    event.listen(Session, "after_commit", _forget_notes)
    event.listen(Session, "after_rollback", _forget_notes)
    for mapper in Base.registry.mappers:
        if not issubclass(mapper.class_, Versioned):
            continue
        for attr in mapper.column_attrs:
            if attr.key not in SKIPPED:
                event.listen(getattr(mapper.class_, attr.key), "set", _keep_old_value, active_history=True)


def require() -> None:
    """Refuse to change records while no history would be written (a script that forgot
    ``tracker.init_model_hooks()``): an error, never a change without its trace."""
    if not event.contains(Session, "after_flush", _record_history):
        raise RuntimeError(
            "The history hooks are not registered: call tracker.init_model_hooks() "
            "(create_app does) before changing records."
        )
