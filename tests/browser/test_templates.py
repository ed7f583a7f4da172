"""Starting a plan from a template in a real browser; axe-core checks every page on the way."""

import json
import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in

OURS = {
    "name": "Our two pillars",
    "pillars": [
        {"name": "Leadership", "guidance": "Win the board's commitment."},
        {"name": "Staff", "guidance": "Recruit and train with gender in mind."},
    ],
}


def test_an_admin_adds_a_template_and_starts_a_plan_from_the_cib_toolkit(page):
    page.goto("/signin")
    sign_in(page, email="admin@example.org")
    page.goto("/admin/plans")
    page.get_by_role("link", name="Plan templates").click()
    expect(
        page.get_by_role("heading", name="CIB Gender Mainstreaming Toolkit: five sections")
    ).to_be_visible()
    assert_accessible(page)

    bad = {"name": "Our two pillars", "pillars": [{"name": "Leadership"}]}
    page.get_by_label("Template file (.json)").set_input_files(
        files=[{"name": "ours.json", "mimeType": "application/json", "buffer": json.dumps(bad).encode()}]
    )
    page.get_by_role("button", name="Add the template").click()
    expect(page.get_by_text("pillar 1: field 'guidance': must not be empty")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Template file (.json)").set_input_files(
        files=[{"name": "ours.json", "mimeType": "application/json", "buffer": json.dumps(OURS).encode()}]
    )
    page.get_by_role("button", name="Add the template").click()
    expect(page.get_by_text("The template Our two pillars is added")).to_be_visible()
    expect(page.get_by_role("heading", name="Our two pillars")).to_be_visible()

    page.goto("/admin/plans")
    page.get_by_label("Title").fill("LGA gender plan 2026-2028")
    page.get_by_label("First year").fill("2026")
    page.get_by_label("Last year").fill("2028")
    page.get_by_label("Start from").select_option(
        label="CIB Gender Mainstreaming Toolkit: five sections (5 pillars)"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Create the plan").click()
    expect(page.get_by_text("The plan is created with the 5 pillars")).to_be_visible()
    expect(page.get_by_label("Guidance of pillar 5")).to_have_value(re.compile("^Implement gender equality"))
    assert_accessible(page)

    page.get_by_role("link", name="LGA gender plan 2026-2028").click()
    expect(page.get_by_role("heading", name="4 Internal Operations")).to_be_visible()
    expect(page.get_by_text("Develop robust internal gender mainstreaming policies")).to_be_visible()
    assert_accessible(page)
