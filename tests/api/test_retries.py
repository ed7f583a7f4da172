"""API writes are safe to retry: Idempotency-Key, answers built before the commit, and a 503
with Retry-After (never a 500) when the database is locked or out of reach."""

import sqlite3
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user

from tests.conftest import make_app
from tracker.accounts.models import User
from tracker.accounts.services import create_token
from tracker.core.db import utcnow
from tracker.core.extensions import db
from tracker.core.idempotency import IdempotencyKey, committed, prune
from tracker.core.permissions import Need, requires
from tracker.history.models import HistoryEntry
from tracker.hours.models import TimeEntry
from tracker.hours.services import log_hours
from tracker.plans.models import Action, Plan


@pytest.fixture
def editor_token(session, users):
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    _row, token = create_token(session, editor)
    session.commit()
    return token


def headers(token, key=None):
    found = {"Authorization": f"Bearer {token}"}
    if key is not None:
        found["Idempotency-Key"] = key
    return found


def entries(session) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(TimeEntry))


def test_the_same_key_twice_logs_hours_once_and_answers_the_same(client, iclei, session, editor_token):
    url = f"/api/v1/plans/{iclei}/management-hours"
    body = {"date": "2025-03-04", "hours": 2.5, "note": "retried"}
    first = client.post(url, json=body, headers=headers(editor_token, "entry-1"))
    assert first.status_code == 201 and first.json["hours"] == 2.5
    again = client.post(url, json=body, headers=headers(editor_token, "entry-1"))
    assert again.status_code == 201 and again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert entries(session) == 1
    # Another key is another write.
    assert client.post(url, json=body, headers=headers(editor_token, "entry-2")).status_code == 201
    assert entries(session) == 2


def test_the_same_key_with_another_request_is_refused_naming_the_header(client, iclei, session, editor_token):
    url = f"/api/v1/plans/{iclei}/management-hours"
    client.post(url, json={"date": "2025-03-04", "hours": 1}, headers=headers(editor_token, "k"))
    other = client.post(url, json={"date": "2025-03-04", "hours": 3}, headers=headers(editor_token, "k"))
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]
    assert entries(session) == 1


@pytest.mark.parametrize("key", ["", "x" * 201, "clé"])
def test_a_key_that_is_not_short_printable_ascii_is_refused(client, iclei, session, editor_token, key):
    url = f"/api/v1/plans/{iclei}/management-hours"
    refused = client.post(
        url,
        json={"date": "2025-03-04", "hours": 1},
        headers=headers(editor_token, key.encode().decode("latin-1")),
    )
    assert refused.status_code == 422 and "Idempotency-Key" in refused.json["message"]
    assert entries(session) == 0


def test_a_status_change_sent_twice_with_its_key_is_recorded_once(client, iclei, session, editor_token):
    action = session.scalar(sa.select(Action).where(Action.code == "3.1.1"))
    body = {"status": "completed", "note": "done", "version": action.version}
    url = f"/api/v1/actions/{action.id}/status"
    first = client.post(url, json=body, headers=headers(editor_token, "status-1"))
    again = client.post(url, json=body, headers=headers(editor_token, "status-1"))
    assert first.status_code == again.status_code == 200 and first.get_data() == again.get_data()
    assert first.json["status"] == "completed" and first.json["version"] == action.version + 1
    changes = session.scalar(
        sa.select(sa.func.count()).where(
            HistoryEntry.entity == "action",
            HistoryEntry.entity_id == action.id,
            HistoryEntry.field == "status",
        )
    )
    assert changes == 1


def test_keys_are_per_user_and_pruned_after_a_day(client, iclei, session, users, editor_token):
    url = f"/api/v1/plans/{iclei}/management-hours"
    body = {"date": "2025-03-04", "hours": 1}
    admin = session.scalar(sa.select(User).where(User.email == users["admin"]))
    _row, admin_token = create_token(session, admin)
    session.commit()
    client.post(url, json=body, headers=headers(editor_token, "same"))
    assert client.post(url, json=body, headers=headers(admin_token, "same")).status_code == 201
    assert entries(session) == 2
    assert prune(session, utcnow() + timedelta(hours=23)) == 0
    assert prune(session, utcnow() + timedelta(hours=25)) == 2
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0


