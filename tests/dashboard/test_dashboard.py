"""The management dashboard: figures, charts, cache, and the same numbers as the API."""

import re
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.conftest import make_app
from tests.core.test_security import redis_url  # noqa: F401 - the fixture
from tests.pages import text
from tracker.accounts.models import User
from tracker.accounts.services import create_token
from tracker.core import cache
from tracker.core.extensions import db
from tracker.dashboard import charts
from tracker.plans.models import Action, Pillar, Plan, Status


@pytest.fixture
def viewer(client, auth, users):
    auth.login(users["viewer"])
    return client


def test_the_seeded_plan_at_a_glance(viewer, iclei):
    page = text(viewer.get(f"/plans/{iclei}/dashboard?year=2025"))
    # Where the plan stands now, and the change since the start of the year (no report yet).
    assert (
        "Actions by status now, and the change since 1 Jan 2025 Status Now Change "
        "✔ completed 2 +1 ◐ ongoing 10 0 ○ upcoming 5 0 ⚠ late 6 +5 All open actions 17"
    ) in page
    assert "100.0 % of the year gone · 0.0 % of the allocated hours used" in page
    assert "Overall management 100.0 h — 0.0 h 100.0 h" in page
    assert "Development/Implementation of the action plan 250.0 h 0.0 h 0.0 h 250.0 h" in page
    assert "Total 350.0 h 0.0 h 0.0 h 350.0 h" in page
    assert "1 Organisational actions 0 5 2 3 7" in page
    assert "All pillars 2 10 5 6 17" in page
    assert "2025 350.0 h 0.0 h 0.0 h 350.0 h" in page and "2024 0.0 h 0.0 h 0.0 h 0.0 h" in page
    assert (
        "3.2.6 ICLEI member webinar ◐ ongoing : The 2023, 2024 and 2025 occurrences are not marked done."
        in page
    )
    assert "3.4.1 ICLEI Gender Assessment Surveys : ✔ done" in page  # due in 2025, done


def test_this_year_by_default_and_a_bad_year_is_400(viewer, iclei):
    assert "Hours in 2026" in text(viewer.get(f"/plans/{iclei}/dashboard"))
    assert viewer.get(f"/plans/{iclei}/dashboard?year=1990").status_code == 400


def test_the_dashboard_and_the_api_show_the_same_figures(viewer, iclei, session, users):
    plan = session.get(Plan, iclei)
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    guidelines = session.scalar(sa.select(Action).where(Action.code == "3.2.3"))
    survey = session.scalar(sa.select(Action).where(Action.code == "3.4.1"))
    f.budget(session, guidelines, 2025, "240")
    f.budget(session, survey, 2025, "25.5")
    f.log(session, plan, editor, date(2025, 2, 3), "7.25", guidelines)
    f.log(session, plan, editor, date(2025, 9, 9), "12.5", survey)
    f.log(session, plan, editor, date(2025, 2, 4), "30", None)
    _row, token = create_token(session, editor)
    session.commit()
    api = viewer.get(
        f"/api/v1/plans/{iclei}/hours?year=2025", headers={"Authorization": f"Bearer {token}"}
    ).json
    page = text(viewer.get(f"/plans/{iclei}/dashboard?year=2025"))
    hours = lambda value: f"{value:.1f} h" if value * 10 == int(value * 10) else f"{value:.2f} h"  # noqa: E731
    total = f"Total {hours(api['allocated']['total'])} {hours(api['planned'])} {hours(api['logged']['total'])} {hours(api['remaining'])}"
    assert total == "Total 350.0 h 265.5 h 49.75 h 300.25 h"
    assert total + " over-allocated" in page
    assert (
        "Over-allocated: Development/Implementation of the action plan: 265.5 h planned against 250.0 h "
        "allocated, 15.5 h more than allocated; 19.75 h logged so far, so 230.25 h of the allocation remain."
        in page
    )
    for row in api["by_pillar"]:
        assert f"{row['pillar']} {hours(row['planned'])} {hours(row['logged'])}" in page
    assert f"2025 350.0 h {hours(api['planned'])} {hours(api['logged']['total'])}" in page


