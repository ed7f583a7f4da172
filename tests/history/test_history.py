"""Every change of every record is in the history, with who, when, before and after."""

from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories as f
from tracker.core.permissions import Role
from tracker.history.models import ChangeKind, HistoryEntry
from tracker.history.recording import from_json, note_change, set_actor
from tracker.hours.models import TimeEntry
from tracker.plans.history import action_history
from tracker.plans.models import Status, StatusChange
from tracker.plans.status import status_on


@pytest.fixture
def world(session):
    org = f.organisation(session)
    plan = f.plan(session, org)
    pillar = f.pillar(session, plan, 1)
    editor = f.person(session, org, "Elena")
    session.commit()
    return plan, pillar, editor


def rows(session, entity, entity_id):
    return session.scalars(
        sa.select(HistoryEntry)
        .where(HistoryEntry.entity == entity, HistoryEntry.entity_id == entity_id)
        .order_by(HistoryEntry.id)
    ).all()


def test_creation_is_recorded_with_its_author_and_first_status(session, world):
    plan, pillar, editor = world
    set_actor(session, editor.id)
    action = f.action(session, pillar, "1.1", status=Status.UPCOMING)
    session.commit()
    [created] = rows(session, "action", action.id)
    assert created.kind is ChangeKind.CREATED
    assert created.user_id == editor.id
    assert created.plan_id == plan.id
    assert from_json(created.after)["code"] == "1.1"
    [first] = session.scalars(sa.select(StatusChange).where(StatusChange.action_id == action.id)).all()
    assert (first.from_status, first.to_status, first.user_id) == (None, Status.UPCOMING, editor.id)


def test_each_changed_field_is_a_row_with_before_and_after(session, world):
    _plan, pillar, editor = world
    action = f.action(session, pillar, "1.1", title="Old title")
    session.commit()
    set_actor(session, editor.id)
    action.title = "New title"
    action.end_year = 2026
    session.commit()
    changes = {
        row.field: (from_json(row.before), from_json(row.after))
        for row in rows(session, "action", action.id)[1:]
    }
    assert changes == {"title": ("Old title", "New title"), "end_year": (None, 2026)}
    assert action.version == 2


def test_a_status_change_keeps_its_note_in_both_places(session, world):
    _plan, pillar, editor = world
    action = f.action(session, pillar, "1.1", status=Status.UPCOMING)
    session.commit()
    set_actor(session, editor.id)
    action.status = Status.ONGOING
    note_change(action, "Kick-off meeting held")
    session.commit()
    [row] = [r for r in rows(session, "action", action.id) if r.field == "status"]
    assert (from_json(row.before), from_json(row.after), row.note) == (
        "upcoming",
        "ongoing",
        "Kick-off meeting held",
    )
    changes = session.scalars(
        sa.select(StatusChange).where(StatusChange.action_id == action.id).order_by(StatusChange.id)
    ).all()
    assert [(c.from_status, c.to_status, c.note) for c in changes] == [
        (None, Status.UPCOMING, ""),
        (Status.UPCOMING, Status.ONGOING, "Kick-off meeting held"),
    ]
    assert status_on(changes, date.today()) is Status.ONGOING


def test_a_deleted_time_entry_stays_in_the_history(session, world):
    plan, pillar, editor = world
    action = f.action(session, pillar, "1.1")
    entry = f.log(session, plan, editor, date(2025, 4, 1), "2.5", action, note="Workshop")
    session.commit()
    entry_id = entry.id
    session.delete(entry)
    session.commit()
    assert session.get(TimeEntry, entry_id) is None
    deleted = rows(session, "time_entry", entry_id)[-1]
    assert deleted.kind is ChangeKind.DELETED
    assert from_json(deleted.before)["hours"] == "2.50"
    assert from_json(deleted.before)["note"] == "Workshop"


def test_secrets_are_never_written_to_the_history(session, world):
    _plan, _pillar, editor = world
    editor.password_hash = "scrypt:new-hash"
    editor.role = Role.ADMIN
    session.commit()
    changes = {row.field: row for row in rows(session, "user_account", editor.id) if row.field}
    assert from_json(changes["password_hash"].after) == "[redacted]"
    assert "scrypt" not in (changes["password_hash"].before or "") + (changes["password_hash"].after or "")
    assert from_json(changes["role"].after) == "admin"


def test_a_change_and_its_history_are_one_transaction(session, world):
    _plan, pillar, _editor = world
    action = f.action(session, pillar, "1.1", title="Kept")
    session.commit()
    before = session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry))
    action.title = "Rolled back"
    session.flush()
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry)) == before
    assert action.title == "Kept"


def test_the_action_history_gathers_its_occurrences_and_budgets(session, world):
    _plan, pillar, editor = world
    from tracker.plans.models import Cadence, Occurrence

    action = f.action(session, pillar, "1.1", cadence=Cadence.YEARLY)
    f.budget(session, action, 2025, "12")
    session.add(Occurrence(action=action, year=2025, done=True))
    session.commit()
    items = action_history(session, action)
    assert [(item.entity, item.kind) for item in items] == [
        ("action", "created"),
        ("planned_hours", "created"),
        ("occurrence", "created"),
    ]
