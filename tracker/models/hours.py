"""Logged hours: who spent how long on which action, or on the plan's overall management."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, FixedPoint, Timestamped, Versioned
from tracker.models.plan import Action, Plan
from tracker.models.user import User


class TimeEntry(Versioned, Timestamped, Base):
    """Hours one person spent on one day. No action means the overall-management line."""

    __tablename__ = "time_entry"
    __table_args__ = (
        sa.CheckConstraint("hours > 0", name="hours"),
        # The roll-ups read a plan's (or an action's) entries of one year by date range.
        sa.Index("ix_time_entry_plan_spent_on", "plan_id", "spent_on"),
        sa.Index("ix_time_entry_action_spent_on", "action_id", "spent_on"),
        sa.Index("ix_time_entry_user_spent_on", "user_id", "spent_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"))
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("action.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    spent_on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(FixedPoint)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    plan: Mapped[Plan] = relationship()
    action: Mapped[Action | None] = relationship()
    user: Mapped[User] = relationship()
