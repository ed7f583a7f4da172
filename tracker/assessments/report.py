"""The biennial assessment: its figures from the history, the group's texts, and publishing.

A draft's figures are worked out from the history whenever it is shown. Publishing freezes them:
the report's data (figures and texts, as JSON) and its workbook are written once, with SHA-256
checksums, in the configured storage (:mod:`tracker.assessments.storage`), and a published report
is read back from those files only, so that it never changes when the plan does.

The report's data is plain JSON (text, numbers, lists), the one shape the report page, the
workbook and the frozen file share. Hours are decimal strings ("12.50"), exact.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.accounts.models import User
from tracker.assessments.models import Assessment, SurveyIndicator
from tracker.assessments.storage import (
    FIGURES_FILE,
    WORKBOOK_FILE,
    FileStorage,
    Storage,
    Written,
    read_frozen,
    sha256,
)
from tracker.core import validation
from tracker.core.concurrency import Conflict, claim, expect_version, flush
from tracker.core.db import utcnow
from tracker.core.validation import Errors, Invalid
from tracker.hours.rollup import hour_rollup
from tracker.plans.late import is_late
from tracker.plans.models import STATUSES, Action, Plan, Status, StatusChange
from tracker.plans.status import end_of_day, status_on
from tracker.tracking.lines import load_lines

FORMAT = 1


def default_period(year: int) -> tuple[date, date]:
    """The two calendar years ending in the assessment year: 2025 gives 2024-01-01 to 2025-12-31."""
    return date(year - 1, 1, 1), date(year, 12, 31)


def default_title(start: date, end: date) -> str:
    years = f"{start.year}" if start.year == end.year else f"{start.year}-{end.year}"
    return _("Assessment report %(years)s", years=years)


@dataclass(frozen=True)
class IndicatorInput:
    """One survey indicator as the group enters it."""

    name: str
    value: Decimal
    previous: Decimal | None
    unit: str


@dataclass(frozen=True)
class AssessmentTexts:
    """What the group writes and enters."""

    title: str
    respondents: int | None
    response_rate: Decimal | None
    achievements: str
    improvements: str
    next_steps: str


def create_assessment(session: Session, plan: Plan, *, start: date, end: date, title: str = "") -> Assessment:
    """A draft assessment of ``plan`` over ``start``..``end``: any dates within the plan's years,
    the end not first."""
    errors = Errors()
    start = errors.check("period_start", validation.period_day, start)
    end = errors.check("period_end", validation.period_day, end)
    errors.raise_any()
    if end < start:
        raise Invalid(
            {
                "period_end": _(
                    "%(end)s is before the start %(start)s", end=end.isoformat(), start=start.isoformat()
                )
            }
        )
    period = f"{plan.start_year}-{plan.end_year}"
    outside = {
        field: _("%(day)s is outside the plan's period %(period)s", day=day.isoformat(), period=period)
        for field, day in (("period_start", start), ("period_end", end))
        if day.year not in plan.years
    }
    if outside:
        raise Invalid(outside)
    assessment = Assessment(
        plan_id=plan.id,
        title=title or default_title(start, end),
        period_start=start,
        period_end=end,
    )
    session.add(assessment)
    session.flush()
    return assessment


def draft(assessment: Assessment) -> None:
    """Refuse to change a published assessment."""
    if assessment.published:
        raise Conflict(
            _("%(title)s is published and frozen; it can no longer change.", title=assessment.title),
            [assessment],
        )


def delete_assessment(session: Session, assessment: Assessment, *, version: int) -> None:
    """Delete a draft with its survey figures (the history keeps them). A published report is
    frozen: it is never deleted (:class:`Conflict`)."""
    draft(assessment)
    expect_version(assessment, version, assessment.title)
    session.delete(assessment)
    flush(session, [assessment], assessment.title)


def update_assessment(
    session: Session,
    assessment: Assessment,
    texts: AssessmentTexts,
    indicators: list[IndicatorInput] | None,
    *,
    version: int,
) -> None:
    """Save the survey summary, the indicators and the written sections of a draft.

    ``indicators`` replaces the draft's list; ``None`` leaves it as it is.
    """
    draft(assessment)
    what = assessment.title
    expect_version(assessment, version, what)
    names = [indicator.name for indicator in indicators or ()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise Invalid(
            {"indicators": _("each indicator once: %(names)s is listed twice", names=", ".join(repeated))}
        )
    with session.no_autoflush:
        for name, value in vars(texts).items():
            if getattr(assessment, name) != value:
                setattr(assessment, name, value)
        existing = {row.name: row for row in assessment.indicators} if indicators is not None else {}
        changed = False
        for position, given in enumerate(indicators or (), start=1):
            row = existing.pop(given.name, None)
            if row is None:
                assessment.indicators.append(
                    SurveyIndicator(
                        plan_id=assessment.plan_id,
                        position=position,
                        name=given.name,
                        value=given.value,
                        previous=given.previous,
                        unit=given.unit,
                    )
                )
                changed = True
                continue
            for name in ("value", "previous", "unit", "position"):
                value = position if name == "position" else getattr(given, name)
                if getattr(row, name) != value:
                    setattr(row, name, value)
                    changed = True
        for row in existing.values():
            assessment.indicators.remove(row)
            changed = True
    flush(session, [assessment], what)
    if changed and assessment.version == version:
        claim(session, assessment, version, what)


# --- Figures -----------------------------------------------------------------------------------


def _hours(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def _counts(statuses) -> dict[str, int]:
    counted = Counter(statuses)
    return {status.value: counted.get(status, 0) for status in STATUSES}


def period_figures(session: Session, plan: Plan, start: date, end: date, today: date) -> dict:
    """What the history says about ``plan`` over ``start``..``end``, as of ``today``.

    Each action's status at the start and at the end comes from its status changes, by the day
    each took effect (a change recorded later "as of" an earlier day counts from that day). Late uses
    the one rule of :mod:`tracker.plans.late` on both dates, with the occurrence marks as
    they stand (marks keep no dates of their own). A period that ends after today ends today.
    """
    upto = min(end, today)
    loaded = load_lines(session, plan, upto, hours=False)
    pillars, actions = loaded.pillars, loaded.lines
    label = {pillar.id: pillar.label for pillar in pillars}
    changes: dict[int, list[StatusChange]] = {row.id: [] for row in actions}
    for change in session.scalars(
        sa.select(StatusChange)
        .join(Action, Action.id == StatusChange.action_id)
        .where(Action.plan_id == plan.id)
        .order_by(StatusChange.effective_on, StatusChange.at, StatusChange.id)
    ):
        changes[change.action_id].append(change)

    # The status at the start is the status at the end of the day before the period begins. A
    # draft stored before periods were checked may start on 0001-01-01, which has no day before
    # (and nothing recorded on it): its start is read on that day.
    eve = start - timedelta(days=1) if start > date.min else start
    before_start = end_of_day(eve)
    rows = []
    for row in actions:
        at_start = status_on(changes[row.id], eve)
        at_end = status_on(changes[row.id], upto)
        if at_end is None or (row.archived_at is not None and row.archived_at < before_start):
            continue
        occurrences = row.occurrences
        late_start = at_start is not None and is_late(
            at_start, row.start_year, row.end_year, occurrences, start
        )
        late_end = is_late(at_end, row.start_year, row.end_year, occurrences, upto)
        rows.append(
            {
                "code": row.code,
                "title": row.title,
                "pillar": label[row.pillar_id],
                "status_start": at_start.value if at_start else None,
                "status_end": at_end.value,
                "late_start": late_start,
                "late_end": late_end,
                "completed": at_end is Status.COMPLETED and at_start is not Status.COMPLETED,
                "started": at_start in (None, Status.UPCOMING) and at_end is not Status.UPCOMING,
                "became_late": late_end and not late_start,
            }
        )

    by_pillar = []
    for pillar in pillars:
        mine = [row for row in rows if row["pillar"] == label[pillar.id]]
        by_pillar.append(
            {
                "pillar": label[pillar.id],
                "position": pillar.position,
                "name": pillar.name,
                "start": _counts(Status(r["status_start"]) for r in mine if r["status_start"]),
                "end": _counts(Status(r["status_end"]) for r in mine),
            }
        )

    hours = []
    pillar_of = {row.id: row.pillar_id for row in actions}
    for year in range(max(start.year, plan.start_year), min(end.year, plan.end_year) + 1):
        rollup = hour_rollup(session, plan, year, pillars=pillars, pillar_of=pillar_of)
        hours.append(
            {
                "year": year,
                "allocated": _hours(rollup.allocated),
                "planned": _hours(rollup.planned),
                "logged": _hours(rollup.logged),
                "remaining": _hours(rollup.remaining),
                "over": rollup.over_allocated,
                "lines": [
                    {
                        "name": line.name,
                        "kind": line.kind.value,
                        "allocated": _hours(line.hours),
                    }
                    for line in rollup.lines
                ],
                "kinds": [
                    {
                        "kind": kind.kind.value,
                        "allocated": _hours(kind.allocated),
                        "planned": _hours(kind.planned),
                        "logged": _hours(kind.logged),
                        "remaining": _hours(kind.remaining),
                        "over": kind.over_allocated,
                    }
                    for kind in rollup.by_kind.values()
                ],
                "pillars": [
                    {
                        "pillar": f"{figures.position} {figures.name}",
                        "planned": _hours(figures.planned),
                        "logged": _hours(figures.logged),
                        "remaining": _hours(figures.remaining),
                        "over": figures.over_allocated,
                    }
                    for figures in rollup.by_pillar
                ],
            }
        )

    code_of = {row.id: row.code for row in actions}
    names = dict(
        session.execute(
            sa.select(User.id, User.name).where(User.organisation_id == plan.organisation_id)
        ).all()
    )
    period_changes = [
        {
            "effective_on": change.effective_on.isoformat(),
            "at": change.at.isoformat(timespec="seconds"),
            "code": code_of[change.action_id],
            "from": change.from_status.value,
            "to": change.to_status.value,
            "who": names.get(change.user_id, "system") if change.user_id else "system",
            "note": change.note,
        }
        for action_changes in changes.values()
        for change in action_changes
        if change.from_status is not None and start <= change.effective_on <= upto
    ]
    period_changes.sort(key=lambda change: (change["effective_on"], change["at"], change["code"]))

    return {
        "as_of": upto.isoformat(),
        "summary": {
            "actions": len(rows),
            "completed": sum(row["completed"] for row in rows),
            "started": sum(row["started"] for row in rows),
            "became_late": sum(row["became_late"] for row in rows),
            "late_at_end": sum(row["late_end"] for row in rows),
            "status_start": _counts(Status(r["status_start"]) for r in rows if r["status_start"]),
            "status_end": _counts(Status(r["status_end"]) for r in rows),
            "changes": len(period_changes),
        },
        "by_pillar": by_pillar,
        "actions": rows,
        "hours": hours,
        "changes": period_changes,
    }


def _survey(respondents, response_rate, indicators) -> dict:
    return {
        "respondents": respondents,
        "response_rate": _hours(response_rate) if response_rate is not None else None,
        "indicators": [
            {
                "name": indicator.name,
                "value": _hours(indicator.value),
                "previous": _hours(indicator.previous) if indicator.previous is not None else None,
                "change": _hours(indicator.value - indicator.previous)
                if indicator.previous is not None
                else None,
                "unit": indicator.unit,
            }
            for indicator in indicators
        ],
    }


def report_data(session: Session, plan: Plan, start: date, end: date, today: date, assessment=None) -> dict:
    """Everything a report shows: the plan, the period, the figures, the survey and the texts."""
    data = {
        "format": FORMAT,
        "title": assessment.title if assessment else default_title(start, end),
        "plan": {
            "title": plan.title,
            "organisation": plan.organisation.name,
            "identifier": plan.uid,
            "period": f"{plan.start_year}-{plan.end_year}",
        },
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        **period_figures(session, plan, start, end, today),
    }
    if assessment is not None:
        data["survey"] = _survey(assessment.respondents, assessment.response_rate, assessment.indicators)
        data["sections"] = {
            "achievements": assessment.achievements,
            "improvements": assessment.improvements,
            "next_steps": assessment.next_steps,
        }
    else:
        data["survey"] = _survey(None, None, [])
        data["sections"] = {"achievements": "", "improvements": "", "next_steps": ""}
    return data


def assessment_data(session: Session, assessment: Assessment, today: date) -> dict:
    """A draft's data, worked out now."""
    return report_data(
        session, assessment.plan, assessment.period_start, assessment.period_end, today, assessment
    )


