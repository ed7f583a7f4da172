"""Importing a plan workbook: the round trip, updates, new plans and every kind of bad file."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import msoffcrypto
import openpyxl
import pytest
import sqlalchemy as sa
from msoffcrypto.format.ooxml import OOXMLFile

from tests import factories as f
from tracker.accounts.models import Organisation
from tracker.core.concurrency import Conflict
from tracker.history.models import HistoryEntry
from tracker.plans.models import Action, Plan, PlannedHours, Status, StatusChange
from tracker.workbooks import build_plan_workbook
from tracker.workbooks.importing import apply_import, read_plan_workbook
from tracker.workbooks.reading import ImportFailed

ON = date(2026, 11, 23)


def export(session, plan_id) -> bytes:
    return build_plan_workbook(session, session.get(Plan, plan_id), ON)


def values(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: [tuple(c.value for c in row) for row in sheet.iter_rows()] for sheet in book}


def edited(data: bytes, change) -> bytes:
    """The workbook after ``change(book)``, as someone editing it in a spreadsheet would save it."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    change(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def column(sheet, title: str) -> int:
    return [c.value for c in sheet[1]].index(title) + 1


def row_of(sheet, code: str) -> int:
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == code)


def history_count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry))


def import_into(session, data: bytes, organisation_name="ICLEI European Secretariat"):
    organisation = session.scalar(sa.select(Organisation).where(Organisation.name == organisation_name))
    result = apply_import(session, organisation, read_plan_workbook(data))
    session.commit()
    return result


def test_export_import_export_gives_the_same_workbook_and_writes_nothing(session, iclei):
    first = export(session, iclei)
    before = history_count(session)
    result = import_into(session, first)
    assert (result.created, result.added, result.changed, result.unchanged) == (False, 0, 0, 17)
    assert history_count(session) == before
    assert values(export(session, iclei)) == values(first)


def test_a_workbook_without_identifier_creates_a_plan_with_the_same_content(session, iclei):
    other = f.organisation(session, "Malmö stad")
    session.commit()
    original = export(session, iclei)

    def forget_identifier(book):
        book["Plan"]["B4"].value = None

    result = import_into(session, edited(original, forget_identifier), other.name)
    assert result.created and result.added == 17
    copy = session.get(Plan, result.plan.id)
    assert copy.organisation.name == "Malmö stad" and copy.uid != session.get(Plan, iclei).uid
    theirs, ours = values(original), values(export(session, copy.id))
    # Late comes from occurrence marks, which a workbook does not carry: all else is the same.
    assert [row[:5] for row in ours["Plan"] if row[0] not in ("Organisation", "Identifier")] == [
        row[:5] for row in theirs["Plan"] if row[0] not in ("Organisation", "Identifier")
    ]
    header = theirs["Actions"][0]
    kept = [i for i, title in enumerate(header) if title != "Late" and not title.startswith("Logged")]
    assert [[row[i] for i in kept] for row in ours["Actions"]] == [
        [row[i] for i in kept] for row in theirs["Actions"]
    ]
    # Importing the new plan's own export again updates it instead of making a third.
    again = import_into(session, export(session, copy.id), other.name)
    assert not again.created and again.plan.id == copy.id


def test_an_edited_workbook_updates_its_plan_and_the_history_says_so(session, iclei):
    def edit(book):
        actions = book["Actions"]
        first = row_of(actions, "3.1.1")
        actions.cell(first, column(actions, "Title")).value = "Adopt the Gender Equality Plan"
        actions.cell(first, column(actions, "Planned hours 2026")).value = 12.5
        upcoming = row_of(actions, "3.1.6")
        actions.cell(upcoming, column(actions, "Status")).value = "completed"
        new = actions.max_row + 1
        for title, value in {
            "Code": "3.5.1",
            "Pillar": "4 Monitoring and evaluation",
            "Title": "Publish the pay gap",
            "Status": "upcoming",
            "Start year": 2026,
            "Cadence": "once",
            "Other resources": "Statistician (1500 EUR)",
        }.items():
            actions.cell(new, column(actions, title)).value = value
        actions.cell(row_of(actions, "3.1.2"), column(actions, "Other resources")).value = "(200 EUR)"
        book["Plan"]["B1"].value = "Gender Mainstreaming Action Plan, revised"

    before = history_count(session)
    result = import_into(session, edited(export(session, iclei), edit))
    assert (result.added, result.changed, result.unchanged) == (1, 3, 14)
    plan = session.get(Plan, iclei)
    assert plan.title == "Gender Mainstreaming Action Plan, revised"
    codes = {a.code: a for a in session.scalars(sa.select(Action).where(Action.plan_id == iclei))}
    assert codes["3.1.1"].title == "Adopt the Gender Equality Plan"
    budget = session.scalar(
        sa.select(PlannedHours).where(PlannedHours.action_id == codes["3.1.1"].id, PlannedHours.year == 2026)
    )
    assert budget.hours == Decimal("12.50")
    assert codes["3.1.6"].status is Status.COMPLETED
    change = session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.action_id == codes["3.1.6"].id)
        .order_by(StatusChange.id.desc())
    ).first()
    assert change.to_status is Status.COMPLETED and change.note == "Imported from a workbook"
    added = codes["3.5.1"]
    assert added.pillar.name == "Monitoring and evaluation" and added.resources_text == "Statistician"
    assert (added.resources_amount, added.resources_currency) == (Decimal("1500.00"), "EUR")
    assert (codes["3.1.2"].resources_text, codes["3.1.2"].resources_amount) == ("", Decimal("200.00"))
    assert history_count(session) > before
    # Money alone, and everything else, comes back as it went out: a second import changes nothing.
    again = import_into(session, export(session, iclei))
    assert (again.added, again.changed, again.unchanged) == (0, 0, 18)


