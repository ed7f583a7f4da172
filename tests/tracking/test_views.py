"""The plan's pages read as the document does, and show the year's figures."""

import re
from datetime import date

import sqlalchemy as sa

from tests import factories as f
from tests.cli.test_seed import EXPECTED
from tests.pages import text
from tracker.accounts.models import User
from tracker.plans.models import Action, Pillar, Plan


def test_the_plan_pillar_by_pillar_with_every_action(client, auth, users, iclei):
    auth.login(users["viewer"])
    page = text(client.get(f"/plans/{iclei}?year=2025"))
    headings = [
        m.start()
        for m in (
            re.search(re.escape(h), page)
            for h in [
                "1 Organisational actions",
                "2 Communication",
                "3 Training and capacity-building",
                "4 Monitoring and evaluation",
            ]
        )
    ]
    assert headings == sorted(headings)
    for code, (title, status, timeline, *_rest) in EXPECTED.items():
        title_html = title.replace("'", "&#39;")
        assert re.search(rf"{re.escape(code)} {re.escape(title_html)} \S+ {status}", page), code
        assert timeline in page


def test_status_words_and_late_marks(client, auth, users, iclei):
    auth.login(users["viewer"])
    html = client.get(f"/plans/{iclei}").get_data(as_text=True)
    # Every status badge carries its word, not colour alone.
    assert html.count('class="status status-completed"') == 2
    assert html.count('class="status status-upcoming"') == 5
    assert html.count('class="status status-ongoing"') == 10
    # On 2026-11-23: 3.1.1 (2023-25), 3.1.6, 3.1.7, 3.2.5 (upcoming since 2025), 3.2.6 (webinars
    # 2023-2025 not marked done) and 3.4.2 (the 2025 report not marked done).
    assert html.count("⚠</span> late") == 6


def test_this_years_hours_by_default(client, auth, users, iclei):
    auth.login(users["viewer"])
    page = text(client.get(f"/plans/{iclei}"))
    assert "Hours in 2026" in page
    assert "No hours are allocated for 2026." in page
    page = text(client.get(f"/plans/{iclei}?year=2025"))
    assert "Overall management 100.0 h — 0.0 h 100.0 h" in page
    assert "Development/Implementation of the action plan 250.0 h 0.0 h 0.0 h 250.0 h" in page
    assert "Total 350.0 h 0.0 h 0.0 h 350.0 h" in page


def test_logged_and_planned_hours_appear_beside_their_action(client, auth, users, session, iclei):
    action = session.scalar(sa.select(Action).where(Action.code == "3.2.3"))
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    plan = session.get(Plan, action.plan_id)
    f.budget(session, action, 2025, "40")
    f.log(session, plan, editor, date(2025, 5, 2), "2.25", action)
    f.log(session, plan, editor, date(2025, 5, 3), "1.5", action)
    session.commit()
    auth.login(users["viewer"])
    page = text(client.get(f"/plans/{iclei}?year=2025"))
    assert "Gender Guidelines for Project Work ◐ ongoing ongoing since 2025 40.0 h 3.75 h" in page
    assert "Total 350.0 h 40.0 h 3.75 h 346.25 h" in page


def test_a_bad_year_is_a_400_naming_the_field(client, auth, users, iclei):
    auth.login(users["viewer"])
    response = client.get(f"/plans/{iclei}?year=twenty")
    assert response.status_code == 400 and b"year: twenty is not a year." in response.data
    response = client.get(f"/plans/{iclei}?year=2031")
    assert (
        response.status_code == 400
        and b"year: 2031 is outside the plan&#39;s period 2023-2026." in response.data
    )


def test_the_action_page_has_every_field_its_occurrences_and_history(client, auth, users, session):
    webinar = session.scalar(sa.select(Action).where(Action.code == "3.2.6"))
    auth.login(users["viewer"])
    page = text(client.get(f"/actions/{webinar.id}"))
    assert "3.2.6 ICLEI member webinar" in page
    assert "webinar for Members gathering experiences from exemplary members" in page
    assert "to provide members a chance to learn from pioneers" in page
    assert "yearly (from 2023; yearly)" in page
    assert "Responsible Gender Group" in page
    for year in (2023, 2024, 2025, 2026):
        assert f"{year} ○ not done" in page
    assert "The 2023, 2024 and 2025 occurrences are not marked done." in page
    assert "system: created the action Rule 3:" in page


def test_the_survey_page_shows_its_done_occurrence(client, auth, users, session):
    survey = session.scalar(sa.select(Action).where(Action.code == "3.4.1"))
    auth.login(users["viewer"])
    page = text(client.get(f"/actions/{survey.id}"))
    assert "2025 ✔ done Follow-up survey conducted in 2025" in page
    assert "late" not in page.split("Timeline")[0]


def test_another_organisations_records_are_not_found(client, auth, users, session, iclei):
    auth.login(users["other_admin"])
    assert client.get(f"/plans/{iclei}").status_code == 404
    assert client.get("/actions/1").status_code == 404
    assert client.get("/plans/999").status_code == 404
    assert b"has no plan yet" in client.get("/plans").data


def test_page_queries_do_not_grow_with_the_number_of_actions(app_engine, client, auth, users, iclei, session):
    auth.login(users["viewer"])
    client.get(f"/plans/{iclei}?year=2025")  # warm up: templates, user load
    with f.count_statements(app_engine) as small:
        assert client.get(f"/plans/{iclei}?year=2025").status_code == 200
    pillar = session.scalar(sa.select(Pillar).where(Pillar.position == 2))
    for n in range(20):
        action = f.action(session, pillar, f"3.2.{n + 10}")
        f.budget(session, action, 2025, "1")
    session.commit()
    with f.count_statements(app_engine) as large:
        response = client.get(f"/plans/{iclei}?year=2025")
    assert b"3.2.29" in response.data
    assert len(large) == len(small), (len(small), len(large))
