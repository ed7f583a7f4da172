"""A reporting round in a real browser: a coordinator opens it, a member's editor submits, the
coordinator sees it and downloads the round's workbook, an outsider gets 404; axe on each page."""

import io
import re
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, assert_accessible
from tests.browser.test_journeys import sign_in
from tracker.accounts.models import Membership, Network, Organisation, Region
from tracker.accounts.services import create_user, hash_password
from tracker.cli.seeding import DEMO_PASSWORD
from tracker.core.extensions import db
from tracker.core.permissions import Role

ICLEI = "ICLEI European Secretariat"


@pytest.fixture
def network(live_app):
    """ICLEI and an LGA in the CIB network with its coordinator; an outsider city's admin."""
    with live_app.app_context():
        password = hash_password(DEMO_PASSWORD)
        cib = Network(name="UCLG CIB Working Group")
        iclei = db.session.scalar(sa.select(Organisation).where(Organisation.name == ICLEI))
        lga = Organisation(
            name="Union of Local Authorities of Chile", country="Chile", region=Region.LATIN_AMERICA
        )
        outsider = Organisation(name="Outsider City", country="Kenya", region=Region.EAST_AND_SOUTHERN_AFRICA)
        db.session.add_all([cib, lga, outsider, Membership(network=cib, organisation=iclei)])
        db.session.add(Membership(network=cib, organisation=lga))
        for email, name, role, where in [
            ("coordinator@cib.example.org", "Carla Mendes", Role.COORDINATOR, {"network": cib}),
            ("admin@outsider.example.org", "Otto Weber", Role.ADMIN, {"organisation": outsider}),
        ]:
            create_user(
                db.session, email=email, name=name, role=role, password="", password_hash=password, **where
            )
        db.session.commit()


def signed_in_page(browser, live_server, email, next_path):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"/signin?next={next_path}")
    sign_in(page, email=email)
    return page


def test_a_round_from_opening_to_the_network_workbook(page, browser, live_server, network):
    page.goto("/signin?next=/rounds")
    sign_in(page, email="coordinator@cib.example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reporting rounds")
    assert_accessible(page)

    page.get_by_label("Title").fill("2026 progress report")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Due date").fill("2025-12-31")
    page.get_by_role("button", name="Open the round").click()
    expect(page.get_by_text("Due date: 2025-12-31 is before the round's year 2026")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Due date").fill("2026-12-31")
    page.get_by_role("button", name="Open the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2026 progress report")
    expect(page.get_by_text("0 of 2 members have submitted.")).to_be_visible()
    assert_accessible(page)
    round_url = page.url

    editor = signed_in_page(browser, live_server, "editor@example.org", "/rounds")
    editor.get_by_role("link", name="2026 progress report").click()
    expect(editor.get_by_role("heading", name=f"{ICLEI} in this round")).to_be_visible()
    assert_accessible(editor)
    editor.get_by_label("Plan to submit").select_option(
        label="Gender Mainstreaming Action Plan 2023-2026 (2023–2026)"
    )
    editor.get_by_role("button", name="Submit the plan").click()
    expect(editor.get_by_text("is submitted to 2026 progress report")).to_be_visible()
    expect(editor.get_by_role("link", name=f"frozen workbook of {ICLEI}")).to_be_visible()
    assert_accessible(editor)
    editor.context.close()

    page.goto(round_url)
    expect(page.get_by_text("1 of 2 members have submitted.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(ICLEI))
    expect(row).to_contain_text("submitted")
    expect(row).to_contain_text("by Elena Rossi")
    expect(page.get_by_role("row", name=re.compile("Union of Local Authorities of Chile"))).to_contain_text(
        "not submitted"
    )
    assert_accessible(page)
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"round-page-{width}.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the round's workbook (.xlsx)").click()
    data = Path(download.value.path()).read_bytes()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Summary", "Latin America", "North America & Europe"]
    assert [c.value for c in book["North America & Europe"][2]][:3] == [ICLEI, "Germany", "submitted"]

    outsider = signed_in_page(browser, live_server, "admin@outsider.example.org", "/rounds")
    expect(outsider.get_by_text("No rounds yet.")).to_be_visible()
    outsider.goto(round_url)
    expect(outsider.get_by_role("heading", name="Not Found")).to_be_visible()
    assert_accessible(outsider)
    outsider.context.close()
