"""Who besides its organisation may read a plan: private, its networks, or anyone with the link.

Sharing is the member's choice, made by one of its admins on the plan's admin page or with
``flask --app tracker plan share``. Each change is a security event of the organisation, since it
changes who may read its data. What a share reaches is decided by the scope
(``Plan.shared_in_scope``) and, for the public link, by :func:`public_plan` alone.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.accounts.events import record_event
from tracker.accounts.models import Organisation, SecurityEventKind, User
from tracker.core.concurrency import expect_version, flush
from tracker.core.validation import Invalid, choice
from tracker.plans.models import Plan, Sharing


def set_sharing(
    session: Session,
    plan: Plan,
    value: str | Sharing,
    *,
    organisation: Organisation | None,
    actor: User | None = None,
    version: int | None = None,
    client: str = "",
    path: str = "",
) -> bool:
    """Share ``plan`` as ``value`` says, on behalf of ``organisation`` (its admin's); whether
    anything changed. The caller commits.

    A plan of another organisation, or a value that is not a sharing, is refused with the field
    named and nothing written. Making a plan public opens a new secret link; any other sharing
    closes it.
    """
    sharing = choice("sharing", value, Sharing)
    if organisation is not None and plan.organisation_id != organisation.id:
        raise Invalid(
            {
                "plan": _(
                    "plan %(id)s belongs to another organisation: only its own admins share it", id=plan.id
                )
            }
        )
    if version is not None:
        expect_version(plan, version, plan.title)
    before = plan.sharing
    if sharing is before:
        return False
    plan.sharing = sharing
    plan.public_token = secrets.token_urlsafe(32) if sharing is Sharing.PUBLIC else None
    flush(session, [plan], plan.title)
    record_event(
        session,
        SecurityEventKind.PLAN_SHARING_CHANGED,
        user=actor,
        organisation_id=plan.organisation_id,
        client=client,
        path=path,
        detail=f"plan {plan.id} ({plan.title}): {before.value} -> {sharing.value}",
    )
    return True


def public_plan(session: Session, token: str) -> Plan | None:
    """The plan behind a public link, while the plan is public."""
    if not token or len(token) > 64:
        return None
    plan = session.scalar(sa.select(Plan).where(Plan.public_token == token, Plan.sharing == Sharing.PUBLIC))
    if plan is None or not secrets.compare_digest(plan.public_token, token):
        return None
    return plan
