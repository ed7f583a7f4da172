"""The gender group drafts, prints and publishes an assessment; the public reads it without an account."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in


def test_draft_print_publish_and_share_an_assessment(page, browser, live_server):
    page.goto("/signin")
    sign_in(page, email="editor@example.org")
    page.get_by_role("link", name="Plans").first.click()
    page.get_by_role("link", name="Gender Mainstreaming Action Plan 2023-2026").first.click()
    page.get_by_role("link", name="Assessment reports").click()
    expect(page.get_by_role("heading", name="Assessments", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Assessment year (the period is it and the year before)").fill("2026")
    page.get_by_role("button", name="Start the draft").click()

    expect(page.get_by_text("The draft is ready")).to_be_visible()
    page.get_by_label("Respondents").fill("38")
    page.get_by_label("Response rate (%)").fill("abc")
    page.get_by_label("Indicator 1", exact=True).fill("Staff who know the GEP")
    page.get_by_label("Value 1", exact=True).fill("78")
    page.get_by_label("Previous survey 1", exact=True).fill("55")
    page.get_by_label("Achievements").fill("Webinars every year with member cities.")
    page.get_by_role("button", name="Save the draft").click()
    error = page.locator("#response_rate-error")
    expect(error).to_contain_text("is not a number")
    expect(page.get_by_label("Response rate (%)")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Response rate (%)").fill("64")
    page.get_by_role("button", name="Save the draft").click()

    expect(page.get_by_role("heading", name="Assessment report 2025-2026", level=1)).to_be_visible()
    expect(page.get_by_text("Response rate: 64.0 %.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Staff who know the GEP"))).to_contain_text("+23.0")
    assert_accessible(page)
    # Printed, the page keeps the report and drops the navigation and the buttons.
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile("^Publish"))).to_be_hidden()
    expect(page.get_by_role("heading", name="Staff survey")).to_be_visible()
    page.emulate_media(media="screen")

    page.get_by_role("button", name=re.compile("^Publish")).click()
    # 2025-2026 has not ended: the tracker asks first, on a page of its own, saying so.
    expect(page.get_by_role("heading", name="Publish Assessment report 2025-2026?")).to_be_visible()
    expect(page.get_by_text("it has not ended yet")).to_be_visible()
    expect(page.get_by_text("A published report cannot be unpublished, edited or deleted.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Publish now, before the period ends").click()
    expect(page.get_by_text("This report is frozen")).to_be_visible()
    expect(page.get_by_text("Published before its period ended (on 2026-12-31)")).to_be_visible()
    checksum = page.locator("code.checksum").first.inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", checksum)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    sign_in(page, email="admin@example.org")
    page.get_by_role("link", name="Plans").first.click()
    page.get_by_role("link", name="Gender Mainstreaming Action Plan 2023-2026").first.click()
    page.get_by_role("link", name="Assessment reports").click()
    expect(page.get_by_role("row", name=re.compile("Assessment report 2025-2026"))).to_contain_text(checksum)
    page.get_by_role("link", name="Assessment report 2025-2026", exact=True).click()
    page.get_by_role("button", name="Make it public at a link").click()
    link = page.get_by_role("link", name=re.compile("public.reports")).get_attribute("href")

    stranger = browser.new_context(base_url=live_server.url)
    public = stranger.new_page()
    public.goto(link)
    expect(public.get_by_role("heading", name="Assessment report 2025-2026", level=1)).to_be_visible()
    expect(public.get_by_text("Webinars every year with member cities.")).to_be_visible()
    expect(public.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(public)

    page.get_by_role("button", name="Make it private and close the link").click()
    expect(page.get_by_text("The report is private; its link is closed.")).to_be_visible()
    response = public.goto(link)
    assert response.status == 404
    stranger.close()
