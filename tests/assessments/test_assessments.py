"""The biennial assessment: figures from the history, drafts, publishing, the public link, the command."""

import hashlib
import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f
from tests.conftest import PASSWORD
from tests.pages import text
from tests.workbooks.test_exports import typed
from tracker.accounts.models import User
from tracker.assessments.models import Assessment, SurveyIndicator
from tracker.assessments.report import create_assessment, default_period, period_figures
from tracker.assessments.report import publish as publish_assessment
from tracker.core.concurrency import Conflict
from tracker.core.validation import Invalid
from tracker.history.models import HistoryEntry
from tracker.history.recording import set_clock
from tracker.plans.editing import change_status
from tracker.plans.models import Action, Cadence, Plan, Status
from tracker.workbooks.assessment_workbook import build_assessment_workbook
from tracker.workbooks.cells import clean_text

TODAY = date(2026, 11, 23)


def at(year, month, day):
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


@pytest.fixture
def history(session):
    """A plan whose history is known: each action's changes on known days.

    A: upcoming from 2023, ongoing 2024-03-01, completed 2025-05-01 (late at the start: it was
       to start in 2023).
    B: ongoing from 2023, to end in 2024 and never completed: it becomes late in 2025.
    C: added 2025-02-01 as upcoming, to start in 2026.
    D: added 2026-01-10: after the period.
    """
    org = f.organisation(session, "Malmö stad")
    plan = f.plan(session, org, title="Jämställdhetsplan", start=2023, end=2026)
    first = f.pillar(session, plan, 1, "Organisation")
    second = f.pillar(session, plan, 2, "Training")
    set_clock(session, at(2023, 1, 15))
    a = f.action(session, first, "1.1", status=Status.UPCOMING, start=2023, cadence=Cadence.ONCE)
    b = f.action(session, first, "1.2", status=Status.ONGOING, start=2023, end=2024)
    set_clock(session, at(2024, 3, 1))
    a.status = Status.ONGOING
    session.flush()
    set_clock(session, at(2025, 2, 1))
    f.action(session, second, "2.1", status=Status.UPCOMING, start=2026, cadence=Cadence.ONCE)
    set_clock(session, at(2025, 5, 1))
    a.status = Status.COMPLETED
    session.flush()
    set_clock(session, at(2026, 1, 10))
    f.action(session, second, "2.2", status=Status.UPCOMING, start=2026)
    set_clock(session, None)
    f.allocate(session, plan, 2024, 100, 250)
    f.allocate(session, plan, 2025, 100, 200)
    f.budget(session, a, 2025, 40)
    f.budget(session, b, 2024, 10)
    person = f.person(session, org, "Ingrid")
    f.log(session, plan, person, date(2024, 5, 2), "3.5", a)
    f.log(session, plan, person, date(2025, 6, 3), "8", a)
    f.log(session, plan, person, date(2025, 6, 4), "2.25")
    session.commit()
    return plan.id


def test_the_period_defaults_to_the_two_calendar_years_ending_in_the_assessment_year():
    assert default_period(2025) == (date(2024, 1, 1), date(2025, 12, 31))


def test_status_at_start_and_end_what_was_completed_started_and_became_late(session, history):
    plan = session.get(Plan, history)
    figures = period_figures(session, plan, date(2024, 1, 1), date(2025, 12, 31), TODAY)
    rows = {row["code"]: row for row in figures["actions"]}
    assert list(rows) == ["1.1", "1.2", "2.1"]  # 2.2 came after the period
    assert (rows["1.1"]["status_start"], rows["1.1"]["status_end"]) == ("upcoming", "completed")
    assert (rows["1.1"]["late_start"], rows["1.1"]["late_end"]) == (True, False)
    assert rows["1.1"]["completed"] and rows["1.1"]["started"] and not rows["1.1"]["became_late"]
    assert (rows["1.2"]["status_start"], rows["1.2"]["status_end"]) == ("ongoing", "ongoing")
    assert rows["1.2"]["became_late"] and not rows["1.2"]["completed"]
    assert (rows["2.1"]["status_start"], rows["2.1"]["status_end"]) == (None, "upcoming")
    assert not rows["2.1"]["started"] and not rows["2.1"]["became_late"]
    assert figures["summary"] == {
        "actions": 3,
        "completed": 1,
        "started": 1,
        "became_late": 1,
        "late_at_end": 1,
        "status_start": {"completed": 0, "ongoing": 1, "upcoming": 1},
        "status_end": {"completed": 1, "ongoing": 1, "upcoming": 1},
        "changes": 2,
    }
    assert [(c["at"][:10], c["code"], c["from"], c["to"]) for c in figures["changes"]] == [
        ("2024-03-01", "1.1", "upcoming", "ongoing"),
        ("2025-05-01", "1.1", "ongoing", "completed"),
    ]
    by_pillar = {p["pillar"]: p for p in figures["by_pillar"]}
    assert by_pillar["2 Training"]["end"] == {"completed": 0, "ongoing": 0, "upcoming": 1}
    hours = {year["year"]: year for year in figures["hours"]}
    assert list(hours) == [2024, 2025]
    assert (hours[2024]["allocated"], hours[2024]["planned"], hours[2024]["logged"]) == (
        "350.00",
        "10.00",
        "3.50",
    )
    assert (hours[2025]["allocated"], hours[2025]["planned"], hours[2025]["logged"]) == (
        "300.00",
        "40.00",
        "10.25",
    )
    organisation_2025 = {p["pillar"]: p for p in hours[2025]["pillars"]}["1 Organisation"]
    assert (organisation_2025["planned"], organisation_2025["logged"]) == ("40.00", "8.00")


