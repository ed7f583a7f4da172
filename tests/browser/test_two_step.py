"""Two-step sign-in in a real browser: set up from the account page, then sign in with a code."""

from datetime import UTC, datetime, timedelta

import pyotp
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in


def code(secret: str, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps))


def test_set_up_two_step_sign_in_and_sign_in_with_a_code(page):
    page.goto("/signin")
    sign_in(page, email="editor@example.org")
    page.get_by_role("link", name="Elena Rossi").click()
    page.get_by_role("link", name="Two-step sign-in").click()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code holding the key shown below as text")).to_be_visible()
    assert_accessible(page)
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(
        "000000" if code(secret) != "000000" else "111111"
    )
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator("#code-error")).to_contain_text("This code is not right")
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app").fill(code(secret))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_text("Two-step sign-in is on: each sign-in now asks for a code")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    sign_in(page, email="editor@example.org")
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app").fill(code(secret, 1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto("/account/confirm")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_label("Code from your authenticator app")).to_be_visible()
    assert_accessible(page)
