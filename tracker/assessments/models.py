"""The biennial assessment of a plan: a period, the staff survey's summary and written sections.

Its figures are not stored here: they come from the history while it is a draft, and from the
frozen files once it is published (under ``REPORTS_DIR``, or in ``report_file`` rows: see
:mod:`tracker.assessments.storage`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import User
from tracker.core.db import Base, FixedPoint, Timestamped, UTCDateTime, Versioned
from tracker.plans.models import Plan, PlanOwned


class Assessment(PlanOwned, Versioned, Timestamped, Base):
    """An assessment report of one plan over a period; frozen once published."""

    __tablename__ = "assessment"
    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period"),
        sa.CheckConstraint("respondents IS NULL OR respondents >= 0", name="respondents"),
        sa.CheckConstraint(
            "response_rate IS NULL OR (response_rate >= 0 AND response_rate <= 10000)", name="response_rate"
        ),
        sa.CheckConstraint("public = false OR published_at IS NOT NULL", name="public_when_published"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    period_start: Mapped[date]
    period_end: Mapped[date]
    respondents: Mapped[int | None]
    # Percent, two decimals (87.50).
    response_rate: Mapped[Decimal | None] = mapped_column(FixedPoint)
    achievements: Mapped[str] = mapped_column(sa.Text, default="")
    improvements: Mapped[str] = mapped_column(sa.Text, default="")
    next_steps: Mapped[str] = mapped_column(sa.Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # The frozen files' folder (relative to REPORTS_DIR when they are files) and their checksums.
    report_dir: Mapped[str | None] = mapped_column(sa.String(200))
    figures_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    workbook_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    public: Mapped[bool] = mapped_column(default=False)
    # The secret part of the public link; a new one each time the report is made public.
    public_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    plan: Mapped[Plan] = relationship()
    published_by: Mapped[User | None] = relationship()
    indicators: Mapped[list[SurveyIndicator]] = relationship(
        back_populates="assessment",
        order_by="(SurveyIndicator.position, SurveyIndicator.id)",
        cascade="all, delete-orphan",
    )

    @property
    def published(self) -> bool:
        return self.published_at is not None


class SurveyIndicator(Versioned, Timestamped, Base):
    """One named figure of the staff survey, with the previous survey's value where there is one."""

    __tablename__ = "survey_indicator"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    value: Mapped[Decimal] = mapped_column(FixedPoint)
    previous: Mapped[Decimal | None] = mapped_column(FixedPoint)
    unit: Mapped[str] = mapped_column(sa.String(20), default="")

    assessment: Mapped[Assessment] = relationship(back_populates="indicators")


class ReportFile(Timestamped, Base):
    """One frozen file of a published report, when ``REPORT_STORAGE=database``.

    Written once, in the transaction that publishes the report (or by ``load`` and ``reports
    move``); read back only through a check against the assessment's recorded checksum. It is
    not a record people change, so it has no version and no history. A dump carries these bytes
    with the report files of either storage, not as table rows (``info["backup"]``).
    """

    __tablename__ = "report_file"
    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "name"),
        {"info": {"backup": "report files"}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id"))
    name: Mapped[str] = mapped_column(sa.String(50))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
