"""My hours: one line an entry, filtered by year and action, with totals and a way to log more."""

import re
from datetime import date

import sqlalchemy as sa

from tests import factories as f
from tests.pages import text
from tracker.accounts.models import User
from tracker.plans.models import Action, Plan


def setup_hours(session, users, iclei):
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    plan = session.get(Plan, iclei)
    webinar = session.scalar(sa.select(Action).where(Action.code == "3.2.6"))
    training = session.scalar(sa.select(Action).where(Action.code == "3.3.2"))
    f.log(session, plan, editor, date(2024, 5, 2), "2", webinar, "Speakers")
    f.log(session, plan, editor, date(2025, 3, 14), "1.5", webinar, "Slides")
    f.log(session, plan, editor, date(2025, 3, 15), "4", training, "Trainer")
    f.log(session, plan, editor, date(2025, 6, 1), "0.5", None, "Minutes")
    session.commit()
    return editor, webinar


def test_my_hours_totals_by_action_and_year_and_filters(client, auth, users, session, iclei):
    editor, webinar = setup_hours(session, users, iclei)
    auth.login(users["editor"])
    page = text(client.get(f"/people/{editor.id}"))
    assert "2025 · 6.0 h in total" in page and "2024 · 2.0 h in total" in page
    # One row an action, a column a year, and its total across the years.
    assert "3.2.6 ICLEI member webinar 1.5 h 2.0 h 3.5 h" in page
    assert "Overall management 0.5 h — 0.5 h" in page
    assert "Total 6.0 h 2.0 h 8.0 h" in page
    assert re.search(r'href="/plans/\d+/hours/new"[^>]*>Log hours', client.get(f"/people/{editor.id}").text)

    one_year = text(client.get(f"/people/{editor.id}?year=2025"))
    assert "2025 · 6.0 h in total" in one_year and "2024 ·" not in one_year

    one_action = text(client.get(f"/people/{editor.id}?on={webinar.id}"))
    assert "2025 · 1.5 h in total" in one_action and "2024 · 2.0 h in total" in one_action
    assert "Trainer" not in one_action and "Minutes" not in one_action

    nothing = text(client.get(f"/people/{editor.id}?year=2023"))
    assert "No hours match the filter." in nothing

    bad = client.get(f"/people/{editor.id}?year=twenty")
    assert bad.status_code == 400 and "Year: twenty is not a year" in text(bad)


def test_each_entry_has_short_buttons_with_full_names(client, auth, users, session, iclei):
    editor, _ = setup_hours(session, users, iclei)
    auth.login(users["editor"])
    html = client.get(f"/people/{editor.id}?year=2025").text
    assert re.search(r">Correct<span class=\"visually-hidden\"> the entry of 2025-03-14</span>", html)
    assert re.search(r">Delete<span class=\"visually-hidden\"> the entry of 2025-03-14</span>", html)


def test_viewers_have_no_my_hours_and_no_log_button(client, auth, users, session, iclei):
    editor, _ = setup_hours(session, users, iclei)
    auth.login(users["viewer"])
    own = client.get("/dashboard", follow_redirects=True).text
    assert ">My hours<" not in own
    theirs = client.get(f"/people/{editor.id}").text
    assert "Log hours" not in theirs and ">Delete<" not in theirs
    auth.logout()
    auth.login(users["editor"])
    assert ">My hours<" in client.get(f"/people/{editor.id}").text
