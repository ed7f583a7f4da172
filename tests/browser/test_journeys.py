"""Reading the plan in a real browser, by keyboard, with axe-core checking every page."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tracker.cli.seeding import DEMO_PASSWORD


def sign_in(page, email="viewer@example.org", password=DEMO_PASSWORD):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_read_the_plan_and_an_action(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin\?next=/"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page)

    sign_in(page, password="wrong password entirely")
    expect(page.get_by_text("The email or password is not right.")).to_be_visible()
    assert_accessible(page)

    sign_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Gender Mainstreaming Action Plan 2023-2026")
    for pillar in [
        "1 Organisational actions",
        "2 Communication",
        "3 Training and capacity-building",
        "4 Monitoring and evaluation",
    ]:
        expect(page.get_by_role("heading", name=pillar)).to_be_visible()
    expect(page.locator("table.actions tbody tr")).to_have_count(17)
    row = page.get_by_role("row").filter(has_text="3.3.1")
    expect(row).to_contain_text("completed")
    assert_accessible(page)

    page.get_by_label("Year", exact=True).select_option("2025")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"year=2025"))
    expect(page.get_by_role("heading", name="Hours in 2025")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^Total"))).to_contain_text("350.0 h")

    page.get_by_role("link", name="ICLEI member webinar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("3.2.6 ICLEI member webinar")
    occurrences = page.get_by_role("region", name="Occurrences")
    expect(occurrences.get_by_role("row", name=re.compile("^2025"))).to_contain_text("done")
    expect(occurrences.get_by_role("row", name=re.compile("^2024"))).to_contain_text("not done")
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Elena Rossi: marked the 2025 occurrence done")
    expect(history.get_by_text("Webinar held with 3 member cities.")).to_be_visible()
    assert_accessible(page)

    page.goto("/plans")
    assert_accessible(page)
    page.goto("/plans/999999")
    expect(page.get_by_role("heading", name="Not Found")).to_be_visible()
    assert_accessible(page)


def test_the_keyboard_reaches_the_skip_link_first_and_it_shows(page):
    page.goto("/signin")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to content")
    box = focused.bounding_box()
    assert box is not None and box["x"] >= 0, "the focused skip link must be on screen"


def test_sign_out_means_out_even_with_a_copied_cookie(page, browser, live_server):
    page.goto("/signin")
    sign_in(page, email="editor@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gender Mainstreaming Action Plan 2023-2026")
    copied = page.context.cookies()
    assert any(cookie["name"] == "session" for cookie in copied)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    other = browser.new_context(base_url=live_server.url)
    other.add_cookies(copied)
    stolen = other.new_page()
    stolen.goto("/")
    expect(stolen).to_have_url(re.compile(r"/signin"))
    expect(stolen.get_by_role("heading", name="Sign in")).to_be_visible()
    other.close()


def test_an_admin_adds_a_user_and_a_token_by_keyboard_and_screen_reader_labels(page):
    page.goto("/signin")
    sign_in(page, email="admin@example.org")
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Add a user").or_(page.get_by_role("link", name="Add a user")).click()
    page.get_by_label("Email").fill("maria@example.org")
    page.get_by_label("Name").fill("Maria Lopez")
    page.get_by_label("Role").select_option("editor")
    page.get_by_label("First password").fill("qwerty123456")
    page.get_by_role("button", name="Add the user").click()
    # The error sits next to its field and is announced with it.
    error = page.locator("#password-error")
    expect(error).to_contain_text("is one of the most common passwords")
    expect(page.get_by_label("First password")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("First password").fill("a sunny afternoon in Freiburg")
    page.get_by_role("button", name="Add the user").click()
    expect(page.get_by_text("Maria Lopez can now sign in as editor.")).to_be_visible()

    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("User", exact=True).select_option(label="Victor Mensah <viewer@example.org>")
    page.get_by_label("Purpose").fill("Power BI")
    page.get_by_role("button", name="Create a token").click()
    expect(page.locator("#new-token")).to_contain_text("gap_")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Revoke token")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Revoke token \d+\?"))).to_be_visible()
    expect(page.get_by_text(re.compile("every call with it gets 401 from now on"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Revoke token")).click()
    expect(page.get_by_text("The token is revoked.")).to_be_visible()

    # What was just done is in the security log, which filters by kind of event.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Security log").click()
    expect(page.get_by_role("heading", name="Security log")).to_be_visible()
    revoked = page.get_by_role("row", name=re.compile("API token revoked"))
    expect(revoked).to_contain_text("Victor Mensah")
    expect(revoked).to_contain_text("by ")
    assert_accessible(page)
    page.get_by_label("Event").select_option(label="User created")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("1 event.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("User created"))).to_contain_text("Maria Lopez")
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Amira Haddad")).click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    assert_accessible(page)
