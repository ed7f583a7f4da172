"""The plan workbook: its sheets as a spreadsheet user sees them, its figures, its safety."""

import io
from datetime import UTC, date, datetime

import openpyxl
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f
from tracker.accounts.models import User
from tracker.accounts.services import create_token
from tracker.plans.models import Action, AllocationKind, AllocationLine, Plan, Status, StatusChange
from tracker.workbooks import build_plan_workbook
from tracker.workbooks.cells import clean_text

ON = date(2026, 11, 23)


def workbook(session, plan_id):
    return openpyxl.load_workbook(io.BytesIO(build_plan_workbook(session, session.get(Plan, plan_id), ON)))


def test_the_four_sheets_as_a_spreadsheet_user_sees_them(session, iclei):
    book = workbook(session, iclei)
    assert book.sheetnames == ["Plan", "Actions", "Hours", "History"]
    plan = book["Plan"]
    assert [plan["A1"].value, plan["B1"].value] == ["Plan", "Gender Mainstreaming Action Plan 2023-2026"]
    assert plan["B2"].value == "ICLEI European Secretariat" and plan["B3"].value == "2023-2026"
    assert plan["B4"].value == session.get(Plan, iclei).uid
    assert [plan.cell(row, 2).value for row in range(7, 11)] == [
        "Organisational actions",
        "Communication",
        "Training and capacity-building",
        "Monitoring and evaluation",
    ]
    assert len(plan._charts) == 1

    actions = book["Actions"]
    header = [c.value for c in actions[1]]
    assert header[:13] == [
        "Code",
        "Pillar",
        "Title",
        "Status",
        "Late",
        "Start year",
        "End year",
        "Cadence",
        "Timeline",
        "Description",
        "Objectives",
        "Other resources",
        "Responsible",
    ]
    assert header[13:] == [f"Planned hours {y}" for y in range(2023, 2027)] + [
        f"Logged hours {y}" for y in range(2023, 2027)
    ]
    assert actions.max_row == 18 and actions.freeze_panes == "C2" and actions.auto_filter.ref == "A1:U18"
    assert all(cell.font.bold for cell in actions[1])
    row = {header[i]: cell for i, cell in enumerate(actions[2])}
    assert (row["Code"].value, row["Status"].value, row["Late"].value, row["Start year"].value) == (
        "3.1.1",
        "ongoing",
        "yes",
        2023,
    )
    assert row["Status"].fill.fgColor.rgb == "00FFEB9C"  # yellow, and the word with it
    assert (
        isinstance(row["Planned hours 2025"].value, (int, float))
        and row["Planned hours 2025"].number_format == "#,##0.0#"  # 7.25 shows as 7.25, as on the pages
    )
    assert row["Description"].alignment.wrap_text
    assert actions.column_dimensions["J"].width == 60

    history = book["History"]
    assert [c.value for c in history[1]] == ["Date", "Action", "From", "To", "Who", "Note", "Took effect on"]
    assert history.max_row == 18  # the creation of each action
    effective = {row[1].value: row[6].value for row in history.iter_rows(min_row=2)}
    assert effective["3.3.1"] == datetime(2023, 12, 31)  # "completed in 2023", recorded in 2025
    assert isinstance(history["A2"].value, datetime) and history["D2"].value in {
        "completed",
        "ongoing",
        "upcoming",
    }
    assert len(book["Hours"]._charts) == 1


