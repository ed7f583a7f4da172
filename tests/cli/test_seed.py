"""The ICLEI seed reads as the document does; bad seed files load nothing."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.accounts.models import Membership, Network, Organisation, Region, User
from tracker.assessments.models import Assessment
from tracker.cli.seeding import ICLEI_SEED, SeedError, load_plan, read_seed
from tracker.history.models import HistoryEntry
from tracker.hours.models import TimeEntry
from tracker.hours.rollup import hour_rollup
from tracker.plans.models import Action, AllocationLine, Plan, StatusChange

# The status of each action as derived from the plan's timeline wording (see seed/iclei.toml).
EXPECTED = {
    "3.1.1": ("Development of a Gender Equality Plan (GEP)", "ongoing", "2023-25", 2023, 2025, "once"),
    "3.1.2": (
        "Establishing relationships and collaboration with the Directors' Group and Senior Management Group",
        "ongoing",
        "ongoing since 2023",
        2023,
        None,
        "ongoing",
    ),
    "3.1.3": (
        "Showcasing ICLEI's members' work on gender",
        "ongoing",
        "ongoing since 2023",
        2023,
        None,
        "ongoing",
    ),
    "3.1.4": ("Internal collaboration", "ongoing", "ongoing since 2024", 2024, None, "ongoing"),
    "3.1.5": ("External collaboration", "ongoing", "ongoing since 2024", 2024, None, "ongoing"),
    "3.1.6": (
        "Strategic project acquisition to support gender work in the organisation",
        "upcoming",
        "2025-2026",
        2025,
        2026,
        "once",
    ),
    "3.1.7": (
        "Positioning ICLEI as a gender-sensitive organisation",
        "upcoming",
        "2025-2026",
        2025,
        2026,
        "once",
    ),
    "3.2.1": ("Staff contact and information", "ongoing", "ongoing since 2022", 2022, None, "ongoing"),
    "3.2.2": (
        "Staff engagement in the GEP development and publication",
        "completed",
        "completed in 2025",
        2025,
        2025,
        "once",
    ),
    "3.2.3": ("Gender Guidelines for Project Work", "ongoing", "ongoing since 2025", 2025, None, "ongoing"),
    "3.2.4": ("Gender Guidelines for the Workplace", "upcoming", "2026", 2026, 2026, "once"),
    "3.2.5": (
        "Develop public gender mainstreaming statement and publicise it",
        "upcoming",
        "2025-2026",
        2025,
        2026,
        "once",
    ),
    "3.2.6": ("ICLEI member webinar", "ongoing", "yearly", 2023, None, "yearly"),
    "3.3.1": (
        "Designing and conducting a gender training session for ICLEI ES staff",
        "completed",
        "completed in 2023",
        2023,
        2023,
        "once",
    ),
    "3.3.2": ("Gender training for management", "upcoming", "2026", 2026, 2026, "once"),
    "3.4.1": (
        "ICLEI Gender Assessment Surveys",
        "ongoing",
        "once every 2 years",
        2025,
        None,
        "every two years",
    ),
    "3.4.2": (
        "ICLEI regular gender assessment",
        "ongoing",
        "every two years starting from 2025",
        2025,
        None,
        "every two years",
    ),
}
DOCUMENT = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "004_4f2bd708fb4f8686.txt"


def test_the_plan_its_pillars_and_all_17_actions(session, iclei):
    plan = session.get(Plan, iclei)
    assert (plan.title, plan.start_year, plan.end_year) == (
        "Gender Mainstreaming Action Plan 2023-2026",
        2023,
        2026,
    )
    assert (plan.organisation.name, plan.organisation.region) == (
        "ICLEI European Secretariat",
        Region.NORTH_AMERICA_AND_EUROPE,
    )
    assert [p.label for p in plan.pillars] == [
        "1 Organisational actions",
        "2 Communication",
        "3 Training and capacity-building",
        "4 Monitoring and evaluation",
    ]
    actions = session.scalars(
        sa.select(Action).where(Action.plan_id == iclei).order_by(Action.position)
    ).all()
    assert {
        a.code: (a.title, a.status.value, a.timeline_text, a.start_year, a.end_year, a.cadence.value)
        for a in actions
    } == EXPECTED
    assert [a.code for a in actions] == list(EXPECTED)
    assert all(a.pillar.position == int(a.code.split(".")[1]) for a in actions)


@pytest.mark.skipif(not DOCUMENT.exists(), reason="the shared seed documents are not beside the repository")
def test_every_text_is_the_documents_own(session, iclei):
    document = " ".join(DOCUMENT.read_text().split())
    for action in session.scalars(sa.select(Action).where(Action.plan_id == iclei)):
        for text in (action.title, action.description, action.objectives, action.resources_text):
            assert " ".join(text.split()) in document, f"{action.code}: {text[:60]!r}"


def test_the_2025_allocation_is_350_hours_in_two_lines(session, iclei):
    plan = session.get(Plan, iclei)
    rollup = hour_rollup(session, plan, 2025)
    assert [(line.name, line.kind.value, line.hours) for line in rollup.lines] == [
        ("Overall management", "management", Decimal("100.00")),
        ("Development/Implementation of the action plan", "implementation", Decimal("250.00")),
    ]
    assert rollup.allocated == Decimal("350.00")


def test_the_2025_survey_is_done_and_each_status_has_its_reason(session, iclei):
    survey = session.scalar(sa.select(Action).where(Action.code == "3.4.1"))
    assert [(o.year, o.done) for o in survey.occurrences] == [(2025, True)]
    created = session.scalars(
        sa.select(HistoryEntry).where(HistoryEntry.entity == "action", HistoryEntry.kind == "created")
    ).all()
    assert len(created) == 17
    assert all(row.note.startswith("Rule ") for row in created)


def test_running_the_seed_twice_duplicates_nothing_and_keeps_edits(session, iclei):
    action = session.scalar(sa.select(Action).where(Action.code == "3.1.4"))
    action.title = "Internal collaboration across secretariats"
    session.commit()
    history = session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry))
    result = load_plan(session)
    session.commit()
    assert result.added == {}
    assert result.present["actions"] == 17
    assert session.scalar(sa.select(sa.func.count()).select_from(Action)) == 17
    assert session.scalar(sa.select(sa.func.count()).select_from(AllocationLine)) == 2
    assert session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry)) == history
    assert session.get(Action, action.id).title == "Internal collaboration across secretariats"


# The day each status took effect, from the timeline wording (seed/iclei.toml, [source.date_rule]).
EFFECTIVE = {
    "3.1.1": "2023-01-01",  # undated: the plan's start
    "3.1.2": "2023-01-01",  # "ongoing since 2023"
    "3.1.4": "2024-01-01",  # "ongoing since 2024"
    "3.1.6": "2023-01-01",  # upcoming, undated
    "3.2.1": "2023-01-01",  # "ongoing since 2022": not before the plan's start
    "3.2.2": "2025-07-01",  # "completed in 2025": not after the publication
    "3.2.3": "2025-01-01",  # "ongoing since 2025"
    "3.3.1": "2023-12-31",  # "completed in 2023"
    "3.4.2": "2025-01-01",  # "every two years starting from 2025"
}


def effective_days(session) -> dict[str, str]:
    rows = session.execute(
        sa.select(Action.code, StatusChange.effective_on, StatusChange.at).join(
            StatusChange, StatusChange.action_id == Action.id
        )
    ).all()
    assert all(at.date() == date(2025, 7, 1) for _code, _day, at in rows)  # recorded at publication
    return {code: day.isoformat() for code, day, _at in rows}


def test_each_status_takes_effect_on_the_day_the_plan_s_wording_dates_it(session, iclei):
    days = effective_days(session)
    assert len(days) == 17
    assert {code: days[code] for code in EFFECTIVE} == EFFECTIVE
    assert all(day <= "2025-07-01" for day in days.values())
    load_plan(session)  # twice: still one status record an action, with the same days
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(StatusChange)) == 17
    assert effective_days(session) == days


def test_the_seed_file_says_how_each_status_was_dated():
    text = ICLEI_SEED.read_text()
    assert "[source.date_rule]" in text
    assert text.count("effective_on = ") == 17 and text.count("# Took effect: ") == 17


def broken_seed(tmp_path, old, new) -> Path:
    text = ICLEI_SEED.read_text()
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'status = "ongoing"\nstatus_reason = "Rule 2: \\"ongoing since 2023\\"."',
            'status = "done"\nstatus_reason = "x"',
            "action 3.1.2: field 'status': 'done' is not one of completed, ongoing, upcoming",
        ),
        (
            'cadence = "yearly"',
            'cadence = "monthly"',
            "action 3.2.6: field 'cadence': 'monthly' is not one of",
        ),
        (
            'start_year = 2026\nend_year = 2026\ncadence = "once"\nstatus = "upcoming"\nstatus_reason = "Rule 4: planned for 2026, after publication."',
            'start_year = 2026\nend_year = 2024\ncadence = "once"\nstatus = "upcoming"\nstatus_reason = "Rule 4: planned for 2026, after publication."',
            "action 3.2.4: field 'end_year': 2024 is before the start year 2026",
        ),
        ('code = "3.1.5"', 'code = "3.1.4"', "action 3.1.4: field 'code': 3.1.4 is listed twice"),
        ('title = "Internal collaboration"', 'title = ""', "action 3.1.4: field 'title': must not be empty"),
        (
            'code = "3.3.2"\npillar = 3',
            'code = "3.3.2"\npillar = 9',
            "action 3.3.2: field 'pillar': 9 is not one of the plan's pillars",
        ),
        ('hours = "250"', 'hours = "lots"', "field 'hours': 'lots' is not a number of hours"),
        (
            "effective_on = 2023-12-31",
            "effective_on = 2022-12-31",
            "action 3.3.1: field 'effective_on': 2022-12-31 is outside the plan's period 2023-2026",
        ),
        (
            "effective_on = 2023-12-31",
            "effective_on = 2025-07-02",
            "action 3.3.1: field 'effective_on': 2025-07-02 is after the statuses were published (2025-07-01)",
        ),
        (
            "effective_on = 2023-12-31",
            'effective_on = "2023"',
            "action 3.3.1: field 'effective_on': '2023' is not a date such as 2023-12-31 (unquoted)",
        ),
    ],
)
def test_a_bad_seed_file_names_the_file_action_and_field(tmp_path, old, new, expected):
    path = broken_seed(tmp_path, old, new)
    with pytest.raises(SeedError) as error:
        read_seed(path)
    assert any(problem.startswith(str(path)) and expected in problem for problem in error.value.problems), (
        error.value.problems
    )


def test_the_seed_command_loads_nothing_from_a_bad_file(app, runner, session, tmp_path):
    path = broken_seed(tmp_path, 'cadence = "yearly"', 'cadence = "monthly"')
    result = runner.invoke(args=["seed", "iclei", "--file", str(path)])
    assert result.exit_code == 1
    assert "action 3.2.6: field 'cadence'" in result.output
    assert "Traceback" not in result.output
    assert session.scalar(sa.select(sa.func.count()).select_from(Action)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_the_seed_command_reports_what_it_loaded(runner):
    first = runner.invoke(args=["seed", "iclei"])
    assert first.exit_code == 0, first.output
    assert "added 1 plan, 4 pillars, 2 allocation lines, 17 actions" in first.output
    second = runner.invoke(args=["seed", "iclei"])
    assert "added nothing" in second.output


def test_demo_adds_accounts_of_each_role_that_can_sign_in(app, runner, session, client):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output and "viewer@example.org" in result.output
    roles = set(session.scalars(sa.select(User.role)))
    assert {r.value for r in roles} == {"admin", "editor", "viewer", "coordinator"}
    response = client.post(
        "/signin", data={"email": "viewer@example.org", "password": "gender-equality-demo"}
    )
    assert response.status_code == 302
    # A second run neither fails nor duplicates hours.

    entries = session.scalar(sa.select(sa.func.count()).select_from(TimeEntry))
    assert entries > 0
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(TimeEntry)) == entries
    # A draft of the 2024-2025 assessment to try the report with, once.
    drafts = session.scalars(sa.select(Assessment)).all()
    assert [(a.title, a.respondents, len(a.indicators)) for a in drafts] == [
        ("Assessment report 2024-2025", 41, 3)
    ]


def test_demo_adds_a_network_of_iclei_and_three_lgas_and_its_coordinator(app, runner, session, client):
    """ICLEI and three LGAs in three regions, one of them sharing nothing; a coordinator printed
    with the other accounts, who signs in and reads the network; a second run adds nothing."""
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "coordinator@example.org" in result.output and "lga-admin@example.org" in result.output
    network = session.scalar(sa.select(Network))
    members = session.scalars(
        sa.select(Organisation).join(Membership).where(Membership.network_id == network.id)
    ).all()
    assert len(members) == 4 and "ICLEI European Secretariat" in {m.name for m in members}
    assert len({m.region for m in members}) == 4
    sharing = {
        m.name: sorted(
            p.sharing.value for p in session.scalars(sa.select(Plan).where(Plan.organisation_id == m.id))
        )
        for m in members
    }
    assert sorted(sharing.values()) == [["network"], ["network"], ["network"], ["private"]]
    session.rollback()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 4
    client.post("/signin", data={"email": "coordinator@example.org", "password": "gender-equality-demo"})
    page = client.get(f"/networks/{network.id}").get_data(as_text=True)
    assert "shares nothing with the network" in page and "Latin America" in page


def test_demo_refuses_to_run_in_production(app, runner, session):
    app.config["TRACKER_ENV"] = "production"
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 1
    assert "refusing to add demo accounts in production" in result.output
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
