"""An admin downloads the plan workbook, edits it in a spreadsheet and uploads it again."""

import io

import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in


def test_an_admin_round_trips_the_workbook_and_sees_each_problem_of_a_bad_one(page, tmp_path):
    page.goto("/signin")
    sign_in(page, email="admin@example.org")
    page.get_by_role("link", name="Plans").first.click()
    page.get_by_role("link", name="Gender Mainstreaming Action Plan 2023-2026").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the workbook (Excel)").click()
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    actions = book["Actions"]
    actions["A3"].value = actions["A2"].value  # a duplicate code
    actions["D4"].value = "finished"
    bad = tmp_path / "bad.xlsx"
    book.save(bad)

    page.get_by_role("link", name="Manage plans").click()
    page.get_by_role("link", name="Import a plan workbook").click()
    page.get_by_label("Workbook (.xlsx, at most 10 MB)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Nothing was imported, because of 2 problems")).to_be_visible()
    rows = page.get_by_role("region", name="Nothing was imported, because of 2 problems").get_by_role("row")
    expect(rows.nth(1)).to_contain_text("the code 3.1.1 is also used in row 2")
    expect(rows.nth(2)).to_contain_text("D (Status)")
    assert_accessible(page)

    fixed = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    fixed["Actions"]["C2"].value = "Prepare and adopt the Gender Equality Plan"
    good = tmp_path / "good.xlsx"
    fixed.save(good)
    page.get_by_label("Workbook (.xlsx, at most 10 MB)").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("The plan is updated: 0 actions added, 1 changed, 16 unchanged.")).to_be_visible()
    page.get_by_role("link", name="Plans").first.click()
    page.get_by_role("link", name="Gender Mainstreaming Action Plan 2023-2026").first.click()
    expect(page.get_by_text("Prepare and adopt the Gender Equality Plan")).to_be_visible()