def test_over_allocation_is_said_with_the_figures_of_the_table(viewer, iclei, session, users):
    """Planned over the allocation while hours remain, and management logged over its allocation:
    the sentence gives the table's figures, and never a planned figure for management ("—")."""
    plan = session.get(Plan, iclei)
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    guidelines = session.scalar(sa.select(Action).where(Action.code == "3.2.3"))
    f.budget(session, guidelines, 2025, "335")
    f.log(session, plan, editor, date(2025, 2, 3), "20", guidelines)
    for day in range(1, 8):
        f.log(session, plan, editor, date(2025, 3, day), "20", guidelines if day < 8 else None)
    for day in range(1, 6):
        f.log(session, plan, editor, date(2025, 4, day), "24", None)
    session.commit()
    page = text(viewer.get(f"/plans/{iclei}/dashboard?year=2025"))
    assert "Overall management 100.0 h — 120.0 h -20.0 h over-allocated" in page
    assert (
        "Development/Implementation of the action plan 250.0 h 335.0 h 160.0 h 90.0 h over-allocated" in page
    )
    sentence = (
        "Over-allocated: Overall management: 120.0 h logged against 100.0 h allocated, 20.0 h more than "
        "allocated. Development/Implementation of the action plan: 335.0 h planned against 250.0 h "
        "allocated, 85.0 h more than allocated; 160.0 h logged so far, so 90.0 h of the allocation remain."
    )
    assert sentence in page
    assert "0.0 h planned" not in page
    # The plan page shows the same table, and says the same.
    assert sentence in text(viewer.get(f"/plans/{iclei}?year=2025"))


def test_a_completed_action_that_is_late_says_why(viewer, iclei, session):
    """Completed beside late reads as one fact wherever late is shown."""
    webinar = session.scalar(sa.select(Action).where(Action.code == "3.2.6"))
    webinar.status = Status.COMPLETED
    session.commit()
    why = "Completed; the 2023, 2024 and 2025 occurrences are not marked done."
    action_page = text(viewer.get(f"/actions/{webinar.id}"))
    assert f"Status: ✔ completed ⚠ late {why}" in action_page
    listed = text(viewer.get(f"/plans/{iclei}/actions?late=1"))
    assert f"✔ completed ⚠ late {why}" in listed
    assert f"3.2.6 ICLEI member webinar ✔ completed ⚠ late {why}" in text(viewer.get(f"/plans/{iclei}"))
    dashboard = text(viewer.get(f"/plans/{iclei}/dashboard?year=2025"))
    assert f"3.2.6 ICLEI member webinar ✔ completed : {why}" in dashboard


def chart_urls(client, plan_id):
    html = client.get(f"/plans/{plan_id}/dashboard?year=2025").get_data(as_text=True)
    return dict(re.findall(r'src="(/plans/\d+/charts/([a-z-]+)\.svg[^"]*)"', html)[i][::-1] for i in range(3))


def test_each_chart_is_an_svg_with_a_text_alternative(viewer, iclei):
    html = viewer.get(f"/plans/{iclei}/dashboard?year=2025").get_data(as_text=True)
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html)
    assert len(images) == 3 and all(len(alt) > 40 for _src, alt in images)
    for src, _alt in images:
        response = viewer.get(src.replace("&amp;", "&"))
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data
    timeline = viewer.get(images[2][0].replace("&amp;", "&")).get_data(as_text=True)
    assert "3.4.2" in timeline and "upcoming" in timeline


