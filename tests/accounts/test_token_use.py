"""Reads never write: a token's last use is recorded at most once a minute, never failing a read."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tracker.accounts.models import ApiToken, User
from tracker.accounts.services import create_token
from tracker.core.database import counting_statements
from tracker.core.db import utcnow


@pytest.fixture
def token(session, users):
    user = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    row, secret = create_token(session, user, "tests")
    session.commit()
    return row.id, secret


def get_plans(client, secret):
    return client.get("/api/v1/plans", headers={"Authorization": f"Bearer {secret}"})


def updates(statements):
    return [s for s in statements if s.lstrip().upper().startswith("UPDATE")]


def last_used(session, token_id):
    session.expire_all()
    value = session.get(ApiToken, token_id).last_used_at
    session.commit()
    return value


def test_two_reads_within_a_minute_write_once(client, app_engine, session, token):
    token_id, secret = token
    with counting_statements(app_engine) as first:
        assert get_plans(client, secret).status_code == 200
    assert len(updates(first)) == 1
    recorded = last_used(session, token_id)
    assert utcnow() - recorded < timedelta(seconds=10)
    with counting_statements(app_engine) as second:
        assert get_plans(client, secret).status_code == 200
    assert updates(second) == []
    assert last_used(session, token_id) == recorded


def test_a_use_older_than_a_minute_is_recorded_again(client, app_engine, session, token):
    token_id, secret = token
    old = utcnow() - timedelta(seconds=61)
    session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=old))
    session.commit()
    with counting_statements(app_engine) as statements:
        assert get_plans(client, secret).status_code == 200
    assert len(updates(statements)) == 1
    assert last_used(session, token_id) > old + timedelta(seconds=30)


def test_a_locked_token_row_does_not_fail_a_read(client, session, token):
    token_id, secret = token
    # Another connection holds a write on the token's row (on SQLite: the database's write lock).
    session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(name="renamed, not committed"))
    try:
        started = time.monotonic()
        response = get_plans(client, secret)
        elapsed = time.monotonic() - started
    finally:
        session.rollback()
    assert response.status_code == 200
    assert len(response.json) == 1
    assert elapsed < 5  # gave up the bookkeeping quickly, not after the 15 s busy timeout
    assert last_used(session, token_id) is None
    # Once the lock is gone the next read records the use.
    assert get_plans(client, secret).status_code == 200
    assert last_used(session, token_id) is not None
