"""API writes: status, hours, history; conflicts; bad input as a table."""

import threading

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tracker.accounts.models import User
from tracker.accounts.services import create_token
from tracker.core.db import utcnow
from tracker.core.extensions import db
from tracker.history.models import HistoryEntry
from tracker.hours.models import TimeEntry
from tracker.plans.models import Action, StatusChange


@pytest.fixture
def editor_token(session, users):
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    _row, token = create_token(session, editor)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def action(session, code) -> Action:
    session.expire_all()
    return session.scalar(sa.select(Action).where(Action.code == code))


def counts(session):
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (TimeEntry, StatusChange, HistoryEntry)
    )


def test_change_a_status_with_a_note(client, session, editor_token):
    gep = action(session, "3.1.1")
    response = client.post(
        f"/api/v1/actions/{gep.id}/status",
        headers=editor_token,
        json={"status": "completed", "note": "GEP adopted by the board", "version": gep.version},
    )
    assert response.status_code == 200
    assert response.json["status"] == "completed" and response.json["late"] is False
    assert response.json["version"] == gep.version + 1
    history = client.get(f"/api/v1/actions/{gep.id}/history", headers=editor_token).json
    assert history[-1]["field"] == "status"
    assert (history[-1]["before"], history[-1]["after"], history[-1]["note"]) == (
        "ongoing",
        "completed",
        "GEP adopted by the board",
    )
    assert history[-1]["user"] == "Editor Person"
    assert history[0]["field"] == "action created"
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)


def test_a_status_change_as_of_a_past_day_is_in_the_history_with_both_dates(client, session, editor_token):
    gep = action(session, "3.1.1")
    response = client.post(
        f"/api/v1/actions/{gep.id}/status",
        headers=editor_token,
        json={"status": "completed", "note": "Adopted", "version": gep.version, "as_of": "2025-09-15"},
    )
    assert response.status_code == 200 and response.json["status"] == "completed"
    last = client.get(f"/api/v1/actions/{gep.id}/history", headers=editor_token).json[-1]
    assert (last["field"], last["after"], last["effective_on"]) == ("status", "completed", "2025-09-15")
    assert last["at"][:10] != "2025-09-15"  # recorded later, and both are kept


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2026-11-24", "as_of: must not be after today (2026-11-23)"),
        ("2027-01-01", "as_of: must be within the plan's period 2023-2026"),
        ("2022-06-30", "as_of: must be within the plan's period 2023-2026"),
        (20250915, "as_of: must be a date such as 2025-12-31"),
        ("15/09/2025", "as_of: 15/09/2025 is not a date that exists (use YYYY-MM-DD)"),
    ],
)
def test_a_bad_as_of_day_is_422_naming_the_field(client, session, editor_token, as_of, message):
    gep = action(session, "3.1.1")
    before = counts(session)
    response = client.post(
        f"/api/v1/actions/{gep.id}/status",
        headers=editor_token,
        json={"status": "completed", "note": "", "version": gep.version, "as_of": as_of},
    )
    assert response.status_code == 422
    assert response.json["message"] == message and "as_of" in response.json["errors"]
    assert counts(session) == before and action(session, "3.1.1").status.value == "ongoing"


def test_a_stale_version_is_409_with_the_current_action(client, session, editor_token):
    gep = action(session, "3.1.1")
    first = client.post(
        f"/api/v1/actions/{gep.id}/status",
        headers=editor_token,
        json={"status": "completed", "note": "", "version": gep.version},
    )
    assert first.status_code == 200
    before = counts(session)
    second = client.post(
        f"/api/v1/actions/{gep.id}/status",
        headers=editor_token,
        json={"status": "upcoming", "note": "", "version": gep.version},
    )
    assert second.status_code == 409
    assert "changed by someone else" in second.json["message"]
    assert second.json["current"]["status"] == "completed"
    assert counts(session) == before
    assert action(session, "3.1.1").status.value == "completed"


def test_log_hours_on_an_action_and_on_management(client, session, editor_token, iclei):
    webinar = action(session, "3.2.6")
    response = client.post(
        f"/api/v1/actions/{webinar.id}/hours",
        headers=editor_token,
        json={"date": "2025-03-14", "hours": 1.5, "note": "Speaker calls"},
    )
    assert response.status_code == 201
    assert response.json["hours"] == 1.5 and response.json["date"] == "2025-03-14"
    management = client.post(
        f"/api/v1/plans/{iclei}/management-hours",
        headers=editor_token,
        json={"date": "2025-03-15", "hours": "2.25", "note": ""},
    )
    assert management.status_code == 201
    rollup = client.get(f"/api/v1/plans/{iclei}/hours?year=2025", headers=editor_token).json
    assert rollup["logged"] == {"total": 3.75, "management": 2.25, "actions": 1.5}


BAD_STATUS = [
    ({"status": "done", "note": "", "version": 1}, "status", "must be one of completed, ongoing, upcoming"),
    (
        {"status": "completed", "note": "x" * 20_001, "version": 1},
        "note",
        "must be at most 20,000 characters",
    ),
    ({"status": "completed", "note": ""}, "version", "is missing"),
    ({"status": "completed", "note": "", "version": "abc"}, "version", "is not a version number"),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_STATUS)
def test_bad_status_input_is_422_naming_the_field(client, session, editor_token, body, field, message):
    gep = action(session, "3.1.1")
    before = counts(session)
    response = client.post(f"/api/v1/actions/{gep.id}/status", headers=editor_token, json=body)
    assert response.status_code == 422
    assert message in response.json["errors"][field]
    assert counts(session) == before