def test_an_unchanged_plan_is_drawn_once_even_across_processes(
    app, viewer, iclei, database_url, tmp_path, users, monkeypatch, session
):
    drawn = []
    original = charts.status_by_pillar
    monkeypatch.setattr(charts, "status_by_pillar", lambda *a: drawn.append(1) or original(*a))
    url = f"/plans/{iclei}/charts/status-by-pillar.svg?year=2025"
    first = viewer.get(url).data
    assert viewer.get(url).data == first
    # Another worker process: another app on the same cache folder.
    other = make_app(database_url, tmp_path / "other", CACHE_DIR=app.config["CACHE_DIR"])
    other_client = other.test_client()
    other_client.post("/signin", data={"email": users["viewer"], "password": "correct horse battery staple"})
    assert other_client.get(url).data == first
    with other.app_context():
        db.engine.dispose()
    assert len(drawn) == 1
    # A change to the plan is a new version of its data: the chart is drawn again.
    action = session.scalar(sa.select(Action).where(Action.code == "3.2.4"))
    action.status = action.status.__class__("ongoing")
    session.commit()
    changed = viewer.get(url).data
    assert len(drawn) == 2 and changed != first


def test_workers_sharing_redis_draw_an_unchanged_chart_once(
    database_url,
    tmp_path,
    users,
    iclei,
    monkeypatch,
    redis_url,  # noqa: F811
):
    """Production: every worker on every host reads the chart the first one drew from Redis."""
    drawn = []
    original = charts.status_by_pillar
    monkeypatch.setattr(charts, "status_by_pillar", lambda *a: drawn.append(1) or original(*a))
    config = {"CACHE_URL": redis_url, "CACHE_KEY_PREFIX": f"tracker-test-{uuid.uuid4().hex}:"}
    workers = [make_app(database_url, tmp_path / name, **config) for name in ("one", "two")]
    url = f"/plans/{iclei}/charts/status-by-pillar.svg?year=2025"
    try:
        bodies = []
        for worker in workers:
            client = worker.test_client()
            client.post(
                "/signin", data={"email": users["viewer"], "password": "correct horse battery staple"}
            )
            bodies.append(client.get(url).data)
        assert bodies[0].startswith(b"<?xml") or b"<svg" in bodies[0]
        assert bodies[1] == bodies[0] and len(drawn) == 1
    finally:
        for worker in workers:
            with worker.app_context():
                cache.clear()
                db.engine.dispose()


def test_the_dashboards_queries_do_not_grow_with_the_plan(app, viewer, iclei, session, app_engine):
    url = f"/plans/{iclei}/dashboard?year=2025"

    def measure():
        with app.app_context():
            cache.clear()
        with f.count_statements(app_engine) as cold:
            viewer.get(url)
        with f.count_statements(app_engine) as warm:
            page = text(viewer.get(url))
        return len(cold), len(warm), page

    viewer.get(url)
    small_cold, small_warm, _page = measure()
    pillar = session.scalar(sa.select(Pillar).where(Pillar.plan_id == iclei, Pillar.position == 1))
    for n in range(40):
        action = f.action(session, pillar, f"3.1.{n + 20}")
        f.budget(session, action, 2025, "2")
    session.commit()
    large_cold, large_warm, page = measure()
    assert "◐ ongoing 50" in page
    # Cold: the plan, its lines, the roll-up, the hours of every year, the status as of the last
    # report, when each action last changed, the latest changes and their names, and how many
    # changes since the report: a fixed number, whatever the plan's size.
    assert small_cold == large_cold <= 20, (small_cold, large_cold)
    assert small_warm == large_warm <= 4, (small_warm, large_warm)


def test_a_change_shows_on_the_cached_dashboard_at_once(viewer, iclei, session):
    url = f"/plans/{iclei}/dashboard?year=2025"
    assert "✔ completed 2 " in text(viewer.get(url))
    gep = session.scalar(sa.select(Action).where(Action.code == "3.1.1"))
    gep.status = gep.status.__class__("completed")
    session.commit()
    assert "✔ completed 3 " in text(viewer.get(url))


