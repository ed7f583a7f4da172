"""A manager's meeting in a real browser: the year's position from the first screen, what changed
since the last report, the dashboard printed; axe-core at a desktop's and a phone's width."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, assert_accessible
from tests.browser.test_journeys import sign_in
from tracker.accounts.models import User
from tracker.assessments import report
from tracker.assessments.models import Assessment
from tracker.core.extensions import db
from tracker.history.recording import set_actor, set_clock
from tracker.plans.editing import change_status
from tracker.plans.models import Action, Status
from tracker.workbooks.assessment_workbook import build_assessment_workbook

PUBLISHED = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)
CHANGED = datetime(2026, 10, 15, 11, 0, tzinfo=UTC)
SCREEN = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def meeting(live_app, monkeypatch):
    """The demo plan with its 2024-2025 report published on 30 Sep 2026, and one action completed
    after it (15 Oct 2026, by Elena Rossi)."""
    with live_app.app_context():
        session = db.session
        assessment = session.scalar(sa.select(Assessment))
        editor = session.scalar(sa.select(User).where(User.email == "editor@example.org"))
        monkeypatch.setattr(report, "utcnow", lambda: PUBLISHED)
        set_actor(session, editor.id)
        set_clock(session, PUBLISHED)
        report.publish(
            session,
            assessment,
            Path(live_app.config["REPORTS_DIR"]),
            by=editor,
            today=date(2026, 11, 23),
            version=assessment.version,
            build_workbook=build_assessment_workbook,
        )
        session.commit()
        action = session.scalar(sa.select(Action).where(Action.code == "3.2.4"))
        set_actor(session, editor.id)
        set_clock(session, CHANGED)
        change_status(
            session,
            action,
            status=Status.COMPLETED,
            note="Guide printed.",
            version=action.version,
            as_of=None,
            today=date(2026, 11, 23),
        )
        session.commit()
        set_clock(session, None)
        set_actor(session, None)
        return editor.name


def visible_text(locator) -> str:
    return re.sub(r"\s+", " ", locator.inner_text()).strip()


def above_the_fold(page, locator, height: int = SCREEN["height"]) -> None:
    """The element is in the first screen: its bottom edge within ``height`` px of the top."""
    box = locator.bounding_box()
    assert box is not None, "not displayed"
    assert box["y"] + box["height"] <= height, (
        f"{visible_text(locator)[:60]!r} ends at {box['y'] + box['height']:.0f} px"
    )


def chart_text_sizes(page) -> list[tuple[str, float]]:
    """The smallest text of each chart as displayed, in CSS px: the SVG's font sizes scaled by the
    ratio of the image's shown width to the SVG's own."""
    sizes = []
    for image in page.locator("figure img").all():
        src = image.get_attribute("src")
        svg = page.request.get(src).text()
        view_width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
        fonts = [float(size) for size in re.findall(r"font-size: ([\d.]+)px", svg)]
        assert fonts, f"{src}: no text kept as text: {re.findall('<text[^>]*>', svg)[:2]}"
        shown = image.evaluate("(img) => img.getBoundingClientRect().width")
        sizes.append((src, min(fonts) * shown / view_width))
    return sizes


def pdf_pages(page, name: str) -> int:
    """The page printed to A4 PDF (kept in the test's output as ``name``.pdf), and its number
    of pages."""
    ARTIFACTS.mkdir(exist_ok=True)
    data = page.pdf(format="A4", print_background=True, path=str(ARTIFACTS / f"{name}.pdf"))
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))


def test_a_managers_meeting(page, meeting, capsys):
    editor = meeting
    page.set_viewport_size(SCREEN)
    page.goto("/signin")
    sign_in(page, email="viewer@example.org")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.wait_for_load_state("networkidle")

    # The first screen answers "where do we stand this year?".
    standing = page.get_by_role("region", name="Where the plan stands")
    table = standing.get_by_role("table")
    above_the_fold(page, table)
    rows = {
        visible_text(row.locator("th")).split(" ")[-1]: [visible_text(c) for c in row.locator("td").all()]
        for row in table.locator("tbody tr").all()
    }
    assert set(rows) == {"completed", "ongoing", "upcoming", "late"}
    assert "since the last report (30 Sep 2026)" in visible_text(table.locator("caption"))
    # 3.2.4 was completed after the report: one more completed, one fewer ongoing.
    assert rows["completed"][1] == "+1" and rows["ongoing"][1] == "−1"
    hours = page.get_by_role("region", name="Hours in 2026")
    gone = hours.locator(".year-gone")
    above_the_fold(page, gone)
    # 23 Nov 2026 is day 327 of 365.
    expect(gone).to_contain_text("89.6 % of the year gone")
    above_the_fold(page, hours.get_by_role("row", name=re.compile("^Overall management")))
    above_the_fold(page, hours.get_by_role("row", name=re.compile("^4 Monitoring")))
    attention = page.get_by_role("region", name="Needs attention")
    above_the_fold(page, attention.locator("ul"))
    expect(attention).to_contain_text(re.compile(r"\d+ late actions"))
    expect(attention).to_contain_text("not updated for 90 days or more")
    first_screen = {
        "standing": rows,
        "hours": visible_text(gone),
        "attention": [visible_text(item) for item in attention.locator("li").all()],
    }
    # Charts are legible at the size they are shown: no text under 11 px.
    for src, size in chart_text_sizes(page):
        assert size >= 11, f"{src}: text of {size:.1f} px"
    assert_accessible(page)
    ARTIFACTS.mkdir(exist_ok=True)
    shots = {}
    shots["1280"] = ARTIFACTS / "dashboard-1280.png"
    page.screenshot(path=str(shots["1280"]))
    shots["1280-full"] = ARTIFACTS / "dashboard-1280-full.png"
    page.screenshot(path=str(shots["1280-full"]), full_page=True)

    # Comparing with another date: the figures say the change since then.
    page.get_by_label("Compare with", exact=True).fill("2026-10-20")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"since=2026-10-20"))
    expect(standing.get_by_role("table").locator("caption")).to_contain_text("since 20 Oct 2026")
    expect(standing.get_by_role("row", name=re.compile("completed"))).to_contain_text("0")
    page.go_back()

    # Choosing a year needs no extra click.
    page.get_by_label("Year", exact=True).select_option("2025")
    expect(page).to_have_url(re.compile(r"/dashboard\?year=2025"))
    expect(page.get_by_role("region", name="Hours in 2025")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("region", name="Hours in 2026")).to_be_visible()

    # What changed since the last report.
    page.get_by_role("link", name="What changed since the last report").click()
    expect(page).to_have_url(re.compile(r"/history\?since=2026-09-30"))
    expect(page.get_by_role("heading", level=1)).to_have_text("What changed")
    expect(page.get_by_label("Since")).to_have_value("2026-09-30")
    changes = page.locator("ol.change-list li")
    expect(changes.filter(has_text="status changed")).to_have_text(
        re.compile(
            rf"^3\.2\.4 .+: status changed from ongoing to completed, {editor}, 15 Oct 2026 Guide printed\.$"
        )
    )
    assert_accessible(page)
    shots["history-1280"] = ARTIFACTS / "history-1280.png"
    page.screenshot(path=str(shots["history-1280"]))
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    # At a phone's width: nothing scrolls sideways, charts stay legible, axe passes.
    page.wait_for_load_state("networkidle")
    # The site's header is the page layout's concern (#13 item 3); the dashboard's content fits.
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll'))
        .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )
    assert not wide, wide[:15]
    for src, size in chart_text_sizes(page):
        assert size >= 11, f"{src} at 390 px: text of {size:.1f} px"
    assert_accessible(page)
    shots["390"] = ARTIFACTS / "dashboard-390.png"
    page.screenshot(path=str(shots["390"]), full_page=True)

    # Printed, the dashboard fits on two A4 pages, without controls.
    page.set_viewport_size(SCREEN)
    page.emulate_media(media="print")
    assert page.get_by_label("Year", exact=True).is_hidden()
    assert page.get_by_role("link", name="What changed since the last report").is_hidden()
    printed = {"dashboard": pdf_pages(page, "dashboard-print")}
    page.emulate_media(media="screen")
    assert printed["dashboard"] <= 2

    # The plan page and the action list print as tables, their headers repeated on every page.
    plan_url = page.url.split("/dashboard")[0]
    for name, url in (("plan", plan_url), ("action list", plan_url + "/actions")):
        page.goto(url)
        page.emulate_media(media="print")
        heads = page.locator("thead").all()
        assert heads, f"{name}: no table"
        assert all(
            head.evaluate("(h) => getComputedStyle(h).display") == "table-header-group" for head in heads
        )
        # Every row prints; no control does.
        rows = page.locator("tbody tr")
        assert rows.count() >= 17 and all(row.is_visible() for row in rows.all()), name
        assert all(not control.is_visible() for control in page.locator("select, button, input").all()), name
        printed[name] = pdf_pages(page, name.replace(" ", "-") + "-print")
        page.emulate_media(media="screen")

    with capsys.disabled():
        print("\nfirst screen at 1280x800:", first_screen)
        print("printed A4 pages:", printed)
        for key, path in shots.items():
            print(f"screenshot {key}: {path}")
