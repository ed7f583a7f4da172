"""A plan, its pillars and actions, their timelines, budgets, status changes and the year's allocation."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Membership, Organisation, User
from tracker.core.db import Base, FixedPoint, Timestamped, UTCDateTime, Versioned, enum_column, utcnow


class Status(enum.StrEnum):
    """An action's progress, as the plan defines its colours."""

    COMPLETED = "completed"  # green
    ONGOING = "ongoing"  # yellow
    UPCOMING = "upcoming"  # red


# The order statuses are counted and shown in, everywhere.
STATUSES = (Status.COMPLETED, Status.ONGOING, Status.UPCOMING)


class Cadence(enum.StrEnum):
    """How often an action happens."""

    ONCE = "once"
    ONGOING = "ongoing"
    YEARLY = "yearly"
    EVERY_TWO_YEARS = "every two years"

    @property
    def recurring(self) -> bool:
        """Whether the action has occurrences (one a year, or one every two years)."""
        return self in (Cadence.YEARLY, Cadence.EVERY_TWO_YEARS)


class Sharing(enum.StrEnum):
    """Who besides the plan's organisation may read the plan: its actions, statuses and hour
    figures; never its people, their hour entries, drafts or security log."""

    PRIVATE = "private"  # the organisation only (the default)
    NETWORK = "network"  # also the coordinators and the other members of its networks
    PUBLIC = "public"  # also anyone with its public link, signed in or not


# A public plan is readable by anyone, its networks included.
SHARED_WITH_NETWORKS = (Sharing.NETWORK, Sharing.PUBLIC)


class AllocationKind(enum.StrEnum):
    """An allocation line pays for overall management or for implementing actions."""

    MANAGEMENT = "management"
    IMPLEMENTATION = "implementation"


def pillar_label(position: int, name: str) -> str:
    """A pillar as the plan numbers it, everywhere: ``3 Training and capacity-building``."""
    return f"{position} {name}"


def new_plan_uid() -> str:
    """A stable identifier written into exports, so an import finds its plan again."""
    return str(uuid.uuid4())


def in_plans_of(plan_id_column, scope) -> sa.ColumnElement[bool]:
    """A SQL condition: the row's plan (``plan_id_column``) is one ``scope`` reaches."""
    return plan_id_column.in_(sa.select(Plan.id).where(Plan.in_scope(scope)))


class PlanOwned:
    """A row that belongs to one plan (``plan_id``): the scope reaches it when it reaches the plan."""

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Rows of the plans ``scope`` reaches."""
        return in_plans_of(cls.plan_id, scope)


class ActionOwned:
    """A row that belongs to one action (``action_id``); its changes go to that plan's history."""

    @staticmethod
    def history_plan_id(session, row) -> int | None:
        """The plan whose history this row's changes belong to."""
        return session.scalar(sa.select(Action.plan_id).where(Action.id == row.action_id))


class Plan(Versioned, Timestamped, Base):
    """One action plan of one organisation over a period of years."""

    __tablename__ = "plan"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "title"),
        sa.CheckConstraint("end_year >= start_year", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_plan_uid)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    start_year: Mapped[int]
    end_year: Mapped[int]
    # Bumped in the transaction of every change of the plan's records (tracker.plans.history):
    # the row lock orders it by commit, so figures cached under it are never missing a change.
    data_version: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    sharing: Mapped[Sharing] = mapped_column(
        enum_column(Sharing, "sharing"), default=Sharing.PRIVATE, server_default=Sharing.PRIVATE.value
    )
    # The secret part of the public link while the plan is public; a new one each time it is made
    # public, none otherwise.
    public_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    organisation: Mapped[Organisation] = relationship(back_populates="plans")
    pillars: Mapped[list[Pillar]] = relationship(
        back_populates="plan", order_by="(Pillar.position, Pillar.id)"
    )
    allocation_lines: Mapped[list[AllocationLine]] = relationship(
        back_populates="plan", order_by="(AllocationLine.year, AllocationLine.position)"
    )

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Plans of the organisations ``scope`` reaches: to read and (by role) to change."""
        return scope.organisations(cls.organisation_id)

    @classmethod
    def shared_in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Plans ``scope`` may read: its own organisations', and those shared with a network it
        reaches by the member that owns them. Only read-only pages ask this; every change goes
        through :meth:`in_scope`."""
        members = sa.select(Membership.organisation_id).where(scope.networks(Membership.network_id))
        return sa.or_(
            cls.in_scope(scope),
            sa.and_(cls.sharing.in_(SHARED_WITH_NETWORKS), cls.organisation_id.in_(members)),
        )

    @staticmethod
    def history_plan_id(session, plan: Plan) -> int:
        """A plan's own changes belong to its history."""
        return plan.id

    @property
    def years(self) -> range:
        """Every year of the plan's period."""
        return range(self.start_year, self.end_year + 1)

    def __repr__(self) -> str:
        return f"<Plan {self.title!r}>"


