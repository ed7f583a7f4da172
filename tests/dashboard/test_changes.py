"""What changed: the plan's history in sentences, filtered and paged; the dashboard's latest
changes and its link to them; the flags of what looks wrong; one rule per kind of figure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.pages import text
from tracker.accounts.models import User
from tracker.core.formatting import format_date, format_hours, format_percent, format_points
from tracker.history.recording import set_actor, set_clock
from tracker.plans.models import Action, Occurrence, Pillar, Plan, Status

WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def viewer(client, auth, users):
    auth.login(users["viewer"])
    return client


@pytest.fixture
def changed(session, users, iclei):
    """The editor marked the 2026 webinar done, completed 3.2.4 and set a 2026 budget for 3.2.3,
    on 20 Nov 2026."""
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    code = {a.code: a for a in session.scalars(sa.select(Action).where(Action.plan_id == iclei))}
    set_actor(session, editor.id)
    set_clock(session, WHEN)
    session.add(Occurrence(action=code["3.2.6"], year=2026, done=True))
    code["3.2.4"].status = Status.COMPLETED
    f.budget(session, code["3.2.3"], 2026, "12.5")
    session.commit()
    set_clock(session, None)
    set_actor(session, None)
    return {"editor": editor, **code}


def change_lines(response) -> list[str]:
    html = response.get_data(as_text=True)
    items = re.findall(r'<ol class="history change-list">(.*?)</ol>', html, re.S)
    return (
        [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
            for item in re.findall(r"<li>(.*?)</li>", items[0], re.S)
        ]
        if items
        else []
    )


def test_each_change_is_a_sentence_that_names_the_action(viewer, iclei, changed):
    lines = change_lines(viewer.get(f"/plans/{iclei}/history?since=2026-11-01"))
    who = changed["editor"].name
    # One flush: the same instant, so their order among themselves is the order of recording.
    assert sorted(lines) == [
        f"3.2.3 {changed['3.2.3'].title}: 2026 budget set to 12.5 h, {who}, 20 Nov 2026",
        f"3.2.4 {changed['3.2.4'].title}: status changed from upcoming to completed, {who}, 20 Nov 2026",
        f"3.2.6 ICLEI member webinar: 2026 occurrence marked done, {who}, 20 Nov 2026",
    ]
    page = text(viewer.get(f"/plans/{iclei}/history"))
    for raw in ("planned_hours", "archived_at", " a action", " a occurrence", "public_token"):
        assert raw not in page
    # Newest first: the seeded plan's rows (1 Jul 2025) come after these.
    assert page.index("20 Nov 2026") < page.index("1 Jul 2025")


def test_the_history_is_filtered_by_dates_pillar_action_person_and_kind(viewer, iclei, changed, session):
    base = f"/plans/{iclei}/history"
    webinar, editor = changed["3.2.6"], changed["editor"]
    assert len(change_lines(viewer.get(f"{base}?since=2026-11-01"))) == 3
    assert change_lines(viewer.get(f"{base}?since=2026-11-21")) == []
    assert len(change_lines(viewer.get(f"{base}?until=2026-11-19&since=2025-07-01"))) > 3
    only_status = change_lines(viewer.get(f"{base}?since=2026-11-01&kind=status"))
    assert len(only_status) == 1 and "status changed" in only_status[0]
    of_webinar = change_lines(viewer.get(f"{base}?action={webinar.id}"))
    assert of_webinar and all(line.startswith("3.2.6 ICLEI member webinar") for line in of_webinar)
    by_editor = change_lines(viewer.get(f"{base}?person={editor.id}"))
    assert len(by_editor) == 3
    training = session.scalar(sa.select(Pillar).where(Pillar.plan_id == iclei, Pillar.position == 3))
    of_training = change_lines(viewer.get(f"{base}?pillar={training.id}&since=2026-11-01"))
    assert of_training == []  # the three changes are all in pillar 2
    communication = session.scalar(sa.select(Pillar).where(Pillar.plan_id == iclei, Pillar.position == 2))
    assert len(change_lines(viewer.get(f"{base}?pillar={communication.id}&since=2026-11-01"))) == 3


@pytest.mark.parametrize(
    "query, field",
    [
        ("since=yesterday", "Since: "),
        ("until=2026-02-30", "Until: "),
        ("since=2026-05-01&until=2026-04-01", "Until: "),
        ("pillar=999999", "Pillar: "),
        ("action=abc", "Action: "),
        ("person=999999", "Person: "),
        ("kind=column_names", "Kind of change: "),
    ],
)
def test_a_bad_filter_is_400_naming_its_field(viewer, iclei, query, field):
    response = viewer.get(f"/plans/{iclei}/history?{query}")
    assert response.status_code == 400
    assert field in text(response)


def test_the_history_is_paged_fifty_to_a_page(viewer, iclei, session):
    plan = session.get(Plan, iclei)
    pillar = session.scalar(sa.select(Pillar).where(Pillar.plan_id == iclei, Pillar.position == 4))
    for n in range(60):
        f.action(session, pillar, f"3.4.{n + 20}")
    session.commit()
    total = int(re.search(r"([\d,]+) changes", text(viewer.get(f"/plans/{plan.id}/history"))).group(1))
    assert total > 60
    first = viewer.get(f"/plans/{iclei}/history")
    second = viewer.get(f"/plans/{iclei}/history?page=2")
    assert len(change_lines(first)) == 50 and "Older changes" in text(first)
    assert "Newer changes" in text(second) and not set(change_lines(first)) & set(change_lines(second))
    assert f"page 2 of {-(-total // 50)}" in text(second)


def test_the_dashboard_shows_the_latest_changes_and_links_to_what_changed(viewer, iclei, changed):
    page = viewer.get(f"/plans/{iclei}/dashboard").get_data(as_text=True)
    # No report published yet: "since" is the start of the year.
    assert f'href="/plans/{iclei}/history?since=2026-01-01"' in page
    assert "What changed since 1 Jan 2026" in text(viewer.get(f"/plans/{iclei}/dashboard"))
    latest = text(viewer.get(f"/plans/{iclei}/dashboard")).split("Latest changes")[1]
    assert "ICLEI member webinar : 2026 occurrence marked done" in latest
    # A chosen date to compare with.
    chosen = text(viewer.get(f"/plans/{iclei}/dashboard?since=2026-11-19"))
    assert "the change since 19 Nov 2026" in chosen
    assert "✔ completed 3 +1 ◐ ongoing 10 0 ○ upcoming 4 −1" in chosen
    assert viewer.get(f"/plans/{iclei}/dashboard?since=never").status_code == 400


def test_what_looks_wrong_is_said_in_the_list_and_on_the_dashboard(viewer, iclei, session, users, changed):
    plan = session.get(Plan, iclei)
    editor = changed["editor"]
    code = {a.code: a for a in session.scalars(sa.select(Action).where(Action.plan_id == iclei))}
    f.budget(session, code["3.2.2"], 2026, "5")
    f.log(session, plan, editor, date(2026, 3, 2), "7", code["3.2.2"])
    f.log(session, plan, editor, date(2026, 3, 3), "2", code["3.3.2"])  # upcoming
    session.commit()
    listed = text(viewer.get(f"/plans/{iclei}/actions?year=2026"))
    assert "⚑ more hours logged than planned in 2026: 7.0 h against 5.0 h" in listed
    assert "⚑ 2.0 h logged in 2026 on an action still upcoming" in listed
    assert "⚑ not updated for 90 days or more (last change 1 Jul 2025)" in listed
    # Changed on 20 Nov 2026: not flagged as not updated.
    row = listed.split("ICLEI member webinar")[1].split("3.3.1")[0]
    assert "not updated" not in row
    board = text(viewer.get(f"/plans/{iclei}/dashboard?year=2026"))
    assert "2 actions over budget (more hours logged than planned)" in board
    assert "1 upcoming action with hours logged" in board
    assert "not updated for 90 days or more" in board
    assert (
        "3.3.2 Gender training for management : more hours logged than planned in 2026: 2.0 h against "
        "0.0 h; 2.0 h logged in 2026 on an action still upcoming"
    ) in board


def test_one_rule_per_kind_of_figure(app):
    with app.test_request_context():
        assert [format_hours(v) for v in ("2.5", "2.50", "0", "7.25", "1234")] == [
            "2.5 h",
            "2.5 h",
            "0.0 h",
            "7.25 h",
            "1,234.0 h",
        ]
        assert format_percent(Decimal("68.30")) == "68.3 %"
        assert [format_points(v) for v in ("26.00", "-3.5", "0")] == ["+26.0 pp", "-3.5 pp", "0.0 pp"]
        assert format_date(date(2026, 11, 25)) == "25 Nov 2026" == format_date("2026-11-25")
