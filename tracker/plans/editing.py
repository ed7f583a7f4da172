"""Keeping the plan current: statuses, occurrences and action edits.

Every change starts from the version the person saw. If the record changed since, the change is
refused with :class:`Conflict` and nothing is written; the caller shows both versions. The caller
commits, so a change and its history rows land in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.core.concurrency import Conflict, claim, expect_version, flush, flush_new, stale
from tracker.core.db import utcnow
from tracker.core.validation import Invalid
from tracker.history.recording import note_change, record_unchanged
from tracker.history.recording import require as require_history
from tracker.plans.history import take_effect_on
from tracker.plans.models import Action, Cadence, Occurrence, Pillar, Plan, PlannedHours, Status, StatusChange
from tracker.plans.timeline import occurrence_years


def archived_message(code: str) -> str:
    """The refusal of a change to an archived action."""
    return _("action: %(code)s is archived and can no longer be changed.", code=code)


def writable(action: Action) -> None:
    """Archived actions keep their hours and history, and change no more."""
    if action.archived_at is not None:
        raise Conflict(archived_message(action.code), [action])


def check_effective_day(session: Session, action: Action, day: date, *, today: date, field: str) -> None:
    """A status change may take effect on a past ``day``: within the plan's period, not after
    ``today``, and not before the action's last change took effect, so that its record stays
    in order (and its latest change is its current status)."""
    plan = session.get(Plan, action.plan_id)
    if day.year not in plan.years:
        raise Invalid(
            {
                field: _(
                    "must be within the plan's period %(first)s-%(last)s",
                    first=plan.start_year,
                    last=plan.end_year,
                )
            }
        )
    if day > today:
        raise Invalid({field: _("must not be after today (%(today)s)", today=today.isoformat())})
    previous = session.scalar(
        sa.select(sa.func.max(StatusChange.effective_on)).where(StatusChange.action_id == action.id)
    )
    if previous is not None and day < previous:
        raise Invalid(
            {
                field: _(
                    "must not be before %(day)s, when the previous status change of %(code)s took effect",
                    day=previous.isoformat(),
                    code=action.code,
                )
            }
        )


def change_status(
    session: Session,
    action: Action,
    *,
    status: Status,
    note: str,
    version: int,
    as_of: date | None = None,
    today: date | None = None,
) -> bool:
    """Give ``action`` a new status with a note; ``False`` if it already had that status.

    ``as_of`` records a change that took effect on an earlier day (``today`` is then needed to
    check it); without it the change takes effect the day it is recorded. A "change" to the
    status it has changes nothing, but its note is kept in the history.
    """
    require_history()
    writable(action)
    expect_version(action, version, _("action %(code)s", code=action.code))
    if as_of is not None:
        if today is None:
            raise ValueError("change_status needs today to check as_of")
        check_effective_day(session, action, as_of, today=today, field="as_of")
    if action.status is status:
        if note:
            record_unchanged(session, action, "status", note)
            session.flush()
        return False
    action.status = status
    note_change(action, note)
    if as_of is not None:
        take_effect_on(action, as_of)
    flush(session, [action], _("action %(code)s", code=action.code))
    return True


def change_statuses(
    session: Session, plan: Plan, versions: dict[int, int], *, status: Status, note: str
) -> list[Action]:
    """Change several actions at once with one note: all of them, or none if any is stale."""
    require_history()
    actions = session.scalars(
        sa.select(Action).where(Action.plan_id == plan.id, Action.id.in_(versions))
    ).all()
    if len(actions) != len(versions):
        raise Invalid({"actions": _("some of the chosen actions are not in this plan")})
    behind = [action for action in actions if action.version != versions[action.id]]
    archived = [action for action in actions if action.archived_at is not None]
    if archived:
        raise Conflict(archived_message(", ".join(a.code for a in archived)), archived)
    if behind:
        codes = ", ".join(action.code for action in behind)
        what = _("actions %(codes)s", codes=codes) if len(behind) > 1 else _("action %(code)s", code=codes)
        raise Conflict(stale(what), behind)
    changed = []
    for action in actions:
        if action.status is not status:
            action.status = status
            note_change(action, note)
            changed.append(action)
        elif note:
            record_unchanged(session, action, "status", note)
    flush(session, actions, _("one of the actions"))
    return changed


def mark_occurrence(
    session: Session, plan: Plan, action: Action, *, year: int, done: bool, note: str, version: int
) -> Occurrence:
    """Mark an occurrence of a recurring action done or not. ``version`` 0: not yet recorded."""
    require_history()
    writable(action)
    years = occurrence_years(
        action.cadence, action.start_year, action.end_year, plan.start_year, plan.end_year
    )
    if year not in years:
        listed = ", ".join(map(str, years)) or _("none")
        raise Invalid(
            {
                "year": _(
                    "%(code)s has no occurrence in %(year)s (its occurrences: %(listed)s)",
                    code=action.code,
                    year=year,
                    listed=listed,
                )
            }
        )
    mark = session.scalar(
        sa.select(Occurrence).where(Occurrence.action_id == action.id, Occurrence.year == year)
    )
    what = _("the %(year)s occurrence of %(code)s", year=year, code=action.code)
    if mark is None:
        if version != 0:
            raise Conflict(stale(what))
        mark = Occurrence(action=action, year=year, done=done, note=note)
        session.add(mark)
    else:
        expect_version(mark, version, what)
        mark.done, mark.note = done, note
    note_change(mark, note)
    try:
        flush(session, [mark], what)
    except sa.exc.IntegrityError:
        # Someone recorded the same occurrence at the same moment.
        session.rollback()
        raise Conflict(stale(what)) from None
    return mark


@dataclass(frozen=True)
class ActionFields:
    """What the action form edits."""

    title: str
    description: str
    objectives: str
    start_year: int
    end_year: int | None
    cadence: Cadence
    timeline_text: str
    resources_text: str
    resources_amount: Decimal | None
    resources_currency: str | None
    responsible: str


def set_planned_hours(session: Session, action: Action, planned: dict[int, Decimal | None]) -> bool:
    """Set the yearly budgets (``None`` removes a year's budget); whether anything changed."""
    existing = {row.year: row for row in action.planned_hours}
    changed = False
    for plan_year, hours in planned.items():
        row = existing.get(plan_year)
        if hours is None:
            if row is not None:
                session.delete(row)
                changed = True
        elif row is None:
            session.add(PlannedHours(action=action, year=plan_year, hours=hours))
            changed = True
        elif row.hours != hours:
            row.hours = hours
            changed = True
    return changed


def check_timeline(plan: Plan, fields: ActionFields, *, saved_start: int | None = None) -> None:
    """An action's years lie within its plan's period.

    An action that began before the plan (ICLEI 3.2.1, "ongoing since 2022") keeps its start year
    when it is edited; a start year can only be changed to one within the period.
    """
    years = plan.years
    period = f"{plan.start_year}-{plan.end_year}"
    errors = {}
    if fields.start_year not in years and fields.start_year != saved_start:
        errors["start_year"] = _(
            "%(year)s is outside the plan's period %(period)s", year=fields.start_year, period=period
        )
    if fields.end_year is not None and fields.end_year not in years:
        errors["end_year"] = _(
            "%(year)s is outside the plan's period %(period)s", year=fields.end_year, period=period
        )
    if errors:
        raise Invalid(errors)


def update_action(
    session: Session,
    action: Action,
    fields: ActionFields,
    planned: dict[int, Decimal | None],
    *,
    version: int,
) -> None:
    """Save the action form: its fields and its budgets, from the version the person saw."""
    require_history()
    writable(action)
    what = _("action %(code)s", code=action.code)
    expect_version(action, version, what)
    check_timeline(action.pillar.plan, fields, saved_start=action.start_year)
    # No autoflush: all of it is written by the one guarded flush below.
    with session.no_autoflush:
        for name, value in vars(fields).items():
            if getattr(action, name) != value:
                setattr(action, name, value)
        budgets_changed = set_planned_hours(session, action, planned)
    flush(session, [action], what)
    if budgets_changed and action.version == version:
        # Only the budgets changed: the action's version must still move, and only from ours.
        claim(session, action, version, what)


def add_action(
    session: Session, pillar: Pillar, *, code: str, fields: ActionFields, status: Status, note: str = ""
) -> Action:
    """Add an action to a pillar, with a code unique in its plan."""
    require_history()
    check_timeline(pillar.plan, fields)
    plan_id = pillar.plan_id
    _code_free(session, plan_id, code)
    position = (
        session.scalar(sa.select(sa.func.max(Action.position)).where(Action.plan_id == plan_id)) or 0
    ) + 1
    action = Action(
        plan_id=plan_id, pillar=pillar, position=position, code=code, status=status, **vars(fields)
    )
    session.add(action)
    note_change(action, note)
    flush_new(session, [action], _("action %(code)s", code=code), lambda: _code_free(session, plan_id, code))
    return action


def _code_free(session: Session, plan_id: int, code: str) -> None:
    taken = session.scalar(sa.select(Action.id).where(Action.plan_id == plan_id, Action.code == code))
    if taken is not None:
        raise Invalid({"code": _("%(code)s is already used in this plan", code=code)})


def archive_action(session: Session, action: Action, *, version: int) -> None:
    """Archive an action instead of deleting it: its hours and history stay."""
    require_history()
    writable(action)
    expect_version(action, version, _("action %(code)s", code=action.code))
    action.archived_at = utcnow()
    flush(session, [action], _("action %(code)s", code=action.code))


def restore_action(session: Session, action: Action, *, version: int) -> None:
    """Bring an archived action back into the plan, as it was; the history records it."""
    require_history()
    if action.archived_at is None:
        raise Conflict(
            _("action: %(code)s is not archived; there is nothing to restore.", code=action.code), [action]
        )
    expect_version(action, version, _("action %(code)s", code=action.code))
    action.archived_at = None
    flush(session, [action], _("action %(code)s", code=action.code))