def test_a_formula_cell_never_empties_the_field_it_sits_in(session, iclei):
    action = session.scalar(sa.select(Action).where(Action.plan_id == iclei, Action.code == "3.1.2"))
    described = action.description
    assert described
    data = cell_change("Actions", "3.1.2", "Description", "=1+1")(export(session, iclei))
    with pytest.raises(ImportFailed) as failure:
        import_into(session, data)
    assert [str(p) for p in failure.value.problems] == [
        "sheet Actions, row 3, column J (Description): =1+1 is a formula; the import reads typed values: "
        "type the value itself (or paste it as values)"
    ]
    session.rollback()
    assert session.get(Action, action.id).description == described


def test_text_in_brackets_that_is_not_money_comes_back_as_it_went_out(session, iclei):
    actions = {a.code: a for a in session.scalars(sa.select(Action).where(Action.plan_id == iclei))}
    actions["3.1.1"].resources_text = "Two staff members (2 FTE)"
    actions["3.1.1"].resources_amount = actions["3.1.1"].resources_currency = None
    # Text that looks exactly like what the export writes for money, but was typed as text.
    actions["3.1.3"].resources_text = "Hall (1500.00 EUR)"
    actions["3.1.3"].resources_amount = actions["3.1.3"].resources_currency = None
    session.commit()
    first = export(session, iclei)
    before = history_count(session)

    result = import_into(session, first)
    assert (result.changed, result.unchanged) == (0, 17)
    assert history_count(session) == before
    kept = {a.code: a for a in session.scalars(sa.select(Action).where(Action.plan_id == iclei))}
    assert (kept["3.1.1"].resources_text, kept["3.1.1"].resources_amount) == (
        "Two staff members (2 FTE)",
        None,
    )
    assert (kept["3.1.3"].resources_text, kept["3.1.3"].resources_amount) == ("Hall (1500.00 EUR)", None)
    assert values(export(session, iclei)) == values(first)

    # A new plan made from the file reads "(2 FTE)" as text too: FTE is no currency.
    other = f.organisation(session, "Malmö stad")
    session.commit()
    copy = import_into(
        session, edited(first, lambda book: setattr(book["Plan"]["B4"], "value", None)), other.name
    ).plan
    made = session.scalar(sa.select(Action).where(Action.plan_id == copy.id, Action.code == "3.1.1"))
    assert (made.resources_text, made.resources_amount, made.resources_currency) == (
        "Two staff members (2 FTE)",
        None,
        None,
    )


def encrypted(data: bytes) -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("secret", out)
    assert msoffcrypto.OfficeFile(io.BytesIO(out.getvalue())).is_encrypted()
    return out.getvalue()


def zip_bomb(_data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    return buffer.getvalue()


def padded(data: bytes) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(11 * 1024 * 1024))
    return buffer.getvalue()


def cell_change(sheet, code, title, value):
    def change(data):
        def edit(book):
            target = book[sheet]
            target.cell(row_of(target, code), column(target, title)).value = value

        return edited(data, edit)

    return change


def text_cell_change(sheet, code, title, value):
    """Like :func:`cell_change`, with the value kept as text even when it reads as a formula."""

    def change(data):
        def edit(book):
            target = book[sheet]
            cell = target.cell(row_of(target, code), column(target, title))
            cell.value = value
            cell.data_type = "s"

        return edited(data, edit)

    return change


def without_sheet(name):
    return lambda data: edited(data, lambda book: book.remove(book[name]))


def without_column(title):
    return lambda data: edited(data, lambda book: book["Actions"].delete_cols(column(book["Actions"], title)))


