"""The history: every change of every versioned record, who made it and when."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.db import Base, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from tracker.accounts.models import User


class ChangeKind(enum.StrEnum):
    """What happened to a record."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


class HistoryEntry(Base):
    """One field of one record changed: who, when, before and after (JSON text)."""

    __tablename__ = "history_entry"
    __table_args__ = (
        sa.Index("ix_history_entry_record", "entity", "entity_id", "at"),
        sa.Index("ix_history_entry_plan_at", "plan_id", "at"),
        # The plan's newest history row is its data version, read on every dashboard view.
        sa.Index("ix_history_entry_plan_id_id", "plan_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan.id"))
    entity: Mapped[str] = mapped_column(sa.String(50))
    entity_id: Mapped[int]
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind, "change_kind"))
    field: Mapped[str | None] = mapped_column(sa.String(100))
    before: Mapped[str | None] = mapped_column(sa.Text)
    after: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User | None] = relationship()
