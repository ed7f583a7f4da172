"""A network in a real browser: a coordinator reads the roll-up, a member shares its plan on its
admin page, an outsider finds nothing; axe-core finds nothing to fix on the new pages."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.conftest import clear_database, make_app
from tracker.accounts.models import Organisation, Region
from tracker.accounts.services import create_user, hash_password
from tracker.cli.seeding import DEMO_PASSWORD, load_demo, load_demo_network, load_plan
from tracker.core.extensions import db
from tracker.core.permissions import Role

NETWORK = "UCLG CIB Working Group (demo)"
SILENT = "League of Coastal Cities (demo)"


@pytest.fixture
def live_app(database_url, tmp_path):
    """The demo data with its network, and an outsider organisation with an admin."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        today = date.fromisoformat(app.config["TODAY"])
        plan = load_plan(db.session).plan
        load_demo(db.session, plan, today)
        load_demo_network(db.session, plan, today, hash_password(DEMO_PASSWORD))
        outsider = Organisation(
            name="Outsider Town", country="Norway", region=Region.NORTH_AMERICA_AND_EUROPE
        )
        db.session.add(outsider)
        create_user(
            db.session,
            email="outsider@example.org",
            name="Otto Outsider",
            role=Role.ADMIN,
            password="",
            organisation=outsider,
            password_hash=hash_password(DEMO_PASSWORD),
        )
        db.session.commit()
    yield app
    clear_database(app)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def open_network(page):
    page.get_by_role("link", name="Networks").first.click()
    page.get_by_role("link", name=NETWORK).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NETWORK)


def test_a_coordinator_reads_a_member_shares_an_outsider_finds_nothing(page):
    # The coordinator lands on the networks and reads the roll-up by region.
    page.goto("/signin")
    sign_in(page, email="coordinator@example.org")
    expect(page).to_have_url(re.compile(r"/networks$"))
    assert_accessible(page)
    page.get_by_role("link", name=NETWORK).click()
    regions = page.get_by_role("region", name="By region")
    expect(regions.get_by_role("row", name=re.compile("^Latin America"))).to_be_visible()
    asia = page.get_by_role("region", name="Asia Pacific", exact=True)
    expect(asia.get_by_role("row", name=re.compile(re.escape(SILENT)))).to_contain_text("shares nothing")
    for image in regions.get_by_role("img").all():
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=20_000
        )
    assert_accessible(page)
    network_url = page.url
    page.get_by_role("link", name="Gender Mainstreaming Action Plan 2023-2026").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gender Mainstreaming Action Plan 2023-2026")
    expect(page.get_by_text("Elena Rossi")).to_have_count(0)  # an editor: people are never shared
    assert_accessible(page)
    sign_out(page)

    # The LGA that shared nothing shares its plan with the network on the plan's admin page.
    sign_in(page, email="lga-admin@example.org")
    page.get_by_role("link", name="Manage plans").click()
    page.get_by_role("link", name="Gender Mainstreaming Plan").first.click()
    page.get_by_role("radio", name=re.compile("^Network:")).check()
    assert_accessible(page)
    page.get_by_role("button", name="Save the sharing").click()
    expect(page.get_by_text("The plan's sharing is saved.")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("^Network:"))).to_be_checked()
    open_network(page)
    mine = page.get_by_role("region", name=f"{SILENT} beside the medians")
    expect(mine.get_by_role("columnheader", name="Network's median")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    # The coordinator sees it shared now.
    sign_in(page, email="coordinator@example.org")
    page.goto(network_url)
    asia = page.get_by_role("region", name="Asia Pacific", exact=True)
    expect(asia.get_by_role("link", name="Gender Mainstreaming Plan")).to_be_visible()
    sign_out(page)

    # An outsider: the network is not there at all.
    sign_in(page, email="outsider@example.org")
    response = page.goto(network_url)
    assert response.status == 404
    page.goto("/networks")
    expect(page.get_by_text("You belong to no network yet.")).to_be_visible()
    assert_accessible(page)


def test_an_admin_makes_a_plan_public_and_anyone_reads_it_by_its_link(page, browser, live_server):
    page.goto("/signin")
    sign_in(page, email="admin@example.org")
    page.get_by_role("link", name="Manage plans").click()
    page.get_by_role("link", name="Gender Mainstreaming Action Plan 2023-2026").click()
    page.get_by_role("radio", name=re.compile("^Public:")).check()
    page.get_by_role("button", name="Save the sharing").click()
    expect(page.get_by_text("The plan's sharing is saved.")).to_be_visible()
    link = page.get_by_role("link", name=re.compile("public.plans")).get_attribute("href")
    anonymous = browser.new_context(base_url=live_server.url)
    try:
        public = anonymous.new_page()
        public.goto(link)
        expect(public.get_by_role("heading", level=1)).to_have_text(
            "Gender Mainstreaming Action Plan 2023-2026"
        )
        expect(public.get_by_role("button", name="Sign out")).to_have_count(0)
        expect(public.get_by_text("Elena Rossi")).to_have_count(0)
        assert_accessible(public)
    finally:
        anonymous.close()