def test_the_workbook_shows_the_same_figures_as_the_api(client, session, iclei, users):
    plan = session.get(Plan, iclei)
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    guidelines = session.scalar(sa.select(Action).where(Action.code == "3.2.3"))
    f.budget(session, guidelines, 2025, "240")
    f.log(session, plan, editor, date(2025, 2, 3), "7.25", guidelines)
    f.log(session, plan, editor, date(2025, 2, 4), "30", None)
    _row, token = create_token(session, editor)
    session.commit()
    api = client.get(
        f"/api/v1/plans/{iclei}/hours?year=2025", headers={"Authorization": f"Bearer {token}"}
    ).json
    hours = workbook(session, iclei)["Hours"]
    total = next(r for r in hours.iter_rows(min_row=2, values_only=True) if r[0] == 2025 and r[1] == "Total")
    assert total[3:7] == (api["allocated"]["total"], api["planned"], api["logged"]["total"], api["remaining"])
    lines = {
        r[1]: r
        for r in hours.iter_rows(min_row=2, values_only=True)
        if r[0] == 2025 and r[2] in ("management", "implementation")
    }
    assert lines["Overall management"][5] == api["logged"]["management"]
    assert lines["Development/Implementation of the action plan"][4:6] == (
        api["planned"],
        api["logged"]["actions"],
    )
    listed = {
        a["code"]: a
        for a in client.get(
            f"/api/v1/plans/{iclei}/actions", headers={"Authorization": f"Bearer {token}"}
        ).json
    }
    actions = workbook(session, iclei)["Actions"]
    header = [c.value for c in actions[1]]
    row = next(r for r in actions.iter_rows(min_row=2, values_only=True) if r[0] == "3.2.3")
    assert row[header.index("Planned hours 2025")] == listed["3.2.3"]["planned_hours"]["2025"] == 240
    assert row[header.index("Logged hours 2025")] == listed["3.2.3"]["logged_hours"]["2025"] == 7.25


def test_the_download_for_every_role_and_nobody_else(client, auth, users, iclei):
    assert client.get(f"/plans/{iclei}/workbook.xlsx").status_code == 302
    auth.login(users["viewer"])
    response = client.get(f"/plans/{iclei}/workbook.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames[0] == "Plan"
    assert b"Download the workbook" in client.get(f"/plans/{iclei}/dashboard").data
    auth.logout()
    auth.login(users["other_admin"])
    assert client.get(f"/plans/{iclei}/workbook.xlsx").status_code == 404


def test_the_export_command_writes_the_file(runner, iclei, tmp_path):
    path = tmp_path / "plan.xlsx"
    result = runner.invoke(args=["export", "xlsx", "--plan", str(iclei), str(path)])
    assert result.exit_code == 0 and "Wrote" in result.output
    assert openpyxl.load_workbook(path).sheetnames == ["Plan", "Actions", "Hours", "History"]
    missing = runner.invoke(args=["export", "xlsx", "--plan", "999999", str(path)])
    assert missing.exit_code == 1 and "there is no plan 999999" in missing.output


# User text is never a formula ---------------------------------------------------------------

# Anything people type, with a good share of formula-looking starts.
# (No NUL: the database refuses it, and the forms remove it before it gets there.)
chars = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
typed = st.one_of(
    st.text(chars, min_size=1, max_size=40),
    st.builds(
        lambda s, x: s + x,
        st.sampled_from(["=", "+", "-", "@", "\t", "\r", "=HYPERLINK(", "=cmd|"]),
        st.text(chars, max_size=30),
    ),
).filter(lambda s: clean_text(s).strip() != "")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=typed, pillar=typed, line=typed, action_title=typed, note=typed)
def test_user_text_is_never_a_formula_in_any_sheet(session, title, pillar, line, action_title, note):
    org = f.organisation(session, name=f"Org {datetime.now(UTC).timestamp()}")
    plan = f.plan(session, org, title=title[:300])
    p = f.pillar(session, plan, 1, name=pillar[:200])
    action = f.action(session, p, "1.1", title=action_title[:300])
    session.add(
        AllocationLine(
            plan=plan, year=2025, position=1, kind=AllocationKind.MANAGEMENT, name=line[:200], hours=1
        )
    )
    session.add(
        StatusChange(action_id=action.id, from_status=Status.ONGOING, to_status=Status.COMPLETED, note=note)
    )
    session.commit()
    book = workbook(session, plan.id)
    expected = {
        "Plan": [title[:300], pillar[:200], line[:200]],
        "Actions": [action_title[:300]],
        "Hours": [f"1 {pillar[:200]}"],
        "History": [note],
    }
    for sheet, values in expected.items():
        cells = [c for row in book[sheet].iter_rows() for c in row if c.value is not None]
        for value in values:
            found = [c for c in cells if c.value == clean_text(value)]
            assert found, (sheet, value)
            assert all(c.data_type == "s" for c in found), (sheet, value)
