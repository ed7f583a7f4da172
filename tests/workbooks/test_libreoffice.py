"""LibreOffice, headless, opens the workbooks and reads the same figures as the dashboard and API.

Needs Debian's ``libreoffice-calc`` (``apt-get install -y libreoffice-calc``). Without it these
tests are skipped with that message; CI installs it and sets ``TRACKER_REQUIRE_LIBREOFFICE=1`` so
that a missing LibreOffice fails the run instead.
"""

import csv
import os
import shutil
import subprocess
from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories as f
from tracker.assessments.report import report_data
from tracker.dashboard.figures import build_dashboard
from tracker.hours.rollup import hour_rollup
from tracker.plans.models import STATUSES, Action, Plan
from tracker.workbooks import build_plan_workbook
from tracker.workbooks.assessment_workbook import build_assessment_workbook

ON = date(2026, 11, 23)
# Comma, double quotes, UTF-8, raw values (not as shown), every sheet to its own file.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


@pytest.fixture(scope="module")
def soffice():
    path = shutil.which("soffice")
    if path is None:
        message = (
            "LibreOffice not found: install Debian's libreoffice-calc "
            "(sudo apt-get install -y libreoffice-calc) to read the workbooks back with it"
        )
        if os.environ.get("TRACKER_REQUIRE_LIBREOFFICE", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + " (TRACKER_REQUIRE_LIBREOFFICE is set)", pytrace=False)
        pytest.skip(message)
    return path


def read_back(soffice, tmp_path, name: str, content: bytes) -> dict[str, list[list[str]]]:
    """Every sheet of the workbook as LibreOffice reads it."""
    source = tmp_path / f"{name}.xlsx"
    source.write_bytes(content)
    out = tmp_path / "csv"
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sheets = {}
    for path in out.glob(f"{name}-*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem.removeprefix(f"{name}-")] = list(csv.reader(handle))
    return sheets


@pytest.fixture
def busy(session, iclei):
    """The ICLEI plan with budgets and logged hours."""
    plan = session.get(Plan, iclei)
    person = f.person(session, plan.organisation, "Leonie")
    actions = session.scalars(sa.select(Action).where(Action.plan_id == iclei).order_by(Action.id)).all()
    f.budget(session, actions[0], 2025, "30")
    f.budget(session, actions[1], 2025, "12.5")
    f.log(session, plan, person, date(2025, 3, 3), "4.5", actions[0])
    f.log(session, plan, person, date(2025, 3, 4), "2.25", actions[1])
    f.log(session, plan, person, date(2026, 2, 9), "1.25")
    session.commit()
    return plan


def number(text: str) -> float:
    return float(text) if text else 0.0


def test_libreoffice_reads_the_plan_workbook_with_the_dashboards_figures(
    soffice, tmp_path, session, busy, app
):
    sheets = read_back(soffice, tmp_path, "plan", build_plan_workbook(session, busy, ON))
    assert set(sheets) == {"Plan", "Actions", "Hours", "History"}
    totals = {int(row[0]): row for row in sheets["Hours"][1:] if len(row) > 2 and row[1] == "Total"}
    for year in busy.years:
        rollup = hour_rollup(session, busy, year)
        assert [number(v) for v in totals[year][3:7]] == [
            float(rollup.allocated),
            float(rollup.planned),
            float(rollup.logged),
            float(rollup.remaining),
        ]
    assert [number(v) for v in totals[2025][3:6]] == [350.0, 42.5, 6.75]
    with app.test_request_context():  # the figures carry words in the reader's language
        board = build_dashboard(session, busy, 2025, ON)
    by_code = {row[0]: row for row in sheets["Actions"][1:]}
    assert {code: row[3] for code, row in by_code.items()} == {a.code: a.status.value for a in board.actions}
    assert {code for code, row in by_code.items() if row[4] == "yes"} == {a.code for a in board.late}
    start = next(i for i, row in enumerate(sheets["Plan"]) if row and row[0] == "Pillar") + 1
    pillars = sheets["Plan"][start : start + len(board.by_pillar)]
    assert [(row[1], *map(int, row[2:6])) for row in pillars] == [
        (p.pillar.name, *(p.counts[status] for status in STATUSES), p.late) for p in board.by_pillar
    ]


def test_libreoffice_reads_the_report_workbook(soffice, tmp_path, session, busy):
    data = report_data(session, busy, date(2025, 1, 1), date(2026, 12, 31), ON)
    sheets = read_back(soffice, tmp_path, "report", build_assessment_workbook(data))
    assert set(sheets) == {"Summary", "Actions", "Hours", "Changes", "Survey"}
    summary = {row[0]: row[1] for row in sheets["Summary"] if len(row) > 1 and row[0]}
    assert int(summary["Actions"]) == data["summary"]["actions"] == 17
    assert int(summary["Late at the end"]) == data["summary"]["late_at_end"]
    totals = {int(row[0]): row for row in sheets["Hours"][1:] if len(row) > 2 and row[1] == "Total"}
    assert [number(v) for v in totals[2025][3:6]] == [350.0, 42.5, 6.75]
    assert [row[4] for row in sheets["Actions"][1:]] == [a["status_end"] for a in data["actions"]]