def test_a_period_of_one_year_moves_the_start(session, history):
    figures = period_figures(session, session.get(Plan, history), date(2025, 1, 1), date(2025, 12, 31), TODAY)
    rows = {row["code"]: row for row in figures["actions"]}
    assert rows["1.1"]["status_start"] == "ongoing" and not rows["1.1"]["started"]
    assert [c["at"][:10] for c in figures["changes"]] == ["2025-05-01"]


def test_a_change_recorded_later_as_of_a_day_in_the_period_counts_from_that_day(session, history):
    plan = session.get(Plan, history)
    late_news = session.scalar(sa.select(Action).where(Action.plan_id == plan.id, Action.code == "2.1"))
    set_clock(session, at(2026, 3, 1))  # recorded after the period ended
    change_status(
        session,
        late_news,
        status=Status.ONGOING,
        note="Started in December, told in March",
        version=late_news.version,
        as_of=date(2025, 12, 1),
        today=TODAY,
    )
    set_clock(session, None)
    session.commit()
    figures = period_figures(session, plan, date(2024, 1, 1), date(2025, 12, 31), TODAY)
    row = {row["code"]: row for row in figures["actions"]}["2.1"]
    assert (row["status_start"], row["status_end"], row["started"]) == (None, "ongoing", True)
    assert [(c["effective_on"], c["at"][:10], c["code"]) for c in figures["changes"]][-1] == (
        "2025-12-01",
        "2026-03-01",
        "2.1",
    )


def seeded_rows(session, iclei, start, end):
    figures = period_figures(session, session.get(Plan, iclei), start, end, TODAY)
    return figures, {row["code"]: row for row in figures["actions"]}


def test_the_seeded_plan_has_its_baseline_in_a_2024_2025_report(session, iclei):
    figures, rows = seeded_rows(session, iclei, date(2024, 1, 1), date(2025, 12, 31))
    assert len(rows) == 17
    assert (rows["3.3.1"]["status_start"], rows["3.3.1"]["status_end"]) == ("completed", "completed")
    assert not rows["3.3.1"]["completed"]  # "completed in 2023": before the period
    assert (rows["3.1.2"]["status_start"], rows["3.1.2"]["status_end"]) == ("ongoing", "ongoing")
    assert not rows["3.1.2"]["started"]
    # Started in 2024-2025, as the wording says: "since 2024", "since 2025", completed in 2025,
    # the surveys and reports every two years from 2025.
    assert sorted(code for code, row in rows.items() if row["started"]) == [
        "3.1.4",
        "3.1.5",
        "3.2.2",
        "3.2.3",
        "3.4.1",
        "3.4.2",
    ]
    assert sorted(code for code, row in rows.items() if row["completed"]) == ["3.2.2"]
    assert figures["summary"]["status_start"] == {"completed": 1, "ongoing": 5, "upcoming": 5}
    assert sum(row["status_start"] is None for row in rows.values()) == 6


def test_a_2023_report_of_the_seeded_plan_shows_3_3_1_completed_in_it(session, iclei):
    _figures, rows = seeded_rows(session, iclei, date(2023, 1, 1), date(2023, 12, 31))
    assert rows["3.3.1"]["completed"] and rows["3.3.1"]["status_start"] is None
    assert "3.1.4" not in rows  # "ongoing since 2024": not yet in the tracker in 2023


# Pages -----------------------------------------------------------------------------------------


def sign_in(app, email):
    client = app.test_client()
    assert client.post("/signin", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def new_draft(client, plan_id, **form):
    response = client.post(f"/plans/{plan_id}/assessments", data=form or {"year": "2025"})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.location.split("/")[2])


