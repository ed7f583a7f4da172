"""Management reads the dashboard in a real browser; axe-core finds nothing to fix."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in


def test_a_viewer_reads_the_dashboard_and_can_change_nothing(page):
    page.goto("/signin")
    sign_in(page, email="viewer@example.org")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    assert_accessible(page)

    # Choosing a year shows it at once: the script sends the form, its button is not needed.
    expect(page.get_by_role("button", name="Show")).to_be_hidden()
    page.get_by_label("Year", exact=True).select_option("2025")
    expect(page).to_have_url(re.compile(r"/dashboard\?year=2025"))
    hours = page.get_by_role("region", name="Allocation lines in 2025")
    expect(hours.get_by_role("row", name=re.compile("^Total"))).to_contain_text("350.0 h")
    for name in ("Status by pillar", "Hours in every year of the plan", "Timeline"):
        region = page.get_by_role("region", name=name)
        image = region.get_by_role("img")
        expect(image).to_have_attribute("alt", re.compile(r".{40,}"))
        # The chart really loaded: an SVG the browser could draw (the first view draws it).
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=20_000
        )
    late = page.get_by_role("region", name=re.compile("^Late actions"))
    late.get_by_role("link", name=re.compile("3.1.1")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("3.1.1")
    # A viewer sees the action, but no form to change it.
    expect(page.get_by_role("button", name="Change status")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit the action")).to_have_count(0)
    assert_accessible(page)