@pytest.mark.backend("sqlite")
def test_a_locked_database_answers_503_with_retry_after(
    app, iclei, users, database_url, tmp_path, editor_token
):
    # SQLite's whole-database write lock makes the lock easy to hold from outside.
    short = make_app(
        database_url, tmp_path / "short", SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}}
    )
    holder = sqlite3.connect(sa.engine.make_url(database_url).database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        response = short.test_client().post(
            f"/api/v1/plans/{iclei}/management-hours",
            json={"date": "2025-03-04", "hours": 1},
            headers=headers(editor_token, "locked"),
        )
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "2"
        assert response.json["error"] == "Database unavailable" and "busy" in response.json["message"]
    finally:
        holder.rollback()
        holder.close()
        with short.app_context():
            db.engine.dispose()
    # The lock gone, the same request goes through once.
    retried = app.test_client().post(
        f"/api/v1/plans/{iclei}/management-hours",
        json={"date": "2025-03-04", "hours": 1},
        headers=headers(editor_token, "locked"),
    )
    assert retried.status_code == 201


@pytest.mark.backend("postgresql")
def test_a_connection_lost_at_the_commit_answers_503_and_the_retry_saves_once(
    app, iclei, session, database_url, tmp_path, editor_token
):
    """The connection dies after the answer was built and before the commit: a JSON 503 with
    Retry-After (not a 500 from the handler's or the teardown's rollback), nothing saved, and the
    same request with its key saves once."""
    # pg_terminate_backend cuts the request's own connection.
    cut = make_app(database_url, tmp_path / "cut")
    pending = ["cut"]

    @requires(Need.EDIT)
    @committed
    def probe(plan_id):
        entry = log_hours(
            db.session,
            db.session.get(Plan, plan_id),
            person=current_user,
            spent_on=date(2025, 3, 4),
            hours=Decimal("1.5"),
            action=None,
            note="cut",
        )
        answer = jsonify(id=entry.id, hours=float(entry.hours))
        if pending:
            pending.pop()
            pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
            session.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            session.commit()
        return answer, 201

    cut.add_url_rule("/api/v1/plans/<int:plan_id>/probe", "api.probe", probe, methods=["POST"])
    client = cut.test_client()
    url = f"/api/v1/plans/{iclei}/probe"
    try:
        lost = client.post(url, json={}, headers=headers(editor_token, "cut-1"))
        assert lost.status_code == 503 and lost.headers["Retry-After"] == "2"
        assert lost.json["error"] == "Database unavailable"
        assert entries(session) == 0
        retried = client.post(url, json={}, headers=headers(editor_token, "cut-1"))
        again = client.post(url, json={}, headers=headers(editor_token, "cut-1"))
        assert retried.status_code == again.status_code == 201 and retried.get_data() == again.get_data()
        assert entries(session) == 1
    finally:
        with cut.app_context():
            db.engine.dispose()


@pytest.mark.backend("postgresql")
def test_the_same_key_sent_twice_at_once_saves_once(
    app, iclei, session, database_url, tmp_path, editor_token
):
    """Both requests find no stored answer and both write: the unique key makes the second
    one's commit fail, and it answers what the first one saved."""
    # SQLite lets one request write at a time: only PostgreSQL lets the two overlap.
    both = make_app(database_url, tmp_path / "both")
    inside = threading.Barrier(2, timeout=10)

    @requires(Need.EDIT)
    @committed
    def probe(plan_id):
        inside.wait()  # both past the look-up of the key
        entry = log_hours(
            db.session,
            db.session.get(Plan, plan_id),
            person=current_user,
            spent_on=date(2025, 3, 5),
            hours=Decimal("2"),
            action=None,
            note="twice",
        )
        return jsonify(id=entry.id), 201

    both.add_url_rule("/api/v1/plans/<int:plan_id>/probe", "api.probe", probe, methods=["POST"])
    answers = []

    def send():
        answers.append(
            both.test_client().post(
                f"/api/v1/plans/{iclei}/probe", json={}, headers=headers(editor_token, "k")
            )
        )

    threads = [threading.Thread(target=send) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert [answer.status_code for answer in answers] == [201, 201]
        assert answers[0].get_data() == answers[1].get_data()
        assert sum("Idempotent-Replayed" in answer.headers for answer in answers) == 1
        assert entries(session) == 1
    finally:
        with both.app_context():
            db.engine.dispose()


def test_a_write_without_a_key_forgets_the_keys_older_than_a_day(client, iclei, session, editor_token):
    url = f"/api/v1/plans/{iclei}/management-hours"
    body = {"date": "2025-03-04", "hours": 1}
    assert client.post(url, json=body, headers=headers(editor_token, "old")).status_code == 201
    assert client.post(url, json=body, headers=headers(editor_token, "recent")).status_code == 201
    session.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.key == "old")
        .values(created_at=utcnow() - timedelta(hours=25))
    )
    session.commit()
    assert client.post(url, json=body, headers=headers(editor_token)).status_code == 201
    session.rollback()
    assert list(session.scalars(sa.select(IdempotencyKey.key))) == ["recent"]
