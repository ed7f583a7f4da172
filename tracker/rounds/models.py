"""A network's reporting round and the frozen snapshot each member submits to it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Network, Organisation, User
from tracker.core.db import Base, Timestamped, UTCDateTime, Versioned
from tracker.plans.models import Plan


class ReportingRound(Versioned, Timestamped, Base):
    """A round a coordinator opens for the members of one network: one plan each, by a due date.

    It is open until its coordinator closes it; a member may still submit after the due date
    (the submission is then late), never after it is closed.
    """

    __tablename__ = "reporting_round"
    __table_args__ = (sa.UniqueConstraint("network_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(sa.ForeignKey("network.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    year: Mapped[int]
    due_on: Mapped[date]
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    network: Mapped[Network] = relationship()
    opened_by: Mapped[User | None] = relationship()

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Rounds of the networks ``scope`` reaches (coordinated, or one's organisation's)."""
        return scope.networks(cls.network_id)

    @staticmethod
    def history_organisation_id(round_: ReportingRound) -> None:
        """A round belongs to a network, no one organisation."""
        return None


class RoundSubmission(Timestamped, Base):
    """One member's plan as it stood when submitted: figures and workbook, frozen with checksums.

    Never changed once written (so it keeps no version). The bytes live in the row, written in
    the transaction that records the submission; their SHA-256 checksums are checked on every
    read. The figures (JSON) carry the member's name, country and region as they were, so the
    round's workbook reads only what was submitted.
    """

    __tablename__ = "round_submission"
    __table_args__ = (sa.UniqueConstraint("round_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("reporting_round.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The day it counts as submitted on (the app's today), against the round's due date.
    submitted_on: Mapped[date]
    plan_title: Mapped[str] = mapped_column(sa.String(300))
    # Loaded only when read: a round's page lists many submissions and needs none of the bytes.
    figures: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, deferred=True)
    figures_sha256: Mapped[str] = mapped_column(sa.String(64))
    workbook: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, deferred=True)
    workbook_sha256: Mapped[str] = mapped_column(sa.String(64))

    round: Mapped[ReportingRound] = relationship()
    organisation: Mapped[Organisation] = relationship()
    plan: Mapped[Plan] = relationship()
    submitted_by: Mapped[User] = relationship()

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Its own organisation's submissions, and every submission to a round of a network one
        coordinates."""
        coordinated = sa.select(ReportingRound.id).where(
            ReportingRound.network_id.in_(sorted(scope.coordinated_ids))
        )
        return sa.or_(scope.organisations(cls.organisation_id), cls.round_id.in_(coordinated))
