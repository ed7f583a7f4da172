"""Reporting rounds: opening one, each member submitting a frozen snapshot, the member list, the
network workbook built from the snapshots only, damaged bytes, and every refusal."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.conftest import PASSWORD
from tracker.accounts.models import Membership, Network, Organisation, Region, User
from tracker.accounts.services import create_user
from tracker.core.permissions import Role
from tracker.dashboard.figures import build_dashboard
from tracker.plans.models import Action, Plan, Status
from tracker.rounds.models import ReportingRound, RoundSubmission
from tracker.workbooks import build_plan_workbook

TODAY = date(2026, 11, 23)
ICLEI = "ICLEI European Secretariat"


@pytest.fixture
def network(app, session, users, password_hash):
    """The CIB network: ICLEI, Ciudad de Guatemala (a plan, never submitted) and a Zambian LGA
    (no plan), a coordinator; and an outsider organisation with an admin."""
    cib = Network(name="UCLG CIB Working Group")
    session.add(cib)
    iclei = session.scalar(sa.select(Organisation).where(Organisation.name == ICLEI))
    guatemala = session.scalar(sa.select(Organisation).where(Organisation.name == "Ciudad de Guatemala"))
    zambia = Organisation(
        name="Local Government Association of Zambia",
        country="Zambia",
        region=Region.EAST_AND_SOUTHERN_AFRICA,
    )
    outsider = Organisation(name="Outsider City", country="Chile", region=Region.LATIN_AMERICA)
    session.add_all([zambia, outsider])
    session.flush()
    for member in (iclei, guatemala, zambia):
        session.add(Membership(network=cib, organisation=member))
    f.plan(session, guatemala, title="Plan de igualdad 2024-2027", start=2024, end=2027)
    create_user(
        session,
        email="coordinator@cib.test",
        name="Carla Coordinator",
        role=Role.COORDINATOR,
        password="",
        network=cib,
        password_hash=password_hash,
    )
    create_user(
        session,
        email="admin@outsider.test",
        name="Otto Outsider",
        role=Role.ADMIN,
        password="",
        organisation=outsider,
        password_hash=password_hash,
    )
    session.commit()
    return {
        **users,
        "coordinator": "coordinator@cib.test",
        "outsider": "admin@outsider.test",
        "network_id": cib.id,
    }


def client_of(app, email):
    client = app.test_client()
    assert client.post("/signin", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def open_round(app, network, title="2026 progress report", year="2026", due_on="2026-12-31"):
    client = client_of(app, network["coordinator"])
    return client.post("/rounds", data={"title": title, "year": year, "due_on": due_on})


def round_id(session, title="2026 progress report") -> int:
    return session.scalar(sa.select(ReportingRound.id).where(ReportingRound.title == title))


def submit(app, email, round_, plan_id):
    return client_of(app, email).post(f"/rounds/{round_}/submit", data={"plan": str(plan_id)})


def count(session, model) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_coordinator_opens_a_round_the_members_see_it(app, session, network):
    response = open_round(app, network)
    assert response.status_code == 303
    round_ = session.get(ReportingRound, round_id(session))
    assert (round_.year, round_.due_on, round_.closed) == (2026, date(2026, 12, 31), False)
    listing = client_of(app, network["viewer"]).get("/rounds").get_data(as_text=True)
    assert "2026 progress report" in listing and "UCLG CIB Working Group" in listing
    # Members see the round but cannot open one.
    refused = client_of(app, network["admin"]).post(
        "/rounds", data={"title": "Mine", "year": "2026", "due_on": "2026-12-31"}
    )
    assert refused.status_code == 403
    assert count(session, ReportingRound) == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"due_on": "2025-12-31"},
            "Due date: 2025-12-31 is before the round&#39;s year 2026; choose a day from 2026-01-01 on",
        ),
        ({"due_on": "2026-02-30"}, "Due date: 2026-02-30 is not a date that exists (use YYYY-MM-DD)"),
        ({"year": "twenty"}, "Year: twenty is not a year: type it with the digits 0-9"),
        ({"title": " "}, "Title: must not be empty"),
    ],
)
def test_a_bad_round_is_refused_naming_the_field_and_nothing_is_written(app, session, network, form, message):
    response = open_round(app, network, **form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(session, ReportingRound) == 0


def test_a_second_round_of_the_same_title_is_refused(app, session, network):
    open_round(app, network)
    again = open_round(app, network, due_on="2027-01-31")
    assert again.status_code == 422
    assert "Title: the network already has a round called 2026 progress report" in again.get_data(
        as_text=True
    )
    assert count(session, ReportingRound) == 1


def test_an_editor_submits_a_frozen_snapshot_of_the_plan(app, session, network, iclei):
    open_round(app, network)
    rid = round_id(session)
    response = submit(app, network["editor"], rid, iclei)
    assert response.status_code == 303
    submission = session.scalar(sa.select(RoundSubmission))
    assert submission.submitted_on == TODAY
    assert session.get(User, submission.submitted_by_id).email == network["editor"]
    assert hashlib.sha256(submission.workbook).hexdigest() == submission.workbook_sha256
    assert hashlib.sha256(submission.figures).hexdigest() == submission.figures_sha256
    # The plan workbook as the plan's own download gives it that day.
    with app.app_context():
        own_download = build_plan_workbook(session, session.get(Plan, iclei), TODAY)
    assert sheets(submission.workbook) == sheets(own_download)
    assert list(sheets(submission.workbook)) == ["Plan", "Actions", "Hours", "History"]
    # The figures are the plan's dashboard for the round's year, to the hundredth.
    figures = json.loads(submission.figures)
    board = build_dashboard(session, session.get(Plan, iclei), 2026, TODAY)
    assert figures["actions"] == {
        "completed": board.counts[Status.COMPLETED],
        "ongoing": board.counts[Status.ONGOING],
        "upcoming": board.counts[Status.UPCOMING],
        "late": len(board.late),
        "total": 17,
    }
    assert figures["hours"]["allocated"] == str(board.rollup.allocated)
    assert figures["submitted_by"] == "Editor Person"
    assert figures["organisation"] == {
        "name": ICLEI,
        "country": "Germany",
        "region": "North America & Europe",
    }

    # The member's own people download the frozen workbook; so does the coordinator.
    own = client_of(app, network["viewer"]).get(f"/rounds/{rid}/submissions/{submission.id}/workbook.xlsx")
    assert own.status_code == 200 and own.data == submission.workbook
    coordinator = client_of(app, network["coordinator"]).get(
        f"/rounds/{rid}/submissions/{submission.id}/workbook.xlsx"
    )
    assert coordinator.data == submission.workbook


def test_submitting_twice_is_refused_and_nothing_is_written(app, session, network, iclei):
    open_round(app, network)
    rid = round_id(session)
    submit(app, network["editor"], rid, iclei)
    again = submit(app, network["admin"], rid, iclei)
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert (
        f"round: {ICLEI} already submitted Gender Mainstreaming Action Plan 2023-2026 to 2026 progress report on 2026-11-23 (by Editor Person)"
        in text
    )
    assert count(session, RoundSubmission) == 1


def test_a_closed_round_takes_no_submission(app, session, network, iclei):
    open_round(app, network)
    rid = round_id(session)
    coordinator = client_of(app, network["coordinator"])
    version = session.get(ReportingRound, rid).version
    assert coordinator.post(f"/rounds/{rid}/close", data={"version": str(version)}).status_code == 303
    refused = submit(app, network["editor"], rid, iclei)
    assert refused.status_code == 409
    assert "round: 2026 progress report was closed on" in refused.get_data(as_text=True)
    assert "it takes no more submissions, and nothing was submitted" in refused.get_data(as_text=True)
    assert count(session, RoundSubmission) == 0
    # Only the coordinator closes a round.
    assert (
        client_of(app, network["admin"]).post(f"/rounds/{rid}/close", data={"version": "1"}).status_code
        == 403
    )


def test_who_may_submit_what(app, session, network, iclei):
    open_round(app, network)
    rid = round_id(session)
    guatemala_plan = session.scalar(sa.select(Plan.id).where(Plan.title == "Plan de igualdad 2024-2027"))
    # Viewers and coordinators never submit.
    assert submit(app, network["viewer"], rid, iclei).status_code == 403
    assert submit(app, network["coordinator"], rid, iclei).status_code == 403
    # Another member's plan is not one's own to submit.
    other = submit(app, network["editor"], rid, guatemala_plan)
    assert other.status_code == 422
    assert "Plan: choose one of your organisation&#39;s plans to submit" in other.get_data(as_text=True)
    # Ids no plan has, however written.
    for sent in ("", "abc", "0", str(2**31), "9" * 5000, "²"):
        assert submit(app, network["editor"], rid, sent).status_code == 422, sent
    # A plan that does not cover the round's year.
    open_round(app, network, title="2027 progress report", year="2027", due_on="2027-06-30")
    outside = submit(app, network["editor"], round_id(session, "2027 progress report"), iclei)
    assert outside.status_code == 422
    assert (
        "Plan: Gender Mainstreaming Action Plan 2023-2026 covers 2023-2026, not the round&#39;s year 2027"
        in (outside.get_data(as_text=True))
    )
    assert count(session, RoundSubmission) == 0


def test_the_round_lists_every_member_submitted_late_or_not(app, session, network, iclei):
    open_round(app, network, due_on="2026-11-01")
    rid = round_id(session)
    submit(app, network["editor"], rid, iclei)
    page = client_of(app, network["coordinator"]).get(f"/rounds/{rid}").get_data(as_text=True)
    assert "1 of 3 members have submitted." in page
    rows = {
        name: page.split(f'<th scope="row">{name}</th>', 1)[1].split("</tr>", 1)[0]
        for name in (ICLEI, "Ciudad de Guatemala", "Local Government Association of Zambia")
    }
    assert "submitted late" in rows[ICLEI] and "2026-11-23 by Editor Person" in rows[ICLEI]
    assert "not submitted, overdue" in rows["Ciudad de Guatemala"]
    assert "not submitted, overdue" in rows["Local Government Association of Zambia"]

    # A member sees its own state and nobody else's.
    member_page = client_of(app, network["other_admin"]).get(f"/rounds/{rid}").get_data(as_text=True)
    assert "Ciudad de Guatemala in this round" in member_page
    assert ICLEI not in member_page and "Editor Person" not in member_page


def test_on_time_is_submitted(app, session, network, iclei):
    open_round(app, network, due_on="2026-11-23")
    rid = round_id(session)
    submit(app, network["editor"], rid, iclei)
    page = client_of(app, network["coordinator"]).get(f"/rounds/{rid}").get_data(as_text=True)
    row = page.split(f'<th scope="row">{ICLEI}</th>', 1)[1].split("</tr>", 1)[0]
    assert "round-submitted" in row and "late" not in row


def sheets(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: [tuple(c.value for c in row) for row in sheet.iter_rows()] for sheet in book}


def test_the_round_workbook_is_built_from_the_frozen_submissions_only(app, session, network, iclei):
    open_round(app, network)
    rid = round_id(session)
    submit(app, network["editor"], rid, iclei)
    coordinator = client_of(app, network["coordinator"])
    first = coordinator.get(f"/rounds/{rid}/workbook.xlsx")
    assert first.status_code == 200

    book = sheets(first.data)
    assert list(book) == ["Summary", "East and Southern Africa", "Latin America", "North America & Europe"]
    europe = book["North America & Europe"]
    assert europe[0][:3] == ("Organisation", "Country", "State")
    assert europe[1][:6] == (
        ICLEI,
        "Germany",
        "submitted",
        europe[1][3],
        "Editor Person",
        "Gender Mainstreaming Action Plan 2023-2026",
    )
    figures = json.loads(session.scalar(sa.select(RoundSubmission)).figures)
    assert europe[1][6:11] == tuple(
        figures["actions"][k] for k in ("completed", "ongoing", "upcoming", "late", "total")
    )
    assert book["Latin America"][1][:3] == ("Ciudad de Guatemala", "Guatemala", "not submitted")
    network_row = next(row for row in book["Summary"] if row[0] == "Network total")
    assert network_row[1:5] == (3, 1, 0, 2)

    # The plan changes after it was submitted: an action completes, the plan is renamed.
    action = session.scalar(
        sa.select(Action).where(Action.plan_id == iclei, Action.status == Status.UPCOMING)
    )
    action.status = Status.COMPLETED
    session.get(Plan, iclei).title = "Renamed plan"
    session.commit()
    later = coordinator.get(f"/rounds/{rid}/workbook.xlsx")
    assert later.data == first.data

    # Another member's submission is what changes it.
    guatemala_plan = session.scalar(sa.select(Plan.id).where(Plan.title == "Plan de igualdad 2024-2027"))
    assert submit(app, network["other_admin"], rid, guatemala_plan).status_code == 303
    assert coordinator.get(f"/rounds/{rid}/workbook.xlsx").data != first.data


def test_the_round_workbook_is_for_coordinators(app, session, network, iclei):
    open_round(app, network)
    rid = round_id(session)
    assert client_of(app, network["admin"]).get(f"/rounds/{rid}/workbook.xlsx").status_code == 403


def test_damaged_bytes_answer_503_with_a_message(app, session, network, iclei):
    open_round(app, network)
    rid = round_id(session)
    submit(app, network["editor"], rid, iclei)
    submission = session.scalar(sa.select(RoundSubmission))
    session.execute(
        sa.update(RoundSubmission).where(RoundSubmission.id == submission.id).values(workbook=b"tampered")
    )
    session.execute(
        sa.update(RoundSubmission)
        .where(RoundSubmission.id == submission.id)
        .values(figures=submission.figures.replace(b'"completed"', b'"completed" '))
    )
    sid = submission.id
    session.commit()
    coordinator = client_of(app, network["coordinator"])
    frozen = coordinator.get(f"/rounds/{rid}/submissions/{sid}/workbook.xlsx")
    assert frozen.status_code == 503
    assert (
        "The plan workbook ICLEI European Secretariat submitted to this round no longer matches the SHA-256 checksum"
        in (frozen.get_data(as_text=True))
    )
    rolled = coordinator.get(f"/rounds/{rid}/workbook.xlsx")
    assert rolled.status_code == 503
    assert (
        "The figures ICLEI European Secretariat submitted to this round no longer matches"
        in rolled.get_data(as_text=True)
    )


def test_outsiders_and_other_networks_get_404(app, session, network, iclei, password_hash):
    open_round(app, network)
    rid = round_id(session)
    submit(app, network["editor"], rid, iclei)
    sid = session.scalar(sa.select(RoundSubmission.id))
    other_network = Network(name="ICLD municipal partnerships")
    session.add(other_network)
    session.flush()
    create_user(
        session,
        email="coordinator@icld.test",
        name="Ingrid Coordinator",
        role=Role.COORDINATOR,
        password="",
        network=other_network,
        password_hash=password_hash,
    )
    session.commit()
    # What an outsider's role may use at all answers 404; what only coordinators use, 403.
    expected = {
        network["outsider"]: {"show": 404, "workbook": 403, "submission": 404, "close": 403},
        "coordinator@icld.test": {"show": 404, "workbook": 404, "submission": 404, "close": 404},
    }
    for email, statuses in expected.items():
        client = client_of(app, email)
        paths = {
            "show": f"/rounds/{rid}",
            "workbook": f"/rounds/{rid}/workbook.xlsx",
            "submission": f"/rounds/{rid}/submissions/{sid}/workbook.xlsx",
        }
        for what, path in paths.items():
            assert client.get(path).status_code == statuses[what], (email, path)
        assert client.post(f"/rounds/{rid}/close", data={"version": "1"}).status_code == statuses["close"]
        assert "2026 progress report" not in client.get("/rounds").get_data(as_text=True)
    assert session.get(ReportingRound, rid).closed_at is None
    # Another member sees the round, but not ICLEI's submission.
    member = client_of(app, network["other_admin"])
    assert member.get(f"/rounds/{rid}").status_code == 200
    assert member.get(f"/rounds/{rid}/submissions/{sid}/workbook.xlsx").status_code == 404


def test_the_round_workbook_does_not_depend_on_when_it_is_built(app, session, network, iclei, monkeypatch):
    """Built again a day later (the clock moved on), the same submissions give the same bytes."""
    import time

    from tracker.rounds.services import member_statuses
    from tracker.rounds.workbook import build_round_workbook

    open_round(app, network)
    rid = round_id(session)
    submit(app, network["editor"], rid, iclei)
    round_ = session.get(ReportingRound, rid)

    def build():
        return build_round_workbook(round_, "UCLG CIB Working Group", member_statuses(session, round_, TODAY))

    first = build()
    later = time.time() + 86_400
    monkeypatch.setattr(time, "time", lambda: later)
    assert build() == first


def test_the_round_page_and_workbook_take_as_many_statements_for_many_members(
    app, session, network, iclei, app_engine
):
    """Three members or thirty, submitted or not: the coordinator's page and the workbook run the
    same number of SQL statements (nothing is loaded member by member)."""
    open_round(app, network)
    rid = round_id(session)
    submit(app, network["editor"], rid, iclei)
    coordinator = client_of(app, network["coordinator"])

    def statements() -> tuple[int, int]:
        with f.count_statements(app_engine) as page:
            assert coordinator.get(f"/rounds/{rid}").status_code == 200
        with f.count_statements(app_engine) as book:
            assert coordinator.get(f"/rounds/{rid}/workbook.xlsx").status_code == 200
        return len(page), len(book)

    few = statements()
    cib = session.get(Network, network["network_id"])
    for number in range(27):
        org = Organisation(name=f"Member {number:02d}", country="Kenya", region=list(Region)[number % 6])
        session.add_all([org, Membership(network=cib, organisation=org)])
    session.commit()
    many = statements()
    assert "1 of 30 members have submitted." in coordinator.get(f"/rounds/{rid}").get_data(as_text=True)
    assert many == few