# --- Publishing --------------------------------------------------------------------------------


def period_ended(assessment: Assessment, today: date) -> bool:
    """Whether the assessment's period is over (it ends today at the latest): its figures are whole."""
    return assessment.period_end <= today


def publish(
    session: Session,
    assessment: Assessment,
    storage: Storage | Path,
    *,
    by: User,
    today: date,
    version: int,
    build_workbook,
    confirmed_early: bool = False,
) -> None:
    """Freeze the assessment: store its data and workbook, with checksums, in ``storage``.

    A period that has not ended yet is published only when ``confirmed_early``; the frozen
    report then says so (``published.period_ended`` false), as its figures stop at ``today``.
    With the database storage the files are rows of this transaction: the report is published
    whole or not at all. A folder given as ``storage`` means files under it.
    """
    if isinstance(storage, Path):
        storage = FileStorage(storage)
    draft(assessment)
    expect_version(assessment, version, assessment.title)
    ended = period_ended(assessment, today)
    if not ended and not confirmed_early:
        raise Invalid(
            {
                "confirm": _(
                    "the period runs until %(end)s: confirm that the report is to be published before its "
                    "period ends, with its figures as of %(today)s",
                    end=assessment.period_end,
                    today=today,
                )
            }
        )
    data = assessment_data(session, assessment, today)
    when = utcnow()
    data["published"] = {"at": when.isoformat(timespec="seconds"), "by": by.name, "period_ended": ended}
    figures = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode()
    workbook = build_workbook(data)
    relative = Path(assessment.plan.uid) / f"assessment-{assessment.id}-{secrets.token_hex(4)}"
    written = Written()
    try:
        assessment.published_at = when
        assessment.published_by_id = by.id
        assessment.report_dir = relative.as_posix()
        assessment.figures_sha256 = sha256(figures)
        assessment.workbook_sha256 = sha256(workbook)
        flush(session, [assessment], assessment.title)
        storage.put(session, assessment, {FIGURES_FILE: figures, WORKBOOK_FILE: workbook}, written)
    except BaseException:
        # Someone published first, or the disk refused: no half-made report stays behind.
        storage.undo(written)
        raise


def frozen_file(session: Session, storage: Storage, assessment: Assessment, name: str) -> bytes:
    """A published report's file, checked against the checksum recorded at publishing."""
    return read_frozen(storage, session, assessment, name)


def frozen_data(session: Session, storage: Storage, assessment: Assessment) -> dict:
    return json.loads(frozen_file(session, storage, assessment, FIGURES_FILE))


def set_public(session: Session, assessment: Assessment, public: bool, *, version: int) -> None:
    """Open a published report at a new secret link, or close the link."""
    if not assessment.published:
        raise Invalid({"public": _("only a published report can be made public")})
    expect_version(assessment, version, assessment.title)
    if public and not assessment.public:
        assessment.public, assessment.public_token = True, secrets.token_urlsafe(32)
    elif not public and assessment.public:
        assessment.public, assessment.public_token = False, None
    flush(session, [assessment], assessment.title)


def public_assessment(session: Session, token: str) -> Assessment | None:
    """The public report behind a link, if the link is open."""
    if not token or len(token) > 64:
        return None
    assessment = session.scalar(sa.select(Assessment).where(Assessment.public_token == token))
    if (
        assessment is None
        or not assessment.public
        or not secrets.compare_digest(assessment.public_token, token)
    ):
        return None
    return assessment