def action_row(page: str, code: str) -> list[str]:
    """The report's row of an action, cell by cell, as text."""
    row = re.search(rf"<tr>\s*<td>{re.escape(code)}</td>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]


def test_the_2024_2025_report_page_of_the_seeded_plan_starts_from_the_plan_s_baseline(app, users, iclei):
    editor = sign_in(app, users["editor"])
    page = editor.get(f"/assessments/{new_draft(editor, iclei)}").get_data(as_text=True)
    # Title, status at the start, at the end, what happened in the period.
    assert action_row(page, "3.3.1")[1:] == ["✔ completed", "✔ completed", ""]
    assert action_row(page, "3.1.2")[1:] == ["◐ ongoing", "◐ ongoing", ""]
    assert action_row(page, "3.1.4")[1:] == ["not yet in the tracker", "◐ ongoing", "started"]
    summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "1 completed in the period" in summary and "6 started in the period" in summary


SURVEY = {
    "title": "Assessment report 2024-2025",
    "respondents": "42",
    "response_rate": "71.5",
    "indicator_rows": "3",
    "indicator-0-name": "Staff who know the GEP",
    "indicator-0-value": "78",
    "indicator-0-previous": "55",
    "indicator-0-unit": "%",
    "indicator-1-name": "Women in management",
    "indicator-1-value": "46.5",
    "indicator-1-unit": "%",
    "achievements": "The GEP was drafted.\n\nWebinars every year.",
    "improvements": "More training hours.",
    "next_steps": "Adopt the GEP.",
}


def test_an_editor_drafts_an_assessment_with_its_survey_and_texts(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    draft = session.get(Assessment, assessment_id)
    assert (draft.period_start, draft.period_end, draft.title) == (
        date(2024, 1, 1),
        date(2025, 12, 31),
        "Assessment report 2024-2025",
    )
    response = editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, "version": draft.version})
    assert response.status_code == 303
    session.expire_all()
    draft = session.get(Assessment, assessment_id)
    assert (draft.respondents, draft.response_rate) == (42, Decimal("71.50"))
    assert [(i.name, i.value, i.previous) for i in draft.indicators] == [
        ("Staff who know the GEP", Decimal("78.00"), Decimal("55.00")),
        ("Women in management", Decimal("46.50"), None),
    ]
    page = editor.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Draft: the figures are worked out from the history" in page
    # Percentages by the one rule, and their change in percentage points, right-aligned.
    assert "Staff who know the GEP" in page and "Webinars every year." in page
    assert '<td class="num">78.0 %</td><td class="num">55.0 %</td><td class="num">+23.0 pp</td>' in page
    assert "Respondents: 42." in page and "Response rate: 71.5 %." in page
    for chart in re.findall(r'<img src="([^"]+)"', page):
        svg = editor.get(chart)
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    # Removing an indicator: its name left empty.
    removed = {**SURVEY, "indicator-1-name": "", "version": session.get(Assessment, assessment_id).version}
    assert editor.post(f"/assessments/{assessment_id}/edit", data=removed).status_code == 303
    session.expire_all()
    assert [i.name for i in session.get(Assessment, assessment_id).indicators] == ["Staff who know the GEP"]


def test_any_period_may_be_given_and_a_bad_one_is_named(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei, period_start="2025-07-01", period_end="2026-06-30")
    assert session.get(Assessment, assessment_id).title == "Assessment report 2025-2026"
    backwards = editor.post(
        f"/plans/{iclei}/assessments", data={"period_start": "2026-01-01", "period_end": "2025-01-01"}
    )
    assert (
        backwards.status_code == 422
        and "Last day (YYYY-MM-DD): 2025-01-01 is before the start 2026-01-01"
        in backwards.get_data(as_text=True)
    )
    impossible = editor.post(
        f"/plans/{iclei}/assessments", data={"period_start": "2025-02-30", "period_end": "2025-12-31"}
    )
    assert impossible.status_code == 422 and "2025-02-30 is not a date that exists" in impossible.get_data(
        as_text=True
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 1


def test_an_assessment_period_outside_the_plans_years_is_refused(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    wide = editor.post(
        f"/plans/{iclei}/assessments", data={"period_start": "1900-01-01", "period_end": "2100-12-31"}
    )
    page = wide.get_data(as_text=True)
    assert wide.status_code == 422
    assert "First day (YYYY-MM-DD): 1900-01-01 is outside the plan&#39;s period 2023-2026" in page
    assert "Last day (YYYY-MM-DD): 2100-12-31 is outside the plan&#39;s period 2023-2026" in page
    early = editor.post(f"/plans/{iclei}/assessments", data={"year": "2023"})
    assert early.status_code == 422
    assert (
        "Assessment year (the period is it and the year before): 2023 covers 2022-2023, outside the plan&#39;s period 2023-2026: choose a year from 2024 to 2026"
        in early.get_data(as_text=True)
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0


BAD_SURVEYS = {
    "respondents": ("-3", "Respondents: must be between 0 and 10,000,000"),
    "response_rate": ("120", "Response rate (%): must be between 0 and 100"),
    "indicator-0-value": ("many", "&#39;many&#39; is not a number"),
    "title": ("", "Title: must not be empty"),
}


@pytest.mark.parametrize("field", BAD_SURVEYS)
def test_bad_survey_input_is_named_and_nothing_is_saved(app, users, session, iclei, field):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    value, message = BAD_SURVEYS[field]
    response = editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, field: value, "version": 1})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    session.expire_all()
    draft = session.get(Assessment, assessment_id)
    assert draft.respondents is None and draft.version == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(SurveyIndicator)) == 0


