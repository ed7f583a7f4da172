"""A plan's history as people read it: each change in one plain sentence that names the action.

:func:`describe` is the one function that turns a history entry into a sentence ("3.2.6 ICLEI
member webinar: 2026 occurrence marked done"); the dashboard's latest changes and the plan's
history page both read their changes through :func:`plan_changes`, which filters, pages and
describes them. Column names never reach a page: each field has its words here.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker.accounts.models import User
from tracker.core.formatting import format_date, format_hours
from tracker.history.models import ChangeKind, HistoryEntry
from tracker.history.recording import from_json
from tracker.plans.models import Action, AllocationLine, Occurrence, Pillar, PlannedHours, pillar_label


class ChangeType(enum.StrEnum):
    """The kinds of change a person can filter the history by."""

    STATUS = "status"
    OCCURRENCE = "occurrence"
    BUDGET = "budget"
    ACTION = "action"  # added, edited, archived or restored
    PLAN = "plan"  # the plan, its pillars and its hour allocation
    HOURS = "hours"  # time logged
    REPORT = "report"  # assessment reports and their survey figures


CHANGE_TYPE_LABELS = {
    ChangeType.STATUS: _l("Status changes"),
    ChangeType.OCCURRENCE: _l("Occurrences marked"),
    ChangeType.BUDGET: _l("Planned hours (budgets)"),
    ChangeType.ACTION: _l("Actions added, edited or archived"),
    ChangeType.PLAN: _l("Plan, pillars and hour allocation"),
    ChangeType.HOURS: _l("Hours logged"),
    ChangeType.REPORT: _l("Assessment reports"),
}
# What "what changed" means by default: the plan's work, not every hour logged or report edit.
PLAN_WORK = (ChangeType.STATUS, ChangeType.OCCURRENCE, ChangeType.BUDGET, ChangeType.ACTION, ChangeType.PLAN)


def type_condition(kind: ChangeType) -> sa.ColumnElement[bool]:
    """The history rows of one kind of change."""
    entity, fld = HistoryEntry.entity, HistoryEntry.field
    if kind is ChangeType.STATUS:
        return sa.and_(entity == "action", fld == "status")
    if kind is ChangeType.OCCURRENCE:
        return entity == "occurrence"
    if kind is ChangeType.BUDGET:
        return entity == "planned_hours"
    if kind is ChangeType.ACTION:
        return sa.and_(entity == "action", sa.or_(fld.is_(None), fld != "status"))
    if kind is ChangeType.PLAN:
        return entity.in_(("plan", "pillar", "allocation_line"))
    if kind is ChangeType.HOURS:
        return entity == "time_entry"
    return entity.in_(("assessment", "survey_indicator"))


# The words for each field of an action, a pillar, a plan and an allocation line.
FIELD_WORDS = {
    "code": _l("code"),
    "title": _l("title"),
    "description": _l("description"),
    "objectives": _l("objectives"),
    "start_year": _l("start year"),
    "end_year": _l("end year"),
    "cadence": _l("cadence"),
    "timeline_text": _l("timeline wording"),
    "resources_text": _l("other resources"),
    "resources_amount": _l("amount of money"),
    "resources_currency": _l("currency"),
    "responsible": _l("responsible people"),
    "position": _l("place in the list"),
    "name": _l("name"),
    "hours": _l("hours"),
    "kind": _l("kind"),
    "year": _l("year"),
    "note": _l("note"),
    "spent_on": _l("day"),
}
# Long texts: said to be edited, their old and new wording are on the action's page.
LONG_FIELDS = frozenset({"description", "objectives", "resources_text", "responsible", "note"})


@dataclass(frozen=True)
class ChangeSentence:
    """One change in words: what it concerns, what happened, who, when, and the note given."""

    id: int
    at: datetime
    who: str
    subject: str
    what: str
    note: str = ""
    action_id: int | None = None
    type: ChangeType = ChangeType.ACTION

    @property
    def text(self) -> str:
        """The whole sentence: "3.2.6 ICLEI member webinar: 2026 occurrence marked done, Elena
        Rossi, 25 Nov 2026"."""
        return _(
            "%(subject)s: %(what)s, %(who)s, %(day)s",
            subject=self.subject,
            what=self.what,
            who=self.who,
            day=format_date(self.at),
        )


@dataclass
class Names:
    """What the sentences name, read once for a page of entries."""

    actions: dict[int, tuple[str, str]] = field(default_factory=dict)  # id: (code, title)
    occurrences: dict[int, tuple[int, int]] = field(default_factory=dict)  # id: (action id, year)
    budgets: dict[int, tuple[int, int]] = field(default_factory=dict)  # id: (action id, year)
    pillars: dict[int, str] = field(default_factory=dict)  # id: label
    lines: dict[int, tuple[int, str]] = field(default_factory=dict)  # id: (year, name)
    reports: dict[int, str] = field(default_factory=dict)  # id: title
    people: dict[int, str] = field(default_factory=dict)

    def action(self, action_id: int | None) -> str:
        if action_id is None:
            return _("Overall management")
        code, title = self.actions.get(action_id, ("", ""))
        return f"{code} {title}".strip() or _("An action no longer in the plan")


