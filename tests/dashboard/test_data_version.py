"""The plan's data version, which cached figures are keyed by, follows the order of commits."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests import factories as f
from tests.conftest import AuthActions
from tests.pages import text
from tracker.accounts.models import User
from tracker.accounts.services import create_token
from tracker.history.models import HistoryEntry
from tracker.plans.history import data_version
from tracker.plans.models import Action, Plan


def test_every_committed_change_of_a_plan_adds_one_to_its_version(app, iclei, session, users):
    before = data_version(session, iclei)
    plan = session.get(Plan, iclei)
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    f.log(session, plan, editor, date(2025, 2, 3), "2")
    session.flush()
    f.log(session, plan, editor, date(2025, 2, 4), "3")
    session.commit()
    assert data_version(session, iclei) == before + 1  # one transaction, one step
    session.commit()  # nothing changed: the version stays
    session.rollback()
    assert data_version(session, iclei) == before + 1
    f.log(session, plan, editor, date(2025, 2, 5), "1")
    session.flush()
    session.rollback()  # a change rolled back is not counted
    assert data_version(session, iclei) == before + 1


@pytest.mark.backend("postgresql")
def test_a_reader_between_interleaved_commits_caches_no_stale_figure(
    app, client, auth, iclei, users, database_url
):
    """The transaction that starts writing first commits last. Its history id is the smaller one,
    so under the newest-history-id key the reader between the commits cached figures under the
    final key without the first change, and kept showing them."""
    # SQLite lets one transaction write at a time: no interleaving to test there.
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    first, second = Session(engine), Session(engine)
    try:
        plan = first.get(Plan, iclei)
        editor = first.scalar(sa.select(User).where(User.email == users["editor"]))
        guidelines = first.scalar(sa.select(Action).where(Action.code == "3.2.3"))
        f.log(first, plan, editor, date(2025, 2, 3), "7", guidelines)
        first.flush()  # starts writing first: the smaller history id
        first_id = first.scalar(sa.select(sa.func.max(HistoryEntry.id)))

        plan2 = second.get(Plan, iclei)
        admin = second.scalar(sa.select(User).where(User.email == users["admin"]))
        survey = second.scalar(sa.select(Action).where(Action.code == "3.4.1"))
        f.log(second, plan2, admin, date(2025, 9, 9), "5", survey)
        second.flush()
        second_id = second.scalar(sa.select(sa.func.max(HistoryEntry.id)))
        _row, token = create_token(second, admin)
        second.commit()  # ...and commits first
        assert first_id < second_id

        auth.login(users["viewer"])
        api = {"Authorization": f"Bearer {token}"}
        dashboard = f"/plans/{iclei}/dashboard?year=2025"
        actions = f"/api/v1/plans/{iclei}/actions"
        # A reader between the commits caches the figures with the second change only.
        assert "Total 350.0 h 0.0 h 5.0 h 345.0 h" in text(client.get(dashboard))
        assert _logged(client.get(actions, headers=api).json) == 5

        first.commit()
        assert "Total 350.0 h 0.0 h 12.0 h 338.0 h" in text(client.get(dashboard))
        assert _logged(client.get(actions, headers=api).json) == 12
    finally:
        first.close()
        second.close()
        engine.dispose()


def _logged(actions) -> float:
    return sum(action["logged_hours"]["2025"] for action in actions)


def test_after_a_change_one_request_rebuilds_while_the_others_show_the_last_figures(
    app, client, auth, iclei, users, session, monkeypatch
):
    """Single flight: the first viewer after a write builds the new dashboard; a viewer meanwhile
    is answered at once with the last dashboard built (not a second build), and once the new one
    is stored nobody is shown the old one again."""
    import threading

    from tracker.dashboard import views

    auth.login(users["viewer"])
    other = app.test_client()
    AuthActions(other).login(users["viewer"])
    dashboard = f"/plans/{iclei}/dashboard?year=2025"
    assert "Total 350.0 h 0.0 h 0.0 h 350.0 h" in text(client.get(dashboard))

    plan = session.get(Plan, iclei)
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    f.log(
        session,
        plan,
        editor,
        date(2025, 2, 3),
        "7",
        session.scalar(sa.select(Action).where(Action.code == "3.2.3")),
    )
    session.commit()

    building, release, builds = threading.Event(), threading.Event(), []
    render_body = views.render_body

    def slow_render(*args):
        builds.append(1)
        building.set()
        assert release.wait(20)
        return render_body(*args)

    monkeypatch.setattr(views, "render_body", slow_render)
    answers = {}
    builder = threading.Thread(target=lambda: answers.update(built=text(client.get(dashboard))))
    builder.start()
    try:
        assert building.wait(20)
        # The rebuild is under way: the other viewer gets the last dashboard, without building.
        assert "Total 350.0 h 0.0 h 0.0 h 350.0 h" in text(other.get(dashboard))
        assert len(builds) == 1
    finally:
        release.set()
        builder.join(20)
    assert "Total 350.0 h 0.0 h 7.0 h 343.0 h" in answers["built"]
    # Stored: from now on everyone gets the new dashboard, built once.
    assert "Total 350.0 h 0.0 h 7.0 h 343.0 h" in text(other.get(dashboard))
    assert len(builds) == 1