def test_a_stale_draft_is_refused(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    assert editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, "version": 1}).status_code == 303
    stale = editor.post(
        f"/assessments/{assessment_id}/edit", data={**SURVEY, "respondents": "7", "version": 1}
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.get_data(as_text=True)
    session.expire_all()
    assert session.get(Assessment, assessment_id).respondents == 42


def publish(client, session, assessment_id):
    """Publish, confirming when the period has not ended yet."""
    version = session.get(Assessment, assessment_id).version
    asked = client.post(f"/assessments/{assessment_id}/publish", data={"version": version})
    assert asked.status_code == 200 and "A published report cannot be unpublished" in asked.get_data(
        as_text=True
    )
    response = client.post(
        f"/assessments/{assessment_id}/publish", data={"version": version, "confirm": "yes"}
    )
    assert response.status_code == 303
    session.expire_all()
    return session.get(Assessment, assessment_id)


def test_a_published_report_is_frozen_byte_for_byte_when_the_plan_changes(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei, year="2026")
    editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, "version": 1})
    published = publish(editor, session, assessment_id)
    folder = Path(app.config["REPORTS_DIR"]) / published.report_dir
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert set(files) == {"report.json", "report.xlsx", "SHA256SUMS"}
    assert hashlib.sha256(files["report.xlsx"]).hexdigest() == published.workbook_sha256
    assert hashlib.sha256(files["report.json"]).hexdigest() == published.figures_sha256
    assert f"{published.workbook_sha256}  report.xlsx" in files["SHA256SUMS"].decode()
    page_before = editor.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert published.workbook_sha256 in page_before and "This report is frozen" in page_before
    listing = editor.get(f"/plans/{iclei}/assessments").get_data(as_text=True)
    assert published.workbook_sha256 in listing

    # The plan changes: an action completes, the plan is renamed, hours are logged.
    action = session.scalar(sa.select(Action).where(Action.plan_id == iclei, Action.code == "3.1.6"))
    editor.post(
        f"/actions/{action.id}/status",
        data={"status": "completed", "note": "Done", "version": action.version},
    )
    session.expire_all()
    assert session.get(Action, action.id).status is Status.COMPLETED
    plan = session.get(Plan, iclei)
    plan.title = "A renamed plan"
    session.commit()

    assert {path.name: path.read_bytes() for path in folder.iterdir()} == files
    download = editor.get(f"/assessments/{assessment_id}/report.xlsx")
    assert download.status_code == 200 and download.data == files["report.xlsx"]
    page_after = editor.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Gender Mainstreaming Action Plan 2023-2026" in page_after  # the title it had then
    # Frozen means frozen: no edits, no second publishing.
    edit = editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, "version": published.version})
    assert edit.status_code == 409 and "published and frozen" in edit.get_data(as_text=True)
    again = editor.post(f"/assessments/{assessment_id}/publish", data={"version": published.version})
    assert again.status_code == 409 and "published and frozen" in again.get_data(as_text=True)


def test_publishing_before_the_period_ends_asks_first_and_the_report_says_so(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei, year="2026")  # 2025-01-01 to 2026-12-31; today 2026-11-23
    version = session.get(Assessment, assessment_id).version
    asked = editor.post(f"/assessments/{assessment_id}/publish", data={"version": version})
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "runs from 2025-01-01 to 2026-12-31, and today is 2026-11-23: it has not ended yet" in page
    assert 'name="confirm" value="yes"' in page and f'name="version" value="{version}"' in page
    session.expire_all()
    assert not session.get(Assessment, assessment_id).published
    assert not (Path(app.config["REPORTS_DIR"])).exists() or not any(
        Path(app.config["REPORTS_DIR"]).rglob("*")
    )

    published = publish(editor, session, assessment_id)
    frozen = json.loads((Path(app.config["REPORTS_DIR"]) / published.report_dir / "report.json").read_text())
    assert frozen["published"]["period_ended"] is False and frozen["as_of"] == "2026-11-23"
    report = text(editor.get(f"/assessments/{assessment_id}"))
    assert (
        "Published before its period ended (on 2026-12-31): its figures are as of 2026-11-23 "
        "and leave out the rest of the period." in report
    )
    book = openpyxl.load_workbook(io.BytesIO(editor.get(f"/assessments/{assessment_id}/report.xlsx").data))
    summary = {row[0]: row[1] for row in sheet_rows(book, "Summary") if row[0]}
    assert summary["Published before the period ended"] == "yes"


def test_a_report_whose_period_has_ended_asks_only_to_freeze_it_and_says_nothing_more(
    app, users, session, iclei
):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)  # 2024-2025
    version = session.get(Assessment, assessment_id).version
    asked = editor.post(f"/assessments/{assessment_id}/publish", data={"version": version})
    assert asked.status_code == 200 and "not ended" not in asked.get_data(as_text=True)
    response = editor.post(
        f"/assessments/{assessment_id}/publish", data={"version": version, "confirm": "yes"}
    )
    assert response.status_code == 303
    session.expire_all()
    published = session.get(Assessment, assessment_id)
    frozen = json.loads((Path(app.config["REPORTS_DIR"]) / published.report_dir / "report.json").read_text())
    assert frozen["published"]["period_ended"] is True
    assert "before its period ended" not in text(editor.get(f"/assessments/{assessment_id}"))


def test_publishing_second_in_a_race_is_refused_and_leaves_no_files(app, users, session, iclei, database_url):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    assessment = session.get(Assessment, assessment_id)
    reports = Path(app.config["REPORTS_DIR"])
    other = sa.create_engine(database_url, poolclass=sa.pool.NullPool)

    def someone_publishes_first(_flushing, _context, _instances):
        with other.begin() as connection:
            connection.execute(
                sa.update(Assessment)
                .where(Assessment.id == assessment_id)
                .values(version=Assessment.version + 1, achievements="Saved by someone else")
            )

    sa.event.listen(session, "before_flush", someone_publishes_first, once=True)
    with pytest.raises(Conflict) as conflict:
        publish_assessment(
            session,
            assessment,
            reports,
            by=session.scalar(sa.select(User).where(User.email == users["editor"])),
            today=TODAY,
            version=assessment.version,
            build_workbook=build_assessment_workbook,
        )
    other.dispose()
    assert "changed by someone else" in conflict.value.message
    assert not [path for path in reports.rglob("*") if path.is_file()]
    session.expire_all()
    assert session.get(Assessment, assessment_id).published_at is None


