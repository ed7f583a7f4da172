"""Logged hours summed by action and by person, per plan and year, kept current with every entry.

The roll-ups read these few rows instead of summing every entry; :mod:`tracker.domain.summary`
keeps them in step in the same transaction as the entries, and can rebuild them from scratch.
Two narrow tables rather than one wide one: by action it is at most actions x years rows, by
person at most people x years x 2, however many entries there are.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, FixedPoint

MANAGEMENT = 0  # the action id under which the overall-management line is summed


class ActionHours(Base):
    """The hours logged on one action (0: overall management) of a plan in one year."""

    __tablename__ = "action_hours"
    __table_args__ = (sa.UniqueConstraint("plan_id", "year", "action_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"))
    year: Mapped[int]
    # Not a foreign key: 0 stands for the overall-management line, which has no action row.
    action_id: Mapped[int]
    hours: Mapped[Decimal] = mapped_column(FixedPoint)
    entries: Mapped[int]


class PersonHours(Base):
    """The hours one person logged on a plan in one year, on management or on actions."""

    __tablename__ = "person_hours"
    __table_args__ = (sa.UniqueConstraint("plan_id", "year", "user_id", "management"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"))
    year: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    management: Mapped[bool]
    hours: Mapped[Decimal] = mapped_column(FixedPoint)
    entries: Mapped[int]
