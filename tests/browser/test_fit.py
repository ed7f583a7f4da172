"""Every page fits at 1280 px and at 390 px: no sideways scroll of the page, no table wider than
its box and the navigation on one line on a wide screen, every input wide enough to show what is
typed, and axe-core at both.

The pages are one table of URLs per role; add a page by adding its URL. ``{plan}``, ``{action}``
and the others are filled in from the ICLEI plan and the demo data.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tracker.accounts.models import User
from tracker.assessments.models import Assessment
from tracker.core.extensions import db
from tracker.hours.models import TimeEntry
from tracker.plans.models import Action, Pillar, Plan

WIDTHS = (1280, 390)

# What every signed-in person reads.
READ = [
    "/",
    "/plans",
    "/plans/{plan}",
    "/plans/{plan}/actions",
    "/plans/{plan}/actions?late=1&sort=logged&dir=desc",
    "/actions/{action}",
    "/plans/{plan}/assessments",
    "/assessments/{assessment}",
    "/people/{me}",
    "/account/password",
    "/account/two-step",
    "/plans/{plan}/history",
    "/plans/{plan}/history?since=2025-01-01&kind=all",
    "/networks",
]
# The dashboard's layout is #13 item 1; it is checked on its own below.
DASHBOARD = ["/dashboard", "/plans/{plan}/dashboard?year=2025"]
PAGES = {
    "anonymous": ["/signin"],
    "viewer": READ,
    "editor": [
        *READ,
        "/plans/{plan}/hours/new",
        "/hours/{entry}/edit",
        "/actions/{action}/edit",
        "/pillars/{pillar}/actions/new",
        "/assessments/{assessment}/edit",
    ],
    "admin": [
        "/people/{someone}",
        "/admin/users",
        "/admin/users/new",
        "/admin/users/{someone}/password",
        "/admin/tokens",
        "/admin/security",
        "/admin/plans",
        "/admin/plans/{plan}",
        "/admin/plans/import",
        "/admin/plans/templates",
    ],
}

# The width of 8 characters ("0") in the element's own font, against its inner width.
FIT = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) problems.push(`the page is ${root.scrollWidth} px wide`);
  const canvas = document.createElement("canvas").getContext("2d");
  const fields = document.querySelectorAll(
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit]), select, textarea");
  for (const field of fields) {
    const box = field.getBoundingClientRect();
    if (!box.width || getComputedStyle(field).visibility === "hidden") continue;
    const style = getComputedStyle(field);
    canvas.font = style.font;
    const eight = canvas.measureText("00000000").width;
    const inner = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (inner + 0.5 < eight) problems.push(`#${field.id || field.name} shows ${Math.round(inner)} px, 8 characters need ${Math.round(eight)}`);
  }
  if (root.clientWidth >= 1000) {
    // One line: every item of the navigation crosses one horizontal line.
    const items = [...document.querySelectorAll(".site-header nav li")].map(li => li.getBoundingClientRect());
    if (items.length && Math.max(...items.map(b => b.top)) >= Math.min(...items.map(b => b.bottom)))
      problems.push("the navigation wraps onto a second line");
    for (const table of document.querySelectorAll("table")) {
      const box = table.parentElement;
      if (table.offsetWidth > box.clientWidth + 1)
        problems.push(`a table (${(table.caption?.textContent || table.className).trim().slice(0, 60)}) is ${table.offsetWidth} px in a ${box.clientWidth} px box`);
    }
  }
  return problems;
}"""


@pytest.fixture
def ids(live_app):
    """The records the URLs name."""
    with live_app.app_context():
        session = db.session
        plan = session.scalar(sa.select(Plan))
        person = {
            role: session.scalar(sa.select(User).where(User.email == f"{role}@example.org")).id
            for role in ("viewer", "editor", "admin")
        }
        return {
            "plan": plan.id,
            "pillar": session.scalar(sa.select(Pillar.id).where(Pillar.plan_id == plan.id)),
            "action": session.scalar(sa.select(Action.id).where(Action.code == "3.2.6")),
            "assessment": session.scalar(sa.select(Assessment.id)),
            "entry": session.scalar(
                sa.select(TimeEntry.id).where(TimeEntry.user_id == person["editor"]).order_by(TimeEntry.id)
            ),
            "someone": person["editor"],
            "person": person,
        }


def check_pages(page, role: str, urls: list[str], ids: dict, width: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": 800})
    if role != "anonymous":
        page.goto("/signin")
        sign_in(page, email=f"{role}@example.org")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    found = []
    for template in urls:
        url = template.format(**ids, me=ids["person"].get(role))
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        found += [f"{role} {url} at {width} px: {problem}" for problem in page.evaluate(FIT)]
        assert_accessible(page)
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", PAGES)
def test_every_page_fits_and_passes_axe(page, ids, role, width):
    problems = check_pages(page, role, PAGES[role], ids, width)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_dashboard_fits_and_passes_axe(page, ids, width):
    problems = check_pages(page, "viewer", DASHBOARD, ids, width)
    assert not problems, "\n".join(problems)