def test_a_damaged_frozen_file_is_reported_not_served(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    published = publish(editor, session, new_draft(editor, iclei))
    path = Path(app.config["REPORTS_DIR"]) / published.report_dir / "report.xlsx"
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    response = editor.get(f"/assessments/{published.id}/report.xlsx")
    assert response.status_code == 503 and b"does not match its SHA-256 checksum" in response.data


def test_an_admin_opens_and_closes_the_public_link(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    anonymous = app.test_client()
    refused = editor.post(f"/assessments/{assessment_id}/visibility", data={"public": "true", "version": 1})
    assert refused.status_code == 403
    published = publish(editor, session, assessment_id)
    assert not published.public and published.public_token is None

    admin = sign_in(app, users["admin"])
    admin.post(
        f"/assessments/{assessment_id}/visibility", data={"public": "true", "version": published.version}
    )
    session.expire_all()
    published = session.get(Assessment, assessment_id)
    link = f"/public/reports/{published.public_token}"
    assert published.public and link in admin.get(f"/assessments/{assessment_id}").get_data(as_text=True)

    page = anonymous.get(link)
    assert page.status_code == 200 and "Published on" in page.get_data(as_text=True)
    assert "Sign out" not in page.get_data(as_text=True)
    workbook = anonymous.get(f"{link}/report.xlsx")
    assert workbook.status_code == 200
    assert hashlib.sha256(workbook.data).hexdigest() == published.workbook_sha256
    assert anonymous.get(f"{link}/charts/hours-by-year.svg").status_code == 200
    # Nothing else of the organisation opens.
    assert anonymous.get(f"/assessments/{assessment_id}").status_code == 302
    assert anonymous.get(f"/plans/{iclei}").status_code == 302
    assert anonymous.get("/public/reports/not-a-real-link").status_code == 404

    admin.post(
        f"/assessments/{assessment_id}/visibility", data={"public": "false", "version": published.version}
    )
    session.expire_all()
    assert not session.get(Assessment, assessment_id).public
    assert anonymous.get(link).status_code == 404 and anonymous.get(f"{link}/report.xlsx").status_code == 404
    # Who opened and closed the link is in the security log.
    log = admin.get("/admin/security").get_data(as_text=True)
    assert "Report made public" in log and "Report made private" in log
    assert log.count(f"assessment {assessment_id}: ") == 2


def test_a_draft_cannot_be_made_public(app, users, session, iclei):
    admin = sign_in(app, users["admin"])
    assessment_id = new_draft(admin, iclei)
    response = admin.post(f"/assessments/{assessment_id}/visibility", data={"public": "true", "version": 1})
    assert response.status_code == 422
    assert "Public: only a published report can be made public" in response.get_data(as_text=True)
    missing = admin.post(f"/assessments/{assessment_id}/publish", data={})
    assert missing.status_code == 422 and "Version: is missing" in missing.get_data(as_text=True)
    stale = admin.post(f"/assessments/{assessment_id}/publish", data={"version": 7, "confirm": "yes"})
    assert stale.status_code == 409 and "changed by someone else" in stale.get_data(as_text=True)
    session.expire_all()
    assert not session.get(Assessment, assessment_id).public


def test_another_organisation_sees_no_assessment(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    other = sign_in(app, users["other_admin"])
    assert other.get(f"/assessments/{assessment_id}").status_code == 404
    assert other.get(f"/assessments/{assessment_id}/report.xlsx").status_code == 404


# The report workbook ---------------------------------------------------------------------------


def sheet_rows(book, name):
    return [tuple(c.value for c in row) for row in book[name].iter_rows()]


def test_report_biennial_writes_the_five_sheets_without_publishing(runner, session, history, tmp_path):
    path = tmp_path / "report.xlsx"
    result = runner.invoke(
        args=[
            "report",
            "biennial",
            "--plan",
            str(history),
            "--from",
            "2024-01-01",
            "--to",
            "2025-12-31",
            "--xlsx",
            str(path),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "3 actions, 1 completed, 1 started and 1 became late" in result.output
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Actions", "Hours", "Changes", "Survey"]
    summary = {row[0]: row[1] for row in sheet_rows(book, "Summary") if row[0]}
    assert summary["Plan"] == "Jämställdhetsplan" and summary["Period from"] == datetime(2024, 1, 1)
    assert summary["Completed in the period"] == 1 and summary["Became late in the period"] == 1
    actions = sheet_rows(book, "Actions")
    assert actions[0][:5] == ("Code", "Pillar", "Title", "Status at the start", "Status at the end")
    assert actions[1][:5] == ("1.1", "1 Organisation", "Action 1.1", "upcoming", "completed")
    assert actions[3][3] == "not yet in the tracker"
    assert book["Actions"]["E2"].fill.fgColor.rgb == "00C6EFCE"  # green, with its word
    totals = [row for row in sheet_rows(book, "Hours") if row[1] == "Total"]
    assert [(row[0], row[3], row[4], row[5]) for row in totals] == [
        (2024, 350, 10, 3.5),
        (2025, 300, 40, 10.25),
    ]
    changes = sheet_rows(book, "Changes")
    assert [row[1:4] for row in changes[1:]] == [
        ("1.1", "upcoming", "ongoing"),
        ("1.1", "ongoing", "completed"),
    ]
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0


def test_report_biennial_refuses_bad_arguments_without_a_traceback(runner, history, tmp_path):
    path = str(tmp_path / "r.xlsx")
    backwards = runner.invoke(
        args=[
            "report",
            "biennial",
            "--plan",
            str(history),
            "--from",
            "2025-01-01",
            "--to",
            "2024-01-01",
            "--xlsx",
            path,
        ]
    )
    assert backwards.exit_code == 1 and "is before --from" in backwards.output
    missing = runner.invoke(
        args=[
            "report",
            "biennial",
            "--plan",
            "999999",
            "--from",
            "2024-01-01",
            "--to",
            "2025-12-31",
            "--xlsx",
            path,
        ]
    )
    assert missing.exit_code == 1 and "there is no plan 999999" in missing.output
    bad_date = runner.invoke(
        args=[
            "report",
            "biennial",
            "--plan",
            str(history),
            "--from",
            "2024-13-01",
            "--to",
            "2025-12-31",
            "--xlsx",
            path,
        ]
    )
    assert bad_date.exit_code == 2 and "Invalid value for '--from'" in bad_date.output
    assert "Traceback" not in backwards.output + missing.output + bad_date.output


def test_the_report_hours_equal_the_api_hours(app, users, session, iclei, client, auth):
    plan = session.get(Plan, iclei)
    person = session.scalar(sa.select(User).where(User.email == users["editor"]))
    first = session.scalar(sa.select(Action).where(Action.plan_id == iclei).order_by(Action.id))
    f.budget(session, first, 2025, "30")
    f.log(session, plan, person, date(2025, 3, 3), "4.5", first)
    f.log(session, plan, person, date(2026, 2, 9), "1.25")
    session.commit()
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei, year="2026")
    book = openpyxl.load_workbook(io.BytesIO(editor.get(f"/assessments/{assessment_id}/report.xlsx").data))
    totals = {row[0]: row for row in sheet_rows(book, "Hours") if row[1] == "Total"}
    auth.login(users["viewer"])
    for year in (2025, 2026):
        api = client.get(f"/api/v1/plans/{iclei}/hours?year={year}").get_json()
        assert totals[year][3] == pytest.approx(float(api["allocated"]["total"]))
        assert totals[year][4] == pytest.approx(float(api["planned"]))
        assert totals[year][5] == pytest.approx(float(api["logged"]["total"]))
    assert (totals[2025][4], totals[2025][5], totals[2026][5]) == (30, 4.5, 1.25)


def report(text_of) -> dict:
    """Report data whose every piece of user text comes from ``text_of(name)``."""
    statuses = {"completed": 1, "ongoing": 0, "upcoming": 0}
    return {
        "format": 1,
        "title": text_of("title"),
        "plan": {
            "title": text_of("plan"),
            "organisation": text_of("organisation"),
            "identifier": "x",
            "period": "2023-2026",
        },
        "period": {"start": "2024-01-01", "end": "2025-12-31"},
        "as_of": "2025-12-31",
        "summary": {
            "actions": 1,
            "completed": 1,
            "started": 0,
            "became_late": 0,
            "late_at_end": 0,
            "status_start": statuses,
            "status_end": statuses,
            "changes": 1,
        },
        "by_pillar": [
            {"pillar": text_of("pillar"), "position": 1, "name": "p", "start": statuses, "end": statuses}
        ],
        "actions": [
            {
                "code": text_of("code"),
                "title": text_of("action"),
                "pillar": text_of("pillar"),
                "status_start": "completed",
                "status_end": "completed",
                "late_start": False,
                "late_end": False,
                "completed": False,
                "started": False,
                "became_late": False,
            }
        ],
        "hours": [
            {
                "year": 2025,
                "allocated": "1.00",
                "planned": "0.00",
                "logged": "0.00",
                "remaining": "1.00",
                "over": False,
                "lines": [{"name": text_of("line"), "kind": "management", "allocated": "1.00"}],
                "kinds": [
                    {
                        "kind": "management",
                        "allocated": "1.00",
                        "planned": "0.00",
                        "logged": "0.00",
                        "remaining": "1.00",
                        "over": False,
                    }
                ],
                "pillars": [
                    {
                        "pillar": text_of("hours_pillar"),
                        "planned": "0.00",
                        "logged": "0.00",
                        "remaining": "0.00",
                        "over": False,
                    }
                ],
            }
        ],
        "changes": [
            {
                "at": "2025-03-01T10:00:00+00:00",
                "code": "1.1",
                "from": "ongoing",
                "to": "completed",
                "who": text_of("who"),
                "note": text_of("note"),
            }
        ],
        "survey": {
            "respondents": 3,
            "response_rate": "50.00",
            "indicators": [
                {
                    "name": text_of("indicator"),
                    "value": "1.00",
                    "previous": None,
                    "change": None,
                    "unit": text_of("unit"),
                }
            ],
        },
        "sections": {
            "achievements": text_of("achievements"),
            "improvements": text_of("improvements"),
            "next_steps": text_of("next_steps"),
        },
    }


WHERE = {
    "Summary": ["title", "plan", "organisation", "pillar", "achievements", "improvements", "next_steps"],
    "Actions": ["code", "action", "pillar"],
    "Hours": ["line", "hours_pillar"],
    "Changes": ["who", "note"],
    "Survey": ["indicator", "unit"],
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.fixed_dictionaries({name: typed for names in WHERE.values() for name in names}))
def test_user_text_is_never_a_formula_in_any_report_sheet(texts):
    book = openpyxl.load_workbook(io.BytesIO(build_assessment_workbook(report(texts.__getitem__))))
    for sheet, names in WHERE.items():
        cells = [c for row in book[sheet].iter_rows() for c in row if c.value is not None]
        for name in names:
            found = [c for c in cells if c.value == clean_text(texts[name])]
            assert found, (sheet, name, texts[name])
            assert all(c.data_type == "s" for c in found), (sheet, name)


def test_the_draft_form_shows_the_indicators_as_saved_or_as_sent(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    assert editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, "version": 1}).status_code == 303
    page = editor.get(f"/assessments/{assessment_id}/edit").get_data(as_text=True)
    assert 'name="indicator-1-name" value="Women in management"' in page
    assert 'name="indicator-0-previous" value="55.00"' in page
    # Three empty rows below the saved ones, for new indicators.
    assert 'name="indicator-4-name" value=""' in page and "indicator-5-name" not in page
    sent = {**SURVEY, "indicator-1-value": "lots", "version": 2}
    refused = editor.post(f"/assessments/{assessment_id}/edit", data=sent)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'name="indicator-1-value" value="lots"' in text
    assert "&#39;lots&#39; is not a number" in text


def test_the_draft_form_takes_at_most_its_maximum_of_indicators(app, users, session, iclei):
    from tracker.assessments.views import MAX_INDICATORS

    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    rows = {}
    for index in range(MAX_INDICATORS + 5):
        rows |= {f"indicator-{index}-name": f"Indicator {index}", f"indicator-{index}-value": "1"}
    response = editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, **rows, "version": 1})
    assert response.status_code == 303
    session.expire_all()
    assert len(session.get(Assessment, assessment_id).indicators) == MAX_INDICATORS
    page = editor.get(f"/assessments/{assessment_id}/edit").get_data(as_text=True)
    assert f"indicator-{MAX_INDICATORS - 1}-name" in page and f"indicator-{MAX_INDICATORS}-" not in page


HOSTILE_ROWS = {
    "a huge row count": {"indicator_rows": "2000000"},
    "a negative row count": {"indicator_rows": "-5"},
    "a row count that is no number": {"indicator_rows": "abc"},
    "a far index": {"indicator-99999-name": "x", "indicator-99999-value": "1"},
    "a far index without its value": {"indicator-99999-name": "x"},
    "a superscript index": {"indicator-²-name": "x", "indicator-²-value": "1"},
    "a 5,000-digit index": {f"indicator-{'9' * 5000}-name": "x"},
    "a negative index": {"indicator--5-name": "x"},
    "no indicator rows at all": None,
}


@pytest.mark.parametrize("case", HOSTILE_ROWS, ids=list(HOSTILE_ROWS))
def test_repeated_rows_are_bounded_and_never_lose_the_indicators(app, users, session, iclei, case):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    assert editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, "version": 1}).status_code == 303
    extra = HOSTILE_ROWS[case]
    if extra is None:
        sent = {k: v for k, v in SURVEY.items() if not k.startswith("indicator")} | {"version": 2}
    else:
        sent = {**SURVEY, **extra, "version": 2}
    response = editor.post(f"/assessments/{assessment_id}/edit", data=sent)
    assert response.status_code in (303, 422), response.status_code
    session.expire_all()
    names = [i.name for i in session.get(Assessment, assessment_id).indicators]
    if response.status_code == 422:
        page = response.get_data(as_text=True)
        assert 'name="indicator-2-name" value="x"' in page and "Value: must be a number" in page
        assert names == ["Staff who know the GEP", "Women in management"]
    else:
        assert names[:2] == ["Staff who know the GEP", "Women in management"]
        assert names[2:] in ([], ["x"])


