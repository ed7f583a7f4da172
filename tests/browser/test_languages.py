"""One full journey in French and in Spanish: choose the language on the sign-in page, sign in,
read the dashboard, log hours (typed with the language's decimal comma), change a status; axe-core
on every page. The words are the catalogues' (tracker/translations), so the journey reads
whatever the translators wrote; the page must also be in the language (``lang``), and no English
word of the interface may be left on it (tests/core/test_catalogues.py scans every page).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask_babel import force_locale
from flask_babel import gettext as gettext_
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import DEMO_PASSWORD
from tracker.core.formatting import format_hours


@pytest.mark.parametrize("language", ["fr", "es"])
def test_a_journey_in_french_and_in_spanish(page, live_app, language):
    def _(message, **values):
        with live_app.test_request_context(), force_locale(language):
            return gettext_(message, **values)

    def hours(value):
        with live_app.test_request_context(), force_locale(language):
            return format_hours(Decimal(value))

    page.goto("/signin")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", name=_("Sign in"))).to_be_visible()
    assert_accessible(page)

    page.get_by_label(_("Email")).fill("editor@example.org")
    page.get_by_label(_("Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=_("Sign in")).click()
    expect(page.locator("html")).to_have_attribute("lang", language)

    page.get_by_role("link", name=_("Dashboard"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/plans/\d+/dashboard"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)

    page.goto("/")
    page.get_by_role("link", name=_("Log hours")).first.click()
    page.get_by_label(_("Date")).fill("2025-03-14")
    page.get_by_label(_("Hours"), exact=True).fill("2,5")  # the decimal comma of French and Spanish
    page.get_by_label(_("Spent on")).select_option(label="3.2.3 Gender Guidelines for Project Work")
    page.get_by_role("button", name=_("Log the hours")).click()
    expect(
        page.get_by_text(_("%(hours)s logged on %(date)s.", hours=hours("2.5"), date="2025-03-14"))
    ).to_be_visible()
    assert_accessible(page)

    page.goto("/")
    page.get_by_role("link", name="ICLEI member webinar", exact=True).first.click()
    page.get_by_label(_("New status")).select_option("completed")
    page.get_by_role("button", name=_("Change status")).click()
    expect(
        page.get_by_text(_("%(code)s is now %(status)s.", code="3.2.6", status=_("completed")))
    ).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)
