"""Recording security events in the database and in the log."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from tracker.accounts.models import SecurityEvent, SecurityEventKind, User
from tracker.core.scope import Scope

log = logging.getLogger("tracker.security")


def record_event(
    session: Session,
    kind: SecurityEventKind,
    *,
    user: User | None = None,
    actor: User | None = None,
    email: str = "",
    client: str = "",
    path: str = "",
    detail: str = "",
    organisation_id: int | None = None,
) -> SecurityEvent:
    """Add a security event to ``session`` (the caller commits) and write it to the log.

    ``user`` is the account it is about; ``actor`` whoever was signed in and did it, when not
    the same person (an admin deactivating someone). ``organisation_id`` files an event that
    concerns an organisation rather than one account (a plan's sharing) in its log."""
    event = SecurityEvent(
        kind=kind,
        user_id=user.id if user else None,
        actor_id=actor.id if actor else None,
        organisation_id=organisation_id
        if organisation_id is not None
        else (user.organisation_id if user else None),
        email=(user.email if user else email)[:254],
        client=client[:64],
        path=path[:300],
        detail=detail,
    )
    session.add(event)
    log.info(
        "security event %s user=%s actor=%s email=%s client=%s path=%s %s",
        kind.value,
        user.id if user else "-",
        actor.id if actor else "-",
        event.email or "-",
        client or "-",
        path or "-",
        detail,
    )
    return event


@dataclass(frozen=True)
class LogPage:
    """One page of an organisation's security log, newest first."""

    events: list[SecurityEvent]
    page: int
    pages: int
    total: int


def security_log(
    session: Session,
    scope: Scope,
    *,
    kind: SecurityEventKind | None = None,
    page: int = 1,
    per_page: int = 50,
) -> LogPage:
    """The security events of the organisations ``scope`` reaches, newest first, optionally of one kind.

    Events with no account (a sign-in with an unknown email) belong to no organisation and are
    only in the log file.
    """
    where = [SecurityEvent.in_scope(scope)]
    if kind is not None:
        where.append(SecurityEvent.kind == kind)
    total = session.scalar(sa.select(sa.func.count()).select_from(SecurityEvent).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    events = session.scalars(
        sa.select(SecurityEvent)
        .where(*where)
        .options(joinedload(SecurityEvent.user), joinedload(SecurityEvent.actor))
        .order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return LogPage(list(events), page, pages, total)