IMPLAUSIBLE_PERIODS = {
    "starting in year 1": ({"period_start": "0001-01-01", "period_end": "2025-12-31"}, "period_start"),
    "ending in year 9999": ({"period_start": "2024-01-01", "period_end": "9999-12-31"}, "period_end"),
    "before 1900": ({"period_start": "1899-12-31", "period_end": "2025-12-31"}, "period_start"),
}


@pytest.mark.parametrize("case", IMPLAUSIBLE_PERIODS, ids=list(IMPLAUSIBLE_PERIODS))
def test_a_period_in_an_implausible_year_is_refused_naming_the_field(app, users, session, iclei, case):
    editor = sign_in(app, users["editor"])
    form, field = IMPLAUSIBLE_PERIODS[case]
    response = editor.post(f"/plans/{iclei}/assessments", data=form)
    assert response.status_code == 422
    label = {"period_start": "First day (YYYY-MM-DD)", "period_end": "Last day (YYYY-MM-DD)"}[field]
    assert f"{label}: {form[field]} is not a plausible date" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0
    # The service refuses it too, whoever calls it.
    with pytest.raises(Invalid) as refused:
        create_assessment(
            session,
            session.get(Plan, iclei),
            start=date.fromisoformat(form["period_start"]),
            end=date.fromisoformat(form["period_end"]),
        )
    assert field in refused.value.errors


