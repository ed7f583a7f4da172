"""Recording security events in the database and in the log."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from tracker.models import SecurityEvent, SecurityEventKind, User

log = logging.getLogger("tracker.security")


def record_event(
    session: Session,
    kind: SecurityEventKind,
    *,
    user: User | None = None,
    email: str = "",
    client: str = "",
    path: str = "",
    detail: str = "",
) -> SecurityEvent:
    """Add a security event to ``session`` (the caller commits) and write it to the log."""
    event = SecurityEvent(
        kind=kind,
        user_id=user.id if user else None,
        organisation_id=user.organisation_id if user else None,
        email=(user.email if user else email)[:254],
        client=client[:64],
        path=path[:300],
        detail=detail,
    )
    session.add(event)
    log.info(
        "security event %s user=%s email=%s client=%s path=%s %s",
        kind.value,
        user.id if user else "-",
        event.email or "-",
        client or "-",
        path or "-",
        detail,
    )
    return event
