"""The history: every change of every record, and every status change with its note."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, enum_column, utcnow
from tracker.models.plan import Action, Status
from tracker.models.user import User


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


class StatusChange(Base):
    """An action's status changed, with the note that explains it.

    The status of an action on a past date is read from these rows.
    """

    __tablename__ = "status_change"
    __table_args__ = (sa.Index("ix_status_change_action_at", "action_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    from_status: Mapped[Status | None] = mapped_column(enum_column(Status, "from_status"))
    to_status: Mapped[Status] = mapped_column(enum_column(Status, "to_status"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    action: Mapped[Action] = relationship(back_populates="status_changes")
    user: Mapped[User | None] = relationship()