class Pillar(PlanOwned, Versioned, Timestamped, Base):
    """An ordered heading of a plan (ICLEI: 1 Organisational actions ... 4 Monitoring)."""

    __tablename__ = "pillar"
    __table_args__ = (sa.UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    # What the pillar is for, in a sentence or two (from the template the plan started from).
    guidance: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    plan: Mapped[Plan] = relationship(back_populates="pillars")
    actions: Mapped[list[Action]] = relationship(
        back_populates="pillar", order_by="(Action.position, Action.id)"
    )

    @property
    def label(self) -> str:
        """The pillar as the plan numbers it: ``3 Training and capacity-building``."""
        return pillar_label(self.position, self.name)


class Action(PlanOwned, Versioned, Timestamped, Base):
    """One action of a plan, under one pillar."""

    __tablename__ = "action"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "code"),
        sa.CheckConstraint("end_year IS NULL OR end_year >= start_year", name="timeline"),
        sa.CheckConstraint("(resources_amount IS NULL) = (resources_currency IS NULL)", name="money"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept beside pillar_id so that a plan's actions are one indexed lookup, and codes unique.
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    pillar_id: Mapped[int] = mapped_column(sa.ForeignKey("pillar.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    objectives: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[Status] = mapped_column(enum_column(Status, "status"))
    start_year: Mapped[int]
    end_year: Mapped[int | None]
    cadence: Mapped[Cadence] = mapped_column(enum_column(Cadence, "cadence"))
    timeline_text: Mapped[str] = mapped_column(sa.String(300), default="")
    resources_text: Mapped[str] = mapped_column(sa.Text, default="")
    resources_amount: Mapped[Decimal | None] = mapped_column(FixedPoint)
    resources_currency: Mapped[str | None] = mapped_column(sa.String(3))
    responsible: Mapped[str] = mapped_column(sa.Text, default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pillar: Mapped[Pillar] = relationship(back_populates="actions")
    occurrences: Mapped[list[Occurrence]] = relationship(back_populates="action", order_by="Occurrence.year")
    planned_hours: Mapped[list[PlannedHours]] = relationship(
        back_populates="action", order_by="PlannedHours.year"
    )
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="action", order_by="(StatusChange.effective_on, StatusChange.at, StatusChange.id)"
    )

    def __repr__(self) -> str:
        return f"<Action {self.code} {self.status.value}>"


class Occurrence(ActionOwned, Versioned, Timestamped, Base):
    """A recorded occurrence of a recurring action (the 2025 survey): done or not.

    Occurrences without a row are not done; the expected years come from the timeline.
    """

    __tablename__ = "occurrence"
    __table_args__ = (sa.UniqueConstraint("action_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action.id"), index=True)
    year: Mapped[int]
    done: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    action: Mapped[Action] = relationship(back_populates="occurrences")


class PlannedHours(ActionOwned, Versioned, Timestamped, Base):
    """An action's hour budget for one year."""

    __tablename__ = "planned_hours"
    __table_args__ = (
        sa.UniqueConstraint("action_id", "year"),
        sa.CheckConstraint("hours >= 0", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action.id"), index=True)
    year: Mapped[int]
    hours: Mapped[Decimal] = mapped_column(FixedPoint)

    action: Mapped[Action] = relationship(back_populates="planned_hours")


class AllocationLine(PlanOwned, Versioned, Timestamped, Base):
    """One line of a year's hour allocation (ICLEI 2025: Overall management, 100 h)."""

    __tablename__ = "allocation_line"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "year", "name"),
        sa.CheckConstraint("hours >= 0", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    year: Mapped[int]
    position: Mapped[int] = mapped_column(default=1)
    kind: Mapped[AllocationKind] = mapped_column(enum_column(AllocationKind, "allocation_kind"))
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    hours: Mapped[Decimal] = mapped_column(FixedPoint)

    plan: Mapped[Plan] = relationship(back_populates="allocation_lines")


class PlanTemplate(Timestamped, Base):
    """A template an organisation's admin uploaded: pillars with guidance to start a plan from.

    ``content`` is the uploaded JSON as it was validated (:mod:`tracker.plans.plan_templates`
    reads it again, with the same rules, each time it is used). The templates shipped in
    ``seed/templates/`` are files, not rows, and every organisation sees them.
    """

    __tablename__ = "plan_template"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[str] = mapped_column(sa.Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Templates of the organisations ``scope`` reaches."""
        return scope.organisations(cls.organisation_id)


def _recorded_day(context) -> date:
    """A status change takes effect the day it is recorded (UTC) unless it says otherwise."""
    at = context.get_current_parameters().get("at") or utcnow()
    return at.astimezone(UTC).date()


class StatusChange(Base):
    """An action's status changed, with the note that explains it.

    ``at`` is when the change was recorded; ``effective_on`` the day it took effect, which is
    earlier when someone records a change "as of" a past date (the plan's own record of what
    happened before the tracker). The status of an action on a past date is read from
    ``effective_on``; an action's changes never go back in effect (each takes effect on or
    after the one before), so the latest in effect is also its current status.
    """

    __tablename__ = "status_change"
    __table_args__ = (sa.Index("ix_status_change_action_at", "action_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    effective_on: Mapped[date] = mapped_column(sa.Date, default=_recorded_day)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    from_status: Mapped[Status | None] = mapped_column(enum_column(Status, "from_status"))
    to_status: Mapped[Status] = mapped_column(enum_column(Status, "to_status"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    action: Mapped[Action] = relationship(back_populates="status_changes")
    user: Mapped[User | None] = relationship()
