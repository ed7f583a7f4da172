"""Opening and closing rounds, submitting a frozen snapshot, and reading who submitted what.

Services take a session and plain values; the caller commits. A submission is written once:
its figures (JSON) and the plan workbook (.xlsx) are stored in its row with their SHA-256
checksums, in the same transaction, and every read checks them (:class:`Damaged` otherwise).
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from tracker.accounts.models import Membership, Organisation, User
from tracker.core.concurrency import Conflict, expect_version, flush, flush_new
from tracker.core.db import utcnow
from tracker.core.i18n import N_
from tracker.core.validation import Invalid
from tracker.dashboard.figures import build_dashboard
from tracker.plans.models import STATUSES, Plan
from tracker.rounds.models import ReportingRound, RoundSubmission
from tracker.workbooks import build_plan_workbook

HUNDREDTH = Decimal("0.01")


class Damaged(Exception):
    """A frozen submission's bytes no longer match the checksum recorded when it was written."""


class MemberState(enum.StrEnum):
    """Where a member stands in a round (its value is the English word: ``_(state.value)``)."""

    SUBMITTED = "submitted"
    LATE = "late"  # submitted after the due date
    NOT_SUBMITTED = "not submitted"


STATE_WORDS = (N_("submitted"), N_("late"), N_("not submitted"))


@dataclass(frozen=True)
class MemberStatus:
    """One member of the round's network, with its submission if it made one."""

    organisation: Organisation
    submission: RoundSubmission | None
    state: MemberState
    # Not submitted and the due date has passed.
    overdue: bool = False


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _title_free(session: Session, network_id: int, title: str) -> None:
    taken = session.scalar(
        sa.select(ReportingRound.id).where(
            ReportingRound.network_id == network_id, ReportingRound.title == title
        )
    )
    if taken is not None:
        raise Invalid({"title": _("Title: the network already has a round called %(title)s", title=title)})


def open_round(
    session: Session, network_id: int, *, title: str, year: int, due_on: date, opened_by: User
) -> ReportingRound:
    """Open a round of ``network_id`` for ``year``, due on ``due_on`` (in that year or later)."""
    if due_on < date(year, 1, 1):
        raise Invalid(
            {
                "due_on": _(
                    "Due date: %(day)s is before the round's year %(year)s; choose a day from %(first)s on",
                    day=due_on.isoformat(),
                    year=year,
                    first=f"{year}-01-01",
                )
            }
        )
    _title_free(session, network_id, title)
    round_ = ReportingRound(
        network_id=network_id, title=title, year=year, due_on=due_on, opened_by_id=opened_by.id
    )
    session.add(round_)
    flush_new(session, [round_], _("the round"), lambda: _title_free(session, network_id, title))
    return round_


def close_round(session: Session, round_: ReportingRound, *, version: int) -> None:
    """Close a round: no member submits to it any more; what was submitted stays."""
    if round_.closed:
        raise Conflict(_("round: %(title)s is already closed.", title=round_.title), [round_])
    expect_version(round_, version, _("the round %(title)s", title=round_.title))
    round_.closed_at = utcnow()
    flush(session, [round_], _("the round %(title)s", title=round_.title))


def _percent(part: Decimal | int, whole: Decimal | int) -> str | None:
    if not whole:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(HUNDREDTH, ROUND_HALF_UP))


def plan_figures(session: Session, round_: ReportingRound, plan: Plan, on: date) -> dict:
    """What a member reports: the plan's figures for the round's year, late as of ``on``, read
    from the plan's dashboard (the same roll-up), with the member as it is now."""
    board = build_dashboard(session, plan, round_.year, on, latest=0)
    counts = board.counts
    rollup = board.rollup
    organisation = plan.organisation
    return {
        "round": {"title": round_.title, "year": round_.year, "due_on": round_.due_on.isoformat()},
        "organisation": {
            "name": organisation.name,
            "country": organisation.country,
            "region": organisation.region.value,
        },
        "plan": {
            "uid": plan.uid,
            "title": plan.title,
            "start_year": plan.start_year,
            "end_year": plan.end_year,
        },
        "year": round_.year,
        "as_of": on.isoformat(),
        "actions": {
            **{status.value: counts[status] for status in STATUSES},
            "late": len(board.late),
            "total": len(board.actions),
        },
        "share_completed": _percent(counts[STATUSES[0]], len(board.actions)),
        "hours": {
            "allocated": str(rollup.allocated),
            "planned": str(rollup.planned),
            "logged": str(rollup.logged),
        },
        "share_used": _percent(rollup.logged, rollup.allocated),
        "pillars": [
            {
                "pillar": row.pillar.label,
                **{status.value: row.counts[status] for status in STATUSES},
                "late": row.late,
            }
            for row in board.by_pillar
        ],
    }


def _submitted_already(session: Session, round_: ReportingRound, organisation: Organisation) -> None:
    earlier = session.scalar(
        sa.select(RoundSubmission)
        .where(RoundSubmission.round_id == round_.id, RoundSubmission.organisation_id == organisation.id)
        .options(selectinload(RoundSubmission.submitted_by))
    )
    if earlier is not None:
        raise Conflict(
            _(
                "round: %(member)s already submitted %(plan)s to %(round)s on %(day)s (by %(person)s); "
                "a round takes one plan from each member, and nothing was submitted.",
                member=organisation.name,
                plan=earlier.plan_title,
                round=round_.title,
                day=earlier.submitted_on.isoformat(),
                person=earlier.submitted_by.name,
            )
        )


