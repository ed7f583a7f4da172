"""The load test's machinery under faults: gunicorn with 2 workers in real processes on a free
127.0.0.1 port, a few seconds of editors and viewers each, then the same checks as
``flask --app tracker loadtest`` against the database."""

import json
import os
import signal
import time
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa

from tests.core.test_serve import Gunicorn, free_port, production_env
from tracker.accounts.models import User
from tracker.cli import loadtest
from tracker.core.extensions import db

pytestmark = pytest.mark.slow


@pytest.fixture
def server(app, iclei, database_url, tmp_path):
    """``gunicorn -c gunicorn.conf.py`` with 2 workers on the test's database, the ICLEI plan in it."""
    env = production_env(database_url, free_port(), tmp_path)
    env["CACHE_DIR"] = str(tmp_path / "server-cache")
    server = Gunicorn(env, tmp_path, "load")
    try:
        # Workers boot in a few seconds on an idle machine; this one is shared.
        deadline = time.monotonic() + 60
        while True:
            assert server.process.poll() is None, server.stderr.read_text()
            try:
                if requests.get(server.url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, server.stderr.read_text()
            time.sleep(0.2)
        yield server
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


def prepared(app, iclei, editors=4, viewers=2) -> loadtest.Setup:
    with app.app_context():
        return loadtest.prepare(iclei, editors, viewers)


def checked(app, setup, recorder, faults=False) -> dict:
    with app.app_context():
        return loadtest.check(setup, recorder, faults=faults)


def workers(master: int) -> list[int]:
    with open(f"/proc/{master}/task/{master}/children") as children:
        return [int(pid) for pid in children.read().split()]


@pytest.mark.backend("postgresql")
def test_a_worker_killed_mid_load_loses_nothing_accepted(app, iclei, server):
    setup = prepared(app, iclei)
    before = workers(server.process.pid)
    assert len(before) == 2
    killed = []

    def kill_one():
        killed.append(before[0])
        os.kill(before[0], signal.SIGKILL)

    recorder = loadtest.load(server.url, setup, seconds=6, rate=12, floor_seconds=0, during=kill_one)
    result = checked(app, setup, recorder, faults=True)
    assert result["problems"] == [], result
    assert result["hours_accepted"] > 5, result
    # The master replaced the worker; the server answers as before.
    after = workers(server.process.pid)
    assert killed[0] not in after and len(after) == 2
    assert server.get("/healthz")[0] == 200


@pytest.mark.backend("sqlite")
def test_two_workers_on_sqlite_never_answer_database_is_locked(app, iclei, server, runner):
    """Through the command itself: its figures, its JSON line, exit code 0 when every check holds."""
    result = runner.invoke(
        args=[
            "loadtest",
            "--url",
            server.url,
            "--plan",
            str(iclei),
            "--editors",
            "6",
            "--viewers",
            "2",
            "--seconds",
            "5",
            "--rate",
            "20",
            "--floor-seconds",
            "1",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["problems"] == []
    # Every answer was the expected one: no 5xx ("database is locked" would be a 503 or a 500).
    assert set(figures["hours"]["answers"]) == {"201"}
    assert set(figures["status"]["answers"]) <= {"200", "409"}
    assert set(figures["dashboard"]["answers"]) == {"200"}
    assert figures["hours_accepted"] > 10
    assert "database is locked" not in server.stderr.read_text()
    assert "dashboard / floor throughput" in result.output


@pytest.mark.backend("postgresql")
def test_every_connection_cut_mid_load_is_recovered_and_no_write_is_saved_but_answered_failed(
    app, iclei, server, database_url
):
    setup = prepared(app, iclei)
    admin = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    cut = []

    def cut_every_connection():
        for _round in range(3):
            with admin.connect() as connection:
                cut.extend(
                    connection.execute(
                        sa.text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).scalars()
                )
            time.sleep(0.3)

    try:
        recorder = loadtest.load(
            server.url, setup, seconds=6, rate=12, floor_seconds=0, during=cut_every_connection
        )
    finally:
        admin.dispose()
    assert any(cut)
    result = checked(app, setup, recorder, faults=True)
    # Among the checks: a write answered 5xx whose retry (same key) found it saved.
    assert result["problems"] == [], result
    assert result["hours_accepted"] > 5, result
    # Recovered by itself: a write and a read after the cuts go through on the first try.
    token = setup.tokens[0]
    answer = requests.post(
        f"{server.url}/api/v1/plans/{iclei}/management-hours",
        json={"date": setup.day.isoformat(), "hours": "1", "note": "after the cut"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 201
    assert server.get("/healthz")[0] == 200


def test_the_checks_catch_a_lost_write_a_double_write_and_a_server_error(app, iclei):
    """The checker itself: what the database holds against what clients were told."""
    setup = prepared(app, iclei, editors=1, viewers=0)
    recorder = loadtest.Recorder()
    recorder.writes.append(loadtest.Write("hours", "lost", hours=Decimal("2"), answers=[201]))
    recorder.writes.append(
        loadtest.Write(
            "status", "told failed", action_id=1, status="completed", answers=[503, 200], replayed=True
        )
    )
    recorder.add("dashboard", 0.01, 500)
    problems = checked(app, setup, recorder)["problems"]
    assert any(problem.startswith("hours: 0 h saved in 0 entries, 2 h accepted in 1") for problem in problems)
    assert any("saved but answered as failed" in problem for problem in problems)
    assert any("status: 1 accepted changes are not in the history" in problem for problem in problems)
    assert any("dashboard 500" in problem for problem in problems)
    assert len(problems) == 4


def test_a_server_that_does_not_answer_is_named_and_the_accounts_are_retired(app, iclei, runner):
    from tests.core.test_serve import free_port

    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(
        args=["loadtest", "--url", url, "--plan", str(iclei), "--editors", "1", "--viewers", "1"]
    )
    assert result.exit_code == 1
    assert f"{url} does not answer" in result.output and "Traceback" not in result.output
    with app.app_context():
        made = db.session.scalars(sa.select(User).where(User.email.like("loadtest-%"))).all()
        assert len(made) == 2 and not any(user.active for user in made)