def _snapshot(entry: HistoryEntry) -> dict:
    """The record as created or deleted (the history keeps it whole then), else empty."""
    value = from_json(entry.after if entry.kind is ChangeKind.CREATED else entry.before)
    return value if isinstance(value, dict) and entry.field is None else {}


def load_names(session: Session, plan_id: int, entries: Sequence[HistoryEntry]) -> Names:
    """The names of everything ``entries`` concern, in a handful of queries."""
    names = Names()
    ids: dict[str, set[int]] = {}
    for entry in entries:
        ids.setdefault(entry.entity, set()).add(entry.entity_id)
        snapshot = _snapshot(entry)
        if entry.entity == "occurrence" and snapshot:
            names.occurrences[entry.entity_id] = (snapshot.get("action_id"), snapshot.get("year"))
        if entry.entity == "planned_hours" and snapshot:
            names.budgets[entry.entity_id] = (snapshot.get("action_id"), snapshot.get("year"))
        if entry.entity == "allocation_line" and snapshot:
            names.lines[entry.entity_id] = (snapshot.get("year"), snapshot.get("name", ""))
    if ids.get("occurrence"):
        for row in session.execute(
            sa.select(Occurrence.id, Occurrence.action_id, Occurrence.year).where(
                Occurrence.id.in_(ids["occurrence"])
            )
        ):
            names.occurrences[row.id] = (row.action_id, row.year)
    if ids.get("planned_hours"):
        for row in session.execute(
            sa.select(PlannedHours.id, PlannedHours.action_id, PlannedHours.year).where(
                PlannedHours.id.in_(ids["planned_hours"])
            )
        ):
            names.budgets[row.id] = (row.action_id, row.year)
    if ids.get("allocation_line"):
        for row in session.execute(
            sa.select(AllocationLine.id, AllocationLine.year, AllocationLine.name).where(
                AllocationLine.id.in_(ids["allocation_line"])
            )
        ):
            names.lines[row.id] = (row.year, row.name)
    if ids.keys() & {"action", "occurrence", "planned_hours", "time_entry"}:
        names.actions = {
            row.id: (row.code, row.title)
            for row in session.execute(
                sa.select(Action.id, Action.code, Action.title).where(Action.plan_id == plan_id)
            )
        }
    if "pillar" in ids or any(entry.field == "pillar_id" for entry in entries):
        names.pillars = {
            row.id: pillar_label(row.position, row.name)
            for row in session.execute(
                sa.select(Pillar.id, Pillar.position, Pillar.name).where(Pillar.plan_id == plan_id)
            )
        }
    report_ids = ids.get("assessment", set())
    if report_ids:
        for created in session.scalars(
            sa.select(HistoryEntry).where(
                HistoryEntry.entity == "assessment",
                HistoryEntry.entity_id.in_(report_ids),
                HistoryEntry.kind == ChangeKind.CREATED,
            )
        ):
            names.reports[created.entity_id] = (from_json(created.after) or {}).get("title", "")
    people = {entry.user_id for entry in entries if entry.user_id}
    people |= {
        (_snapshot(entry) or {}).get("user_id") for entry in entries if entry.entity == "time_entry"
    } - {None}
    if people:
        names.people = dict(session.execute(sa.select(User.id, User.name).where(User.id.in_(people))).all())
    return names


def _status(value) -> str:
    return _(str(value)) if value else "—"


def _value(fld: str | None, value) -> str:
    """A field's value as a page shows it."""
    if value is None or value == "":
        return "—"
    if fld == "hours":
        return format_hours(value)
    if fld in ("status", "cadence", "kind"):
        return _(str(value))
    return str(value)


def _changed(fld: str, before, after) -> str:
    words = FIELD_WORDS.get(fld, fld.replace("_", " "))
    if fld in LONG_FIELDS:
        return _("%(field)s edited", field=words)
    return _(
        "%(field)s changed from “%(before)s” to “%(after)s”",
        field=words,
        before=_value(fld, before),
        after=_value(fld, after),
    )