def test_every_role_has_the_dashboard_and_a_viewer_can_change_nothing(client, auth, users, iclei):
    for role in ("viewer", "editor", "admin"):
        auth.login(users[role])
        assert 'href="/dashboard"' in client.get("/plans").get_data(as_text=True)
        auth.logout()
    auth.login(users["viewer"])
    assert client.get("/dashboard").location == f"/plans/{iclei}/dashboard"
    html = client.get(f"/plans/{iclei}/dashboard").get_data(as_text=True)
    forms = re.findall(r'<form method="(\w+)"', html)
    # Sign out, the year, the date to compare with; then the language (the person's own profile).
    assert forms == ["post", "get", "get", "post"]
    assert 'action="/language"' in html


def test_no_module_uses_pyplot():
    sources = Path(__file__).resolve().parents[2].joinpath("tracker").rglob("*.py")
    imports = re.compile(
        r"^\s*(import matplotlib\.pyplot|from matplotlib import pyplot|from matplotlib\.pyplot)", re.M
    )
    assert not [p.name for p in sources if imports.search(p.read_text())]


def test_the_timeline_draws_one_bar_an_action_in_its_status_colour():
    plan = SimpleNamespace(start_year=2023, end_year=2026, years=[2023, 2024, 2025, 2026])
    pillars = [SimpleNamespace(id=1, position=1, name="Organisation", label="1 Organisation")]
    statuses = [Status.COMPLETED] * 3 + [Status.ONGOING] * 2 + [Status.UPCOMING] * 4
    actions = [
        SimpleNamespace(
            id=i,
            pillar_id=1,
            position=i,
            start_year=2024,
            end_year=None,
            status=status,
            code=f"1.{i}",
            late=[],
        )
        for i, status in enumerate(statuses)
    ]
    labels = {**{s: s.value for s in Status}, "late": "late", "today": "today", "pillar": "Pillar"}
    svg = charts.timeline(plan, pillars, actions, labels, date(2025, 6, 30)).decode()
    # A bar's fill is its colour, or a hatch pattern laid over its colour.
    patterns = dict(re.findall(r'<pattern id="([^"]+)"[^>]*>\s*<rect [^>]*fill="(#[0-9a-f]+)"', svg))
    fills = re.findall(r'<path d="[^"]*"\s+clip-path="[^"]+" style="fill: ([^;]+); stroke: #222222', svg)
    colours = [patterns.get(fill[5:-1], fill) if fill.startswith("url(#") else fill for fill in fills]
    drawn = {status: colours.count(charts.STATUS_STYLE[status]["color"].lower()) for status in Status}
    assert drawn == {Status.COMPLETED: 3, Status.ONGOING: 2, Status.UPCOMING: 4}


MATH = "$x^$ and $\\frac{"


def test_user_text_with_dollars_is_drawn_as_plain_text_not_mathtext(viewer, iclei, session):
    pillar = session.scalar(sa.select(Pillar).where(Pillar.plan_id == iclei, Pillar.position == 1))
    pillar.name = MATH
    action = session.scalar(sa.select(Action).where(Action.plan_id == iclei, Action.code == "3.1.1"))
    action.code = "$3^$"
    session.commit()
    html = viewer.get(f"/plans/{iclei}/dashboard?year=2025").get_data(as_text=True)
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) == 3
    for src in images:
        response = viewer.get(src.replace("&amp;", "&"))
        assert response.status_code == 200 and b"<svg" in response.data
    drawn = [viewer.get(src.replace("&amp;", "&")).get_data(as_text=True) for src in images]
    # Text is kept as text, as it was drawn; pillars are drawn by number, their names (here the
    # dollars) are in the table beside each chart.
    assert "<text" in drawn[2] and "$3^$" in drawn[2]
    assert f"1 {MATH}" in text(viewer.get(f"/plans/{iclei}/dashboard?year=2025"))


def test_a_report_chart_draws_a_pillar_with_dollars():
    rows = [
        SimpleNamespace(pillar=SimpleNamespace(label="1 $x^$", position=1), counts=dict.fromkeys(Status, 1))
    ]
    labels = {**{s: s.value for s in Status}, "actions": "Actions $", "pillar": "Pillar $"}
    svg = charts.status_by_pillar(rows, labels).decode()
    assert "Pillar $" in svg and "Actions $" in svg
