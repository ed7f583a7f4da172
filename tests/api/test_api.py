"""The read-only JSON API: shapes, figures equal to the pages', tokens and 404s."""

from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.cli.test_seed import EXPECTED
from tests.pages import text
from tracker.accounts.models import User
from tracker.accounts.services import create_token
from tracker.core.db import utcnow
from tracker.plans.models import Action, Plan


@pytest.fixture
def token(app, session, users):
    user = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    row, token = create_token(session, user, "tests")
    session.commit()
    return token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_plans(client, token, iclei):
    assert client.get("/api/v1/plans", headers=bearer(token)).json == [
        {
            "id": iclei,
            "title": "Gender Mainstreaming Action Plan 2023-2026",
            "organisation": "ICLEI European Secretariat",
            "start_year": 2023,
            "end_year": 2026,
        }
    ]


def test_actions(client, token, session, iclei):
    actions = client.get(f"/api/v1/plans/{iclei}/actions", headers=bearer(token)).json
    assert [a["code"] for a in actions] == list(EXPECTED)
    first = actions[0]
    assert set(first) == {
        "id",
        "code",
        "title",
        "pillar",
        "status",
        "late",
        "start_year",
        "end_year",
        "cadence",
        "timeline_text",
        "planned_hours",
        "logged_hours",
        "version",
    }
    assert first["pillar"] == "1 Organisational actions"
    for action in actions:
        title, status, timeline, start, end, cadence = EXPECTED[action["code"]]
        assert (
            action["title"],
            action["status"],
            action["timeline_text"],
            action["start_year"],
            action["end_year"],
            action["cadence"],
        ) == (title, status, timeline, start, end, cadence)
    late = {a["code"] for a in actions if a["late"]}
    assert late == {"3.1.1", "3.1.6", "3.1.7", "3.2.5", "3.2.6", "3.4.2"}
    assert first["planned_hours"] == {"2023": 0.0, "2024": 0.0, "2025": 0.0, "2026": 0.0}
    assert first["version"] == 1


def test_hours(client, token, iclei):
    assert client.get(f"/api/v1/plans/{iclei}/hours?year=2025", headers=bearer(token)).json == {
        "year": 2025,
        "allocated": {
            "total": 350.0,
            "lines": [
                {"name": "Overall management", "kind": "management", "hours": 100.0},
                {
                    "name": "Development/Implementation of the action plan",
                    "kind": "implementation",
                    "hours": 250.0,
                },
            ],
        },
        "planned": 0.0,
        "logged": {"total": 0.0, "management": 0.0, "actions": 0.0},
        "remaining": 350.0,
        "over_allocated": False,
        "by_kind": [
            {
                "kind": "management",
                "allocated": 100.0,
                "planned": 0.0,
                "logged": 0.0,
                "remaining": 100.0,
                "over_allocated": False,
            },
            {
                "kind": "implementation",
                "allocated": 250.0,
                "planned": 0.0,
                "logged": 0.0,
                "remaining": 250.0,
                "over_allocated": False,
            },
        ],
        "by_pillar": [
            {
                "pillar": "1 Organisational actions",
                "planned": 0.0,
                "logged": 0.0,
                "remaining": 0.0,
                "over_allocated": False,
            },
            {
                "pillar": "2 Communication",
                "planned": 0.0,
                "logged": 0.0,
                "remaining": 0.0,
                "over_allocated": False,
            },
            {
                "pillar": "3 Training and capacity-building",
                "planned": 0.0,
                "logged": 0.0,
                "remaining": 0.0,
                "over_allocated": False,
            },
            {
                "pillar": "4 Monitoring and evaluation",
                "planned": 0.0,
                "logged": 0.0,
                "remaining": 0.0,
                "over_allocated": False,
            },
        ],
    }


def test_the_api_and_the_page_show_the_same_figures(client, auth, users, token, session, iclei):
    plan = session.get(Plan, iclei)
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    guidelines = session.scalar(sa.select(Action).where(Action.code == "3.2.3"))
    webinar = session.scalar(sa.select(Action).where(Action.code == "3.2.6"))
    f.budget(session, guidelines, 2025, "180")
    f.budget(session, webinar, 2025, "90.5")
    f.log(session, plan, editor, date(2025, 2, 3), "1.25", guidelines)
    f.log(session, plan, editor, date(2025, 2, 4), "101", None)  # management over its 100 h
    f.log(session, plan, editor, date(2024, 2, 4), "9", webinar)
    session.commit()
    api = client.get(f"/api/v1/plans/{iclei}/hours?year=2025", headers=bearer(token)).json
    assert (api["planned"], api["logged"]["total"], api["remaining"], api["over_allocated"]) == (
        270.5,
        102.25,
        247.75,
        True,
    )
    actions = {a["code"]: a for a in client.get(f"/api/v1/plans/{iclei}/actions", headers=bearer(token)).json}
    assert actions["3.2.6"]["logged_hours"] == {"2023": 0.0, "2024": 9.0, "2025": 0.0, "2026": 0.0}
    assert actions["3.2.3"]["planned_hours"]["2025"] == 180.0
    auth.login(users["viewer"])
    page = text(client.get(f"/plans/{iclei}?year=2025"))
    assert "Total 350.0 h 270.5 h 102.25 h 247.75 h over-allocated" in page
    assert "Overall management 100.0 h — 101.0 h -1.0 h over-allocated" in page
    assert "Gender Guidelines for Project Work ◐ ongoing ongoing since 2025 180.0 h 1.25 h" in page


def test_a_signed_in_session_works_too(client, auth, users):
    auth.login(users["viewer"])
    assert client.get("/api/v1/plans").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/plans/999/actions", "/api/v1/plans/999/hours", "/api/v1/nothing"])
def test_unknown_ids_are_404_json(client, token, path):
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 404
    assert response.json["error"] == "Not Found"


def test_another_organisations_plan_is_404(client, session, users, iclei):
    other = session.scalar(sa.select(User).where(User.email == users["other_admin"]))
    _row, token = create_token(session, other)
    session.commit()
    assert client.get("/api/v1/plans", headers=bearer(token)).json == []
    assert client.get(f"/api/v1/plans/{iclei}/actions", headers=bearer(token)).status_code == 404
    assert client.get(f"/api/v1/plans/{iclei}/hours", headers=bearer(token)).status_code == 404


def test_a_bad_year_is_400_json_naming_the_field(client, token, iclei):
    response = client.get(f"/api/v1/plans/{iclei}/hours?year=abc", headers=bearer(token))
    assert response.status_code == 400 and response.json["message"] == "year: abc is not a year."


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic dXNlcjpwYXNz", "gap_x"])
def test_bad_credentials_are_401(client, iclei, header):
    assert client.get("/api/v1/plans", headers={"Authorization": header}).status_code == 401


def test_a_revoked_token_or_a_deactivated_user_gets_401(client, session, token, users):
    assert client.get("/api/v1/plans", headers=bearer(token)).status_code == 200
    user = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    user.active = False
    session.commit()
    assert client.get("/api/v1/plans", headers=bearer(token)).status_code == 401
    user.active = True
    for row in user.tokens:
        row.revoked_at = utcnow()
    session.commit()
    assert client.get("/api/v1/plans", headers=bearer(token)).status_code == 401