BAD_FILES = {
    "not a workbook": (
        lambda data: b"Code,Title\n3.1.1,Something\n",
        ["the file is not an Excel workbook (.xlsx)"],
    ),
    "empty": (lambda data: b"", ["the file is empty"]),
    "a zip but not a workbook": (
        lambda data: _zip_of({"notes.txt": "hello"}),
        ["the file is a zip archive, not an Excel workbook (.xlsx)"],
    ),
    "encrypted": (encrypted, ["the workbook is encrypted (password-protected): save it without a password"]),
    "over 10 MB": (padded, ["the limit is 10 MB"]),
    "zip bomb": (zip_bomb, ["unpacks to far more than it weighs"]),
    "missing sheet": (without_sheet("Actions"), ["sheet Actions: the sheet Actions is missing"]),
    "missing column": (
        without_column("Status"),
        ["sheet Actions, row 1, column Status: the column Status is missing"],
    ),
    "wrong type": (
        cell_change("Actions", "3.1.2", "Start year", "soon"),
        ["sheet Actions, row 3, column F (Start year): soon is not a year"],
    ),
    "a date where a year goes": (
        cell_change("Actions", "3.1.2", "End year", date(2025, 1, 1)),
        ["sheet Actions, row 3, column G (End year): must be a year such as 2025"],
    ),
    "duplicate code": (
        cell_change("Actions", "3.1.2", "Code", "3.1.1"),
        ["sheet Actions, row 3, column A (Code): the code 3.1.1 is also used in row 2"],
    ),
    "a formula as a code": (
        text_cell_change("Actions", "3.1.2", "Code", "=cmd|'/C calc'!A0"),
        [
            "sheet Actions, row 3, column A (Code)",
            "is not a code: use numbers separated by dots, such as 3.1.8",
        ],
    ),
    "a formula saved without its value": (
        cell_change("Actions", "3.1.2", "Description", "=1+1"),
        ["sheet Actions, row 3, column J (Description): =1+1 is a formula; the import reads typed values"],
    ),
    "a formula as planned hours": (
        cell_change("Actions", "3.1.2", "Planned hours 2025", "=SUM(1,2)"),
        ["sheet Actions, row 3, column P (Planned hours 2025): =SUM(1,2) is a formula"],
    ),
    "a formula as the period": (
        lambda data: edited(data, lambda book: setattr(book["Plan"]["B3"], "value", '="2023-"&"2026"')),
        ['sheet Plan, row 3, column B: ="2023-"&"2026" is a formula'],
    ),
    "unknown pillar": (
        cell_change("Actions", "3.1.2", "Pillar", "9 Space travel"),
        ["sheet Actions, row 3, column B (Pillar): 9 Space travel is not a pillar of the Plan sheet"],
    ),
    "unknown status": (
        cell_change("Actions", "3.1.2", "Status", "done"),
        ["sheet Actions, row 3, column D (Status): must be one of completed, ongoing, upcoming"],
    ),
    "unknown cadence": (
        cell_change("Actions", "3.1.2", "Cadence", "monthly"),
        ["sheet Actions, row 3, column H (Cadence): must be one of once, ongoing, yearly, every two years"],
    ),
    "negative planned hours": (
        cell_change("Actions", "3.1.2", "Planned hours 2025", -3),
        ["sheet Actions, row 3, column P (Planned hours 2025)", "must be 0 or more"],
    ),
    "a bad period": (
        lambda data: edited(data, lambda book: setattr(book["Plan"]["B3"], "value", "2027-2023")),
        ["sheet Plan, row 3, column B: the period ends (2023) before it starts (2027)"],
    ),
}


def _zip_of(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_is_listed_by_sheet_row_and_column_and_nothing_is_written(
    case, session, iclei, runner, tmp_path
):
    make, expected = BAD_FILES[case]
    data = make(export(session, iclei))
    path = tmp_path / "plan.xlsx"
    path.write_bytes(data)
    before, title = history_count(session), session.get(Plan, iclei).title
    session.rollback()

    result = runner.invoke(args=["import", "xlsx", str(path)])
    assert result.exit_code == 1, result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    )
    assert "nothing was imported" in result.output
    for words in expected:
        assert words in result.output
    assert history_count(session) == before and session.get(Plan, iclei).title == title