def describe(entry: HistoryEntry, names: Names) -> ChangeSentence:
    """One history entry in a plain sentence that names what it concerns."""
    before, after = from_json(entry.before), from_json(entry.after)
    snapshot = _snapshot(entry)
    created, deleted = entry.kind is ChangeKind.CREATED, entry.kind is ChangeKind.DELETED
    fld = entry.field
    action_id = None
    kind = ChangeType.ACTION
    if entry.entity == "action":
        action_id = entry.entity_id
        subject = names.action(action_id)
        if created:
            what = _("added to the plan as %(status)s", status=_status(snapshot.get("status")))
        elif deleted:
            what = _("deleted")
        elif fld == "status":
            kind = ChangeType.STATUS
            what = (
                _("status kept as %(status)s", status=_status(after))
                if before == after
                else _(
                    "status changed from %(before)s to %(after)s",
                    before=_status(before),
                    after=_status(after),
                )
            )
        elif fld == "archived_at":
            what = _("archived") if after else _("restored to the plan")
        elif fld == "pillar_id":
            what = _("moved to %(pillar)s", pillar=names.pillars.get(after, "—"))
        else:
            what = _changed(fld or "", before, after)
    elif entry.entity == "occurrence":
        kind = ChangeType.OCCURRENCE
        action_id, year = names.occurrences.get(entry.entity_id, (None, None))
        subject = names.action(action_id)
        done = snapshot.get("done") if created else after
        if deleted:
            what = _("%(year)s occurrence mark removed", year=year)
        elif fld in (None, "done"):
            what = (
                _("%(year)s occurrence marked done", year=year)
                if done
                else _("%(year)s occurrence marked not done", year=year)
            )
        else:
            what = _("%(year)s occurrence: %(change)s", year=year, change=_changed(fld, before, after))
    elif entry.entity == "planned_hours":
        kind = ChangeType.BUDGET
        action_id, year = names.budgets.get(entry.entity_id, (None, None))
        subject = names.action(action_id)
        if created:
            what = _("%(year)s budget set to %(hours)s", year=year, hours=format_hours(snapshot.get("hours")))
        elif deleted:
            what = _(
                "%(year)s budget removed (was %(hours)s)",
                year=year,
                hours=format_hours(snapshot.get("hours")),
            )
        elif fld == "hours":
            what = _(
                "%(year)s budget changed from %(before)s to %(after)s",
                year=year,
                before=format_hours(before),
                after=format_hours(after),
            )
        else:
            what = _("%(year)s budget: %(change)s", year=year, change=_changed(fld or "", before, after))
    elif entry.entity == "time_entry":
        kind = ChangeType.HOURS
        action_id = snapshot.get("action_id") if snapshot else None
        subject = names.action(action_id) if snapshot else _("Hours logged")
        if created:
            what = _(
                "%(hours)s logged for %(day)s by %(person)s",
                hours=format_hours(snapshot.get("hours")),
                day=format_date(snapshot.get("spent_on")),
                person=names.people.get(snapshot.get("user_id"), _("someone")),
            )
        elif deleted:
            what = _(
                "%(hours)s logged for %(day)s deleted",
                hours=format_hours(snapshot.get("hours")),
                day=format_date(snapshot.get("spent_on")),
            )
        else:
            what = _("an hour entry: %(change)s", change=_changed(fld or "", before, after))
    elif entry.entity == "allocation_line":
        kind = ChangeType.PLAN
        year, name = names.lines.get(entry.entity_id, (snapshot.get("year"), snapshot.get("name", "")))
        subject = _("Allocation %(year)s, “%(name)s”", year=year, name=name)
        if created:
            what = _("added with %(hours)s", hours=format_hours(snapshot.get("hours")))
        elif deleted:
            what = _("removed")
        else:
            what = _changed(fld or "", before, after)
    elif entry.entity == "pillar":
        kind = ChangeType.PLAN
        subject = _("Pillar %(pillar)s", pillar=names.pillars.get(entry.entity_id, snapshot.get("name", "")))
        what = _("added") if created else _("removed") if deleted else _changed(fld or "", before, after)
    elif entry.entity == "plan":
        kind = ChangeType.PLAN
        subject = _("The plan")
        what = _("created") if created else _("deleted") if deleted else _changed(fld or "", before, after)
    elif entry.entity in ("assessment", "survey_indicator"):
        kind = ChangeType.REPORT
        if entry.entity == "assessment":
            subject = _("Assessment report “%(title)s”", title=names.reports.get(entry.entity_id, ""))
            if created:
                what = _("drafted")
            elif deleted:
                what = _("draft deleted")
            elif fld == "published_at":
                what = _("published")
            elif fld in ("public", "public_token"):
                what = _("public link changed")
            elif fld in ("report_dir", "figures_sha256", "workbook_sha256", "published_by_id"):
                what = _("report files frozen")
            else:
                what = _changed(fld or "", before, after)
        else:
            subject = _("Assessment survey figure")
            what = _("added") if created else _("removed") if deleted else _changed(fld or "", before, after)
    else:
        subject = entry.entity.replace("_", " ").capitalize()
        what = _("added") if created else _("removed") if deleted else _changed(fld or "", before, after)
    return ChangeSentence(
        id=entry.id,
        at=entry.at,
        who=names.people.get(entry.user_id, _("the system")) if entry.user_id else _("the system"),
        subject=subject,
        what=what,
        note=entry.note or "",
        action_id=action_id,
        type=kind,
    )