BAD_HOURS = [
    ({"date": "2025-03-14", "hours": 0}, "hours", "must be more than 0"),
    ({"date": "2025-03-14", "hours": -2}, "hours", "must be more than 0"),
    ({"date": "2025-03-14", "hours": 24.5}, "hours", "must be at most 24 in one entry"),
    ({"date": "2025-03-14", "hours": "two"}, "hours", "is not a number"),
    ({"date": "2025-03-14", "hours": "1,500"}, "hours", "write 1500 or 1.5"),
    ({"date": "2025-03-14", "hours": 1e300}, "hours", "is far too large"),
    ({"date": "2025-03-14", "hours": 1.234}, "hours", "at most two decimals"),
    ({"date": "2025-02-30", "hours": 1}, "date", "is not a date that exists"),
    ({"date": "2022-12-31", "hours": 1}, "date", "within the plan's period 2023-2026"),
    ({"date": "2026-11-24", "hours": 1}, "date", "must not be after today"),
    ({"date": "2025-03-14", "hours": 1, "note": "x" * 20_001}, "note", "at most 20,000 characters"),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_HOURS)
def test_bad_hours_are_422_naming_the_field_and_nothing_is_written(
    client, session, editor_token, body, field, message
):
    webinar = action(session, "3.2.6")
    before = counts(session)
    response = client.post(f"/api/v1/actions/{webinar.id}/hours", headers=editor_token, json=body)
    assert response.status_code == 422, response.json
    assert message in response.json["errors"][field]
    assert counts(session) == before


def test_more_than_24_hours_in_a_day_is_422_naming_the_hours(client, session, editor_token):
    webinar = action(session, "3.2.6")
    url = f"/api/v1/actions/{webinar.id}/hours"
    assert client.post(url, headers=editor_token, json={"date": "2025-03-14", "hours": 16}).status_code == 201
    before = counts(session)
    refused = client.post(url, headers=editor_token, json={"date": "2025-03-14", "hours": 9})
    assert refused.status_code == 422
    assert "already has 16.0 h logged on 2025-03-14" in refused.json["errors"]["hours"]
    assert "at most 8.0 h more" in refused.json["errors"]["hours"]
    assert counts(session) == before


def test_an_archived_action_takes_no_change(client, session, editor_token):
    webinar = action(session, "3.2.6")
    webinar.archived_at = utcnow()
    session.commit()
    before = counts(session)
    status = client.post(
        f"/api/v1/actions/{webinar.id}/status",
        headers=editor_token,
        json={"status": "completed", "note": "", "version": webinar.version},
    )
    hours = client.post(
        f"/api/v1/actions/{webinar.id}/hours",
        headers=editor_token,
        json={"date": "2025-03-14", "hours": 1, "note": ""},
    )
    assert status.status_code == hours.status_code == 409
    assert "is archived" in status.json["message"]
    assert counts(session) == before


def test_viewers_cannot_write_through_the_api(client, session, users):
    viewer = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    _row, token = create_token(session, viewer)
    session.commit()
    gep = action(session, "3.1.1")
    response = client.post(
        f"/api/v1/actions/{gep.id}/status",
        headers={"Authorization": f"Bearer {token}"},
        json={"status": "completed", "note": "", "version": gep.version},
    )
    assert response.status_code == 403


def test_ten_simultaneous_saves_one_success_nine_conflicts(database_url, tmp_path, session, editor_token):
    gep = action(session, "3.1.1")
    version = gep.version
    app = make_app(database_url, tmp_path)
    barrier = threading.Barrier(10)
    codes: list[int] = []
    lock = threading.Lock()

    def save(n):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/actions/{gep.id}/status",
            headers=editor_token,
            json={"status": "completed", "note": f"save {n}", "version": version},
        )
        with lock:
            codes.append(response.status_code)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        db.engine.dispose()
    assert sorted(codes) == [200] + [409] * 9
    changes = session.scalars(sa.select(StatusChange).where(StatusChange.action_id == gep.id)).all()
    assert len(changes) == 2  # created, and the one save that won
    assert action(session, "3.1.1").version == version + 1


def test_the_cached_action_list_shows_each_change_at_once(client, session, editor_token, iclei):
    url = f"/api/v1/plans/{iclei}/actions"
    before = {a["code"]: a for a in client.get(url, headers=editor_token).json}
    gep = action(session, "3.1.1")
    client.post(
        f"/api/v1/actions/{gep.id}/status",
        headers=editor_token,
        json={"status": "completed", "note": "", "version": gep.version},
    )
    client.post(
        f"/api/v1/actions/{gep.id}/hours",
        headers=editor_token,
        json={"date": "2025-06-01", "hours": 2.5, "note": ""},
    )
    after = {a["code"]: a for a in client.get(url, headers=editor_token).json}
    assert (before["3.1.1"]["status"], after["3.1.1"]["status"]) == ("ongoing", "completed")
    assert (before["3.1.1"]["late"], after["3.1.1"]["late"]) == (True, False)
    assert after["3.1.1"]["logged_hours"]["2025"] == before["3.1.1"]["logged_hours"]["2025"] + 2.5
    assert after["3.1.1"]["version"] == before["3.1.1"]["version"] + 1


def test_control_characters_in_a_note_are_removed_not_a_500(client, session, editor_token):
    webinar = action(session, "3.2.6")
    response = client.post(
        f"/api/v1/actions/{webinar.id}/hours",
        headers=editor_token,
        json={"date": "2025-03-14", "hours": 1, "note": "Speaker\x00 calls\x07"},
    )
    assert response.status_code == 201
    assert response.json["note"] == "Speaker calls"
