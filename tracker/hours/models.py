"""Logged hours: who spent how long on which action, or on the plan's overall management.

Beside the entries, their sums by action and by person, per plan and year, kept current with every
entry (:mod:`tracker.hours.summary`): the roll-ups read these few rows instead of summing every
entry. Two narrow tables rather than one wide one: by action at most actions x years rows, by person
at most people x years x 2, however many entries there are.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import User
from tracker.core.db import Base, FixedPoint, Timestamped, Versioned
from tracker.plans.models import Action, Plan, PlanOwned


class TimeEntry(PlanOwned, Versioned, Timestamped, Base):
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
