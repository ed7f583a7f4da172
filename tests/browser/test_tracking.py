"""The gender group's journeys in a real browser, with axe-core on every page they pass."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in


def open_action(page, title):
    page.get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def test_find_filter_sort_and_change_several_statuses(page):
    page.goto("/signin")
    sign_in(page, email="editor@example.org")
    page.get_by_role("link", name="Find and update actions").click()
    expect(page.get_by_text("17 of 17 actions.")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Status", exact=True).select_option("upcoming")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=upcoming"))
    expect(page.locator("table.actions tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Action", exact=True).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Action")

    page.get_by_label("Choose 3.1.7").check()
    page.get_by_label("Choose 3.3.2").check()
    page.get_by_label("New status for the ticked actions").select_option("ongoing")
    page.get_by_label("Note for all of them").fill("Started after the spring retreat")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("2 actions are now ongoing.")).to_be_visible()
    expect(page.get_by_text("0 of 17 actions.")).to_be_visible()
    assert_accessible(page)


def test_status_occurrence_and_history_on_the_action_page(page):
    page.goto("/signin")
    sign_in(page, email="editor@example.org")
    open_action(page, "ICLEI member webinar")
    assert_accessible(page)
    page.get_by_role("button", name="Mark 2024 done").click()
    expect(page.get_by_text("The 2024 occurrence is marked done.")).to_be_visible()
    occurrences = page.get_by_role("region", name="Occurrences")
    expect(occurrences.get_by_role("row", name=re.compile("^2024"))).to_contain_text("done")

    page.get_by_label("New status").select_option("completed")
    page.get_by_label("Note").first.fill("Series handed over to the network team")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("3.2.6 is now completed.")).to_be_visible()
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("changed status from “ongoing” to “completed”")
    expect(history).to_contain_text("Series handed over to the network team")
    assert_accessible(page)


def test_log_correct_and_delete_hours(page):
    page.goto("/signin")
    sign_in(page, email="editor@example.org")
    page.get_by_role("link", name="Log hours").click()
    page.get_by_label("Date").fill("2025-03-14")
    page.get_by_label("Hours").fill("30")
    page.get_by_label("Spent on").select_option(label="3.2.3 Gender Guidelines for Project Work")
    page.get_by_role("button", name="Log the hours").click()
    expect(page.locator("#hours-error")).to_contain_text("must be at most 24 in one entry")
    expect(page.get_by_label("Hours")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Hours").fill("2.5")
    page.get_by_role("button", name="Log the hours").click()
    expect(page.get_by_text("2.5 h logged on 2025-03-14.")).to_be_visible()

    page.get_by_role("link", name="My hours").click()
    expect(page.get_by_role("heading", name=re.compile("^Hours of Elena Rossi"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Correct the entry of 2025-03-14").first.click()
    page.get_by_label("Hours").fill("3")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("The entry is corrected.")).to_be_visible()
    page.get_by_role("button", name="Delete the entry of 2025-03-14").first.click()
    # Nothing is deleted on one click: a page says what will happen, and asks.
    expect(page.get_by_role("heading", name="Delete the entry of 2025-03-14?")).to_be_visible()
    expect(page.get_by_text(re.compile("The entry of 3.0 h on 2025-03-14 by Elena Rossi"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Delete the entry of 2025-03-14").click()
    expect(page.get_by_text("The entry is deleted; the history keeps what it was.")).to_be_visible()


def test_edit_and_add_actions(page):
    page.goto("/signin")
    sign_in(page, email="editor@example.org")
    open_action(page, "Internal collaboration")
    page.get_by_role("link", name="Edit the action").click()
    page.get_by_label("Title").fill("")
    page.get_by_label("Planned hours 2026").fill("-3")
    page.get_by_role("button", name="Save the action").click()
    expect(page.locator("#title-error")).to_contain_text("must not be empty")
    expect(page.locator("#planned_2026-error")).to_contain_text("must be 0 or more")
    assert_accessible(page)
    page.get_by_label("Title").fill("Internal collaboration across secretariats")
    page.get_by_label("Planned hours 2026").fill("12.5")
    page.get_by_role("button", name="Save the action").click()
    expect(page.get_by_text("3.1.4 is saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "3.1.4 Internal collaboration across secretariats"
    )

    page.get_by_role("link", name="Gender Mainstreaming Action Plan 2023-2026").click()
    page.get_by_role("link", name="Add an action to Communication").click()
    page.get_by_label("Code").fill("3.2.7")
    page.get_by_label("Title").fill("Gender-sensitive events checklist")
    page.get_by_label("End year (leave empty when open)").fill("2026")
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_text("3.2.7 is added to Communication.")).to_be_visible()


def test_two_people_edit_one_action_and_nothing_is_lost(page, browser, live_server):
    page.goto("/signin")
    sign_in(page, email="editor@example.org")
    open_action(page, "External collaboration")
    page.get_by_role("link", name="Edit the action").click()

    other = browser.new_context(base_url=live_server.url).new_page()
    other.goto("/signin")
    sign_in(other, email="editor2@example.org")
    open_action(other, "External collaboration")
    other.get_by_role("link", name="Edit the action").click()
    other.get_by_label("Title").fill("External collaboration with gender networks")
    other.get_by_role("button", name="Save the action").click()
    expect(other.get_by_text("3.1.5 is saved.")).to_be_visible()
    other.context.close()

    page.get_by_label("Title").fill("External collaboration and advocacy")
    page.get_by_role("button", name="Save the action").click()
    conflict = page.get_by_role("region", name="Someone else saved this action while you were editing")
    expect(conflict.get_by_role("row", name=re.compile("^Title"))).to_contain_text(
        "External collaboration with gender networks"
    )
    expect(conflict.get_by_role("row", name=re.compile("^Title"))).to_contain_text(
        "External collaboration and advocacy"
    )
    expect(page.get_by_label("Title")).to_have_value("External collaboration and advocacy")
    assert_accessible(page)


def test_an_admin_manages_the_plan_and_archives_an_action(page):
    page.goto("/signin")
    sign_in(page, email="admin@example.org")
    page.get_by_role("link", name="Manage plans").click()
    assert_accessible(page)
    page.get_by_role("link", name="Gender Mainstreaming Action Plan 2023-2026").click()
    assert_accessible(page)
    page.get_by_role("button", name="Move Monitoring and evaluation up").click()
    expect(page.get_by_text("Monitoring and evaluation is moved.")).to_be_visible()
    page.get_by_label("Year", exact=True).fill("2024")
    page.get_by_label("Name", exact=True).fill("Implementation")
    page.get_by_label("Hours", exact=True).fill("abc")
    page.get_by_role("button", name="Add the line").click()
    expect(page.locator("#new-line-hours-error")).to_contain_text("is not a number")
    assert_accessible(page)
    page.get_by_label("Hours", exact=True).fill("240")
    page.get_by_role("button", name="Add the line").click()
    expect(page.get_by_text("2024: Implementation, 240.00 h, is added.")).to_be_visible()

    page.goto("/")
    open_action(page, "Gender training for management")
    page.get_by_role("button", name=re.compile("^Archive 3.3.2")).click()
    expect(page.get_by_role("heading", name="Archive 3.3.2?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Archive 3.3.2", exact=True).click()
    expect(page.get_by_text("3.3.2 is archived; its hours and history are kept.")).to_be_visible()
    expect(page.get_by_role("link", name="Gender training for management")).to_have_count(0)

    # An admin finds it under Manage plans and brings it back.
    page.get_by_role("link", name="Manage plans").click()
    page.get_by_role("link", name="Gender Mainstreaming Action Plan 2023-2026").click()
    expect(page.get_by_role("row", name=re.compile("3.3.2 Gender training for management"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Restore 3.3.2").click()
    expect(
        page.get_by_text("3.3.2 is restored: it is back in the plan and can change again.")
    ).to_be_visible()
    expect(page.get_by_text("No archived actions.")).to_be_visible()