def test_report_biennial_refuses_an_implausible_year(runner, iclei, tmp_path):
    path = tmp_path / "r.xlsx"
    period = ["--from", "0001-01-01", "--to", "2025-12-31"]
    result = runner.invoke(args=["report", "biennial", "--plan", str(iclei), *period, "--xlsx", str(path)])
    assert result.exit_code == 1 and "from: 0001-01-01 is not a plausible date" in result.output
    assert not path.exists()


AWKWARD_TITLE = 'Report "2024–2025"\nline two: Malmö / Göteborg; ✓ $5'


def test_every_workbook_download_has_a_safe_name_whatever_the_title(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    saved = editor.post(
        f"/assessments/{assessment_id}/edit", data={**SURVEY, "title": AWKWARD_TITLE, "version": 1}
    )
    assert saved.status_code == 303
    assert session.get(Assessment, assessment_id).title == AWKWARD_TITLE

    def check(response):
        assert response.status_code == 200 and response.data[:2] == b"PK"
        header = response.headers["Content-Disposition"]
        assert "\n" not in header and "\r" not in header and header.isascii()
        assert header.startswith('attachment; filename="Report 2024-2025 line two Malmo Goteborg')
        assert "filename*=UTF-8''" in header
        assert unquote(header.split("filename*=UTF-8''")[1]).startswith(
            "Report 2024–2025 line two Malmö Göteborg ✓ $5"
        )

    check(editor.get(f"/assessments/{assessment_id}/report.xlsx"))
    published = publish(editor, session, assessment_id)
    check(editor.get(f"/assessments/{assessment_id}/report.xlsx"))
    admin = sign_in(app, users["admin"])
    admin.post(
        f"/assessments/{assessment_id}/visibility", data={"public": "true", "version": published.version}
    )
    session.expire_all()
    token = session.get(Assessment, assessment_id).public_token
    check(app.test_client().get(f"/public/reports/{token}/report.xlsx"))

    plan = session.get(Plan, iclei)
    plan.title = AWKWARD_TITLE
    session.commit()
    check(editor.get(f"/plans/{iclei}/workbook.xlsx"))


def test_a_bad_hidden_version_on_the_draft_form_is_said(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    response = editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, "version": "x"})
    assert response.status_code == 422
    assert "Version: is not a version number" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Assessment, assessment_id).respondents is None