@dataclass(frozen=True)
class ChangeFilter:
    """What the history is narrowed to; every criterion is optional."""

    since: date | None = None
    until: date | None = None
    pillar_id: int | None = None
    action_id: int | None = None
    user_id: int | None = None
    types: tuple[ChangeType, ...] = PLAN_WORK


@dataclass(frozen=True)
class ChangePage:
    """One page of a plan's changes, newest first."""

    sentences: list[ChangeSentence]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _of_actions(action_ids) -> sa.ColumnElement[bool]:
    """History rows of these actions, their occurrences and budgets."""
    return sa.or_(
        sa.and_(HistoryEntry.entity == "action", HistoryEntry.entity_id.in_(action_ids)),
        sa.and_(
            HistoryEntry.entity == "occurrence",
            HistoryEntry.entity_id.in_(sa.select(Occurrence.id).where(Occurrence.action_id.in_(action_ids))),
        ),
        sa.and_(
            HistoryEntry.entity == "planned_hours",
            HistoryEntry.entity_id.in_(
                sa.select(PlannedHours.id).where(PlannedHours.action_id.in_(action_ids))
            ),
        ),
    )


def _conditions(plan_id: int, criteria: ChangeFilter) -> list[sa.ColumnElement[bool]]:
    conditions = [HistoryEntry.plan_id == plan_id, sa.or_(*(type_condition(t) for t in criteria.types))]
    if criteria.since is not None:
        conditions.append(HistoryEntry.at >= _start_of(criteria.since))
    if criteria.until is not None:
        conditions.append(HistoryEntry.at < _start_of(criteria.until + timedelta(days=1)))
    if criteria.user_id is not None:
        conditions.append(HistoryEntry.user_id == criteria.user_id)
    if criteria.action_id is not None:
        conditions.append(_of_actions(sa.select(Action.id).where(Action.id == criteria.action_id)))
    if criteria.pillar_id is not None:
        conditions.append(
            sa.or_(
                _of_actions(sa.select(Action.id).where(Action.pillar_id == criteria.pillar_id)),
                sa.and_(HistoryEntry.entity == "pillar", HistoryEntry.entity_id == criteria.pillar_id),
            )
        )
    return conditions


def count_changes(session: Session, plan_id: int, criteria: ChangeFilter) -> int:
    """How many of the plan's changes meet ``criteria``."""
    return (
        session.scalar(sa.select(sa.func.count(HistoryEntry.id)).where(*_conditions(plan_id, criteria))) or 0
    )


def plan_changes(
    session: Session,
    plan_id: int,
    criteria: ChangeFilter,
    *,
    page: int = 1,
    per_page: int = 50,
    counted: bool = True,
) -> ChangePage:
    """The plan's changes that meet ``criteria``, newest first, one page of them described
    (without ``counted``, the first page only, and the total is the page's length)."""
    conditions = _conditions(plan_id, criteria)
    total = count_changes(session, plan_id, criteria) if counted else 0
    page = max(1, min(page, max(1, -(-total // per_page)))) if counted else 1
    entries = list(
        session.scalars(
            sa.select(HistoryEntry)
            .where(*conditions)
            .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    names = load_names(session, plan_id, entries)
    return ChangePage(
        [describe(entry, names) for entry in entries], total if counted else len(entries), page, per_page
    )


def people_who_changed(session: Session, plan_id: int) -> list[tuple[int, str]]:
    """Everyone who changed something of the plan, by name."""
    return list(
        session.execute(
            sa.select(User.id, User.name)
            .where(User.id.in_(sa.select(HistoryEntry.user_id).where(HistoryEntry.plan_id == plan_id)))
            .order_by(User.name, User.id)
        ).all()
    )


@dataclass(frozen=True)
class Published:
    """The plan's last published assessment report: the day it was published."""

    on: date


def last_published_report(session: Session, plan_id: int) -> Published | None:
    """When the plan's last assessment report was published, read from the history in one query
    (the report itself belongs to a higher layer); ``None`` when none has been."""
    entry = session.scalar(
        sa.select(HistoryEntry)
        .where(
            HistoryEntry.plan_id == plan_id,
            HistoryEntry.entity == "assessment",
            HistoryEntry.field == "published_at",
            HistoryEntry.after.is_not(None),
        )
        .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        return None
    published = from_json(entry.after)
    moment = datetime.fromisoformat(published) if published else entry.at
    return Published(moment.astimezone(UTC).date() if moment.tzinfo else moment.date())