def test_one_bad_row_stops_every_good_change_in_the_file(session, iclei):
    def edit(book):
        actions = book["Actions"]
        actions.cell(row_of(actions, "3.1.1"), column(actions, "Title")).value = "A good change"
        actions.cell(row_of(actions, "3.1.3"), column(actions, "Status")).value = "purple"
        actions.cell(row_of(actions, "3.1.4"), column(actions, "Cadence")).value = "hourly"

    with pytest.raises(ImportFailed) as failure:
        read_plan_workbook(edited(export(session, iclei), edit))
    assert [str(p) for p in failure.value.problems] == [
        "sheet Actions, row 4, column D (Status): must be one of completed, ongoing, upcoming",
        "sheet Actions, row 5, column H (Cadence): must be one of once, ongoing, yearly, every two years",
    ]
    assert session.scalar(sa.select(Action.title).where(Action.code == "3.1.1")) != "A good change"


def test_another_organisations_identifier_is_refused(session, iclei):
    other = f.organisation(session, "Malmö stad")
    session.commit()
    with pytest.raises(ImportFailed) as failure:
        import_into(session, export(session, iclei), other.name)
    assert (
        str(failure.value.problems[0])
        == "sheet Plan, column B: this identifier belongs to a plan of another organisation"
    )


def test_an_archived_action_cannot_change_through_an_import(session, iclei):
    action = session.scalar(sa.select(Action).where(Action.code == "3.1.2"))
    data = export(session, iclei)
    action.archived_at = action.created_at
    session.commit()
    with pytest.raises(ImportFailed) as failure:
        import_into(session, data)
    assert "the action 3.1.2 is archived and cannot change" in str(failure.value)


def test_the_command_reports_what_it_did(runner, session, iclei, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(export(session, iclei))
    session.rollback()
    result = runner.invoke(args=["import", "xlsx", str(path)])
    assert result.exit_code == 0, result.output
    assert "Updated plan" in result.output and "17 unchanged" in result.output


def upload(client, data: bytes, name="plan.xlsx"):
    return client.post(
        "/admin/plans/import",
        data={"workbook": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_an_admin_uploads_a_workbook_and_sees_what_changed(client, auth, users, session, iclei):
    auth.login(users["admin"])
    page = client.get("/admin/plans/import")
    assert page.status_code == 200 and b'type="file"' in page.data
    data = edited(export(session, iclei), lambda book: setattr(book["Plan"]["B1"], "value", "Renamed plan"))
    session.rollback()
    response = upload(client, data)
    assert response.status_code == 303 and response.location.endswith(f"/admin/plans/{iclei}")
    follow = client.get(response.location)
    assert "The plan is updated: 0 actions added, 0 changed, 17 unchanged." in follow.get_data(as_text=True)
    assert session.get(Plan, iclei).title == "Renamed plan"


def test_an_upload_with_problems_lists_them_all_and_writes_nothing(client, auth, users, session, iclei):
    auth.login(users["admin"])
    data = cell_change("Actions", "3.1.2", "Status", "done")(export(session, iclei))
    data = edited(data, lambda book: setattr(book["Plan"]["B1"], "value", "Renamed plan"))
    session.rollback()
    response = upload(client, data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Nothing was imported, because of 1 problem" in body
    assert (
        "<td>Actions</td><td>3</td><td>D (Status)</td><td>must be one of completed, ongoing, upcoming</td>"
        in body
    )
    assert session.get(Plan, iclei).title != "Renamed plan"
    assert upload(client, b"not a workbook", "plan.csv").status_code == 422
    missing = client.post("/admin/plans/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "choose a workbook" in missing.get_data(as_text=True)


def test_only_admins_import(client, auth, users, session, iclei):
    data = export(session, iclei)
    session.rollback()
    auth.login(users["editor"])
    assert upload(client, data).status_code == 403


def test_an_import_racing_another_edit_is_refused_whole(session, iclei, database_url):
    data = cell_change("Actions", "3.1.1", "Title", "Changed by the import")(export(session, iclei))
    data = edited(data, lambda book: setattr(book["Plan"]["B1"], "value", "Renamed by the import"))
    book = read_plan_workbook(data)
    other = sa.create_engine(database_url, poolclass=sa.pool.NullPool)

    saved = []

    def someone_saves_first(flushing, _context, _instances):
        if saved:
            return
        saved.append(True)
        with other.begin() as connection:
            connection.execute(
                sa.update(Action)
                .where(Action.plan_id == iclei, Action.code == "3.1.1")
                .values(title="Saved by someone else", version=Action.version + 1)
            )

    sa.event.listen(session, "before_flush", someone_saves_first)
    organisation = session.get(Plan, iclei).organisation
    with pytest.raises(Conflict) as conflict:
        apply_import(session, organisation, book)
    sa.event.remove(session, "before_flush", someone_saves_first)
    assert "changed by someone else" in conflict.value.message
    session.rollback()
    other.dispose()
    assert session.scalar(sa.select(Action.title).where(Action.code == "3.1.1")) == "Saved by someone else"
    assert session.get(Plan, iclei).title == "Gender Mainstreaming Action Plan 2023-2026"
