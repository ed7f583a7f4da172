"""Logged hours summed by plan, action, person and year, kept current with every time entry.

The roll-ups read these few rows instead of summing every entry; :mod:`tracker.domain.summary`
keeps them in step in the same transaction as the entries, and can rebuild them from scratch.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, FixedPoint

MANAGEMENT = 0  # the action id under which the overall-management line is summed


class HoursSummary(Base):
    """The hours one person logged on one action (0: overall management) in one year."""

    __tablename__ = "hours_summary"
    __table_args__ = (sa.UniqueConstraint("plan_id", "year", "action_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"))
    year: Mapped[int]
    # Not a foreign key: 0 stands for the overall-management line, which has no action row.
    action_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    hours: Mapped[Decimal] = mapped_column(FixedPoint)
    entries: Mapped[int]