def submit(
    session: Session,
    round_: ReportingRound,
    plan: Plan,
    *,
    by: User,
    on: date,
    build_workbook=build_plan_workbook,
) -> RoundSubmission:
    """Submit ``plan`` (of ``by``'s organisation, a member of the round's network) to the round:
    its figures and workbook as they are ``on``, frozen with their checksums."""
    organisation = plan.organisation
    if round_.closed:
        raise Conflict(
            _(
                "round: %(title)s was closed on %(day)s; it takes no more submissions, "
                "and nothing was submitted.",
                title=round_.title,
                day=round_.closed_at.date().isoformat(),
            ),
            [round_],
        )
    member = session.scalar(
        sa.select(Membership.id).where(
            Membership.network_id == round_.network_id, Membership.organisation_id == organisation.id
        )
    )
    if member is None or by.organisation_id != organisation.id:
        raise Invalid(
            {"plan": _("Plan: %(title)s is not a plan of a member of this round's network", title=plan.title)}
        )
    if round_.year not in plan.years:
        raise Invalid(
            {
                "plan": _(
                    "Plan: %(title)s covers %(first)s-%(last)s, not the round's year %(year)s",
                    title=plan.title,
                    first=plan.start_year,
                    last=plan.end_year,
                    year=round_.year,
                )
            }
        )
    _submitted_already(session, round_, organisation)
    # Who submitted, as named then: the round's workbook reads nothing that may change later.
    figures = json.dumps(
        {**plan_figures(session, round_, plan, on), "submitted_by": by.name},
        ensure_ascii=False,
        sort_keys=True,
    ).encode()
    workbook = build_workbook(session, plan, on)
    submission = RoundSubmission(
        round_id=round_.id,
        organisation_id=organisation.id,
        plan_id=plan.id,
        submitted_by_id=by.id,
        submitted_at=utcnow(),
        submitted_on=on,
        plan_title=plan.title,
        figures=figures,
        figures_sha256=sha256(figures),
        workbook=workbook,
        workbook_sha256=sha256(workbook),
    )
    session.add(submission)
    round_id, organisation_id = round_.id, organisation.id

    def twice():
        again = session.get(ReportingRound, round_id)
        _submitted_already(session, again, session.get(Organisation, organisation_id))

    flush_new(session, [submission], _("the submission"), twice)
    return submission


def _checked(submission: RoundSubmission, what: str, data: bytes, expected: str) -> bytes:
    if sha256(data) != expected:
        raise Damaged(
            _(
                "The %(what)s %(member)s submitted to this round no longer matches the SHA-256 checksum "
                "recorded when it was submitted; it is not shown. Restore the database from a backup.",
                what=what,
                member=submission.organisation.name,
            )
        )
    return data


def frozen_figures(submission: RoundSubmission) -> dict:
    """The figures as submitted, checked against their checksum."""
    data = _checked(submission, _("figures"), submission.figures, submission.figures_sha256)
    return json.loads(data)


def frozen_workbook(submission: RoundSubmission) -> bytes:
    """The plan workbook as submitted, checked against its checksum."""
    return _checked(submission, _("plan workbook"), submission.workbook, submission.workbook_sha256)


def member_statuses(session: Session, round_: ReportingRound, today: date) -> list[MemberStatus]:
    """Every member of the round's network (as it is now), by region and name, and any member
    that submitted and has left since: submitted (when, by whom), late, or not submitted."""
    submissions = {
        submission.organisation_id: submission
        for submission in session.scalars(
            sa.select(RoundSubmission)
            .where(RoundSubmission.round_id == round_.id)
            .options(selectinload(RoundSubmission.submitted_by), selectinload(RoundSubmission.organisation))
        )
    }
    members = session.scalars(
        sa.select(Organisation).where(
            Organisation.id.in_(
                sa.select(Membership.organisation_id).where(Membership.network_id == round_.network_id)
            )
        )
    ).all()
    organisations = {org.id: org for org in members}
    for submission in submissions.values():
        organisations.setdefault(submission.organisation_id, submission.organisation)
    statuses = []
    for organisation in organisations.values():
        submission = submissions.get(organisation.id)
        if submission is None:
            state = MemberState.NOT_SUBMITTED
        elif submission.submitted_on > round_.due_on:
            state = MemberState.LATE
        else:
            state = MemberState.SUBMITTED
        overdue = submission is None and today > round_.due_on
        statuses.append(MemberStatus(organisation, submission, state, overdue))
    return sorted(statuses, key=lambda s: (s.organisation.region.value, s.organisation.name.casefold()))


def rounds_of(session: Session, scope) -> list[ReportingRound]:
    """The rounds of the networks ``scope`` reaches, newest first."""
    return list(
        session.scalars(
            sa.select(ReportingRound)
            .where(ReportingRound.in_scope(scope))
            .options(selectinload(ReportingRound.network))
            .order_by(ReportingRound.year.desc(), ReportingRound.due_on.desc(), ReportingRound.id.desc())
        )
    )


def plans_to_submit(session: Session, round_: ReportingRound, organisation_id: int) -> list[Plan]:
    """The member's plans whose period covers the round's year."""
    return list(
        session.scalars(
            sa.select(Plan)
            .where(
                Plan.organisation_id == organisation_id,
                Plan.start_year <= round_.year,
                Plan.end_year >= round_.year,
            )
            .order_by(Plan.title)
        )
    )
