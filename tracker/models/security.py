"""Security events: sign-ins, sign-outs, role changes, tokens and refusals."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, enum_column, utcnow
from tracker.models.user import User


class SecurityEventKind(enum.StrEnum):
    """What happened."""

    SIGNIN_SUCCEEDED = "signin_succeeded"
    SIGNIN_FAILED = "signin_failed"
    SIGNIN_THROTTLED = "signin_throttled"
    SIGNED_OUT = "signed_out"
    SESSION_EXPIRED = "session_expired"
    USER_CREATED = "user_created"
    ROLE_CHANGED = "role_changed"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGED = "password_changed"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    FORBIDDEN = "forbidden"
    TWO_STEP_ENABLED = "two_step_enabled"
    TWO_STEP_RESET = "two_step_reset"
    CONFIRMED = "confirmed"
    REPORT_MADE_PUBLIC = "report_public"
    REPORT_MADE_PRIVATE = "report_private"


class SecurityEvent(Base):
    """One security event: who (if known), from where, and what."""

    __tablename__ = "security_event"
    __table_args__ = (sa.Index("ix_security_event_organisation_at", "organisation_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[SecurityEventKind] = mapped_column(enum_column(SecurityEventKind, "security_event_kind"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    # The email typed at a failed sign-in, which may belong to nobody.
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    client: Mapped[str] = mapped_column(sa.String(64), default="")
    path: Mapped[str] = mapped_column(sa.String(300), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User | None] = relationship()