def test_a_draft_stored_with_year_1_still_opens_and_saves(app, users, session, iclei):
    """Drafts saved before periods were checked: their pages answer, and their texts can change."""
    stored = Assessment(plan_id=iclei, title="Old", period_start=date(1, 1, 1), period_end=date(2025, 12, 31))
    session.add(stored)
    session.commit()
    editor = sign_in(app, users["editor"])
    base = f"/assessments/{stored.id}"
    for url in (base, f"{base}/report.xlsx", f"{base}/edit", f"{base}/charts/hours-by-year.svg"):
        assert editor.get(url).status_code == 200, url
    assert editor.get(f"{base}/charts/status-by-pillar.svg").status_code == 200
    assert editor.post(f"{base}/edit", data={**SURVEY, "version": stored.version}).status_code == 303


def test_a_draft_is_deleted_after_confirming_and_the_history_keeps_it(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    editor.post(f"/assessments/{assessment_id}/edit", data={**SURVEY, "version": 1})
    draft = session.get(Assessment, assessment_id)
    title, version = draft.title, draft.version
    assert "Delete this draft" in editor.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    asked = editor.post(f"/assessments/{assessment_id}/delete", data={"version": version})
    assert asked.status_code == 200 and f"Delete the draft {title}?" in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(Assessment, assessment_id) is not None
    deleted = editor.post(f"/assessments/{assessment_id}/delete", data={"version": version, "confirm": "yes"})
    assert deleted.status_code == 303 and deleted.location.endswith(f"/plans/{iclei}/assessments")
    session.expire_all()
    assert session.get(Assessment, assessment_id) is None
    assert session.scalar(sa.select(sa.func.count()).select_from(SurveyIndicator)) == 0
    gone = session.scalar(
        sa.select(HistoryEntry).where(
            HistoryEntry.entity == "assessment",
            HistoryEntry.entity_id == assessment_id,
            HistoryEntry.kind == "deleted",
        )
    )
    assert gone is not None and title in gone.before
    assert editor.get(f"/assessments/{assessment_id}").status_code == 404


def test_a_published_report_cannot_be_deleted(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    published = publish(editor, session, assessment_id)
    folder = Path(app.config["REPORTS_DIR"]) / published.report_dir
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    page = editor.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Delete this draft" not in page
    refused = editor.post(
        f"/assessments/{assessment_id}/delete", data={"version": published.version, "confirm": "yes"}
    )
    assert refused.status_code == 409 and "published and frozen" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Assessment, assessment_id).published
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == files


def test_viewers_cannot_delete_drafts(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    assessment_id = new_draft(editor, iclei)
    viewer = sign_in(app, users["viewer"])
    assert viewer.post(f"/assessments/{assessment_id}/delete", data={"version": 1}).status_code == 403
