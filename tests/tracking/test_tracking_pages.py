"""The gender group's pages: find, update, mark, log, correct, edit, add, archive, administer."""

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.pages import text
from tracker.accounts.models import User
from tracker.history.models import HistoryEntry
from tracker.hours.models import TimeEntry
from tracker.plans.models import (
    Action,
    AllocationLine,
    Occurrence,
    Pillar,
    Plan,
    PlannedHours,
    Status,
    StatusChange,
)


def get(session, model, **where):
    session.expire_all()
    return session.scalar(sa.select(model).filter_by(**where))


def counts(session):
    session.expire_all()
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (
            TimeEntry,
            StatusChange,
            HistoryEntry,
            Occurrence,
            PlannedHours,
            Action,
            AllocationLine,
            Pillar,
        )
    )


@pytest.fixture
def editor(client, auth, users):
    auth.login(users["editor"])
    return client


@pytest.fixture
def admin(client, auth, users):
    auth.login(users["admin"])
    return client


def error_of(response, field) -> str:
    match = re.search(rf'id="{re.escape(field)}-error"[^>]*>([^<]*)<', response.get_data(as_text=True))
    return match.group(1) if match else ""


# Finding actions ----------------------------------------------------------------------------


def codes(response):
    return re.findall(r"<td>(\d\.\d\.\d+)</td>", response.get_data(as_text=True))


def test_filter_by_status_pillar_late_person_and_text(editor, iclei, session):
    base = f"/plans/{iclei}/actions"
    assert len(codes(editor.get(base))) == 17
    assert codes(editor.get(f"{base}?status=completed")) == ["3.2.2", "3.3.1"]
    pillar = get(session, Pillar, plan_id=iclei, position=4)
    assert codes(editor.get(f"{base}?pillar={pillar.id}")) == ["3.4.1", "3.4.2"]
    assert codes(editor.get(f"{base}?late=1")) == ["3.1.1", "3.1.6", "3.1.7", "3.2.5", "3.2.6", "3.4.2"]
    assert codes(editor.get(f"{base}?responsible=staff+council")) == ["3.3.2"]
    assert codes(editor.get(f"{base}?q=webinar")) == ["3.2.6"]
    assert codes(editor.get(f"{base}?q=guidelines&status=upcoming")) == ["3.2.4"]
    page = text(editor.get(f"{base}?status=upcoming&late=1"))
    assert "3 of 17 actions." in page


def test_sort_by_any_column_both_ways(editor, iclei):
    base = f"/plans/{iclei}/actions"
    titles = re.findall(r'/actions/\d+">([^<]+)</a>', editor.get(f"{base}?sort=title").get_data(as_text=True))
    assert titles == sorted(titles, key=str.lower)
    backwards = re.findall(
        r'/actions/\d+">([^<]+)</a>', editor.get(f"{base}?sort=title&dir=desc").get_data(as_text=True)
    )
    assert backwards == list(reversed(titles))
    late_first = codes(editor.get(f"{base}?sort=late"))
    assert late_first[:6] == ["3.1.1", "3.1.6", "3.1.7", "3.2.5", "3.2.6", "3.4.2"]
    assert 'aria-sort="ascending"' in editor.get(f"{base}?sort=late").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("pillar=999999", "pillar: 999999 is not a pillar of this plan."),
        ("status=finished", "status: must be one of"),
        ("year=1999", "year: 1999 is outside the plan"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(editor, iclei, query, message):
    response = editor.get(f"/plans/{iclei}/actions?{query}")
    assert response.status_code == 400 and message in text(response)


def test_bulk_status_change_with_one_note(editor, iclei, session):
    a, b = get(session, Action, code="3.2.4"), get(session, Action, code="3.3.2")
    response = editor.post(
        f"/plans/{iclei}/actions/status",
        data={
            "action": [f"{a.id}:{a.version}", f"{b.id}:{b.version}"],
            "status": "ongoing",
            "note": "Both started after the spring retreat",
        },
    )
    assert response.status_code == 303
    assert "2 actions are now ongoing." in text(editor.get(response.location))
    for code in ("3.2.4", "3.3.2"):
        change = session.scalars(
            sa.select(StatusChange).join(Action).where(Action.code == code).order_by(StatusChange.id.desc())
        ).first()
        assert (change.to_status, change.note) == (Status.ONGOING, "Both started after the spring retreat")


def test_bulk_change_is_all_or_nothing(editor, iclei, session):
    a, b = get(session, Action, code="3.2.4"), get(session, Action, code="3.3.2")
    before = counts(session)
    response = editor.post(
        f"/plans/{iclei}/actions/status",
        data={
            "action": [f"{a.id}:{a.version}", f"{b.id}:{b.version - 1}"],
            "status": "ongoing",
            "note": "",
        },
        follow_redirects=True,
    )
    assert "action 3.3.2 was changed by someone else" in text(response)
    assert counts(session) == before
    assert get(session, Action, code="3.2.4").status is Status.UPCOMING


TICKED = {
    "more than the plan has actions": (
        lambda ids: ids * 2,
        "Ticked actions: at most 17 may be chosen at once (34 were sent)",
    ),
    "a million ticks": (lambda ids: ids[:1] * 1_000_000, "Ticked actions: at most 17 may be chosen at once"),
    "an id of 2^63": (lambda ids: [*ids[:1], f"{2**63}:1"], "Ticked actions: must be a list of ids"),
    "an id of 2^31": (lambda ids: [*ids[:1], f"{2**31}:1"], "Ticked actions: must be a list of ids"),
    "a superscript id": (lambda ids: [*ids[:1], "²:1"], "Ticked actions: must be a list of ids"),
    "no version": (lambda ids: [ids[0].partition(":")[0]], "Version: is missing"),
}


@pytest.mark.parametrize("case", TICKED, ids=list(TICKED))
def test_the_ticked_actions_are_bounded_and_named(editor, iclei, session, case):
    make, message = TICKED[case]
    actions = session.scalars(sa.select(Action).where(Action.plan_id == iclei)).all()
    data = {"action": make([f"{a.id}:{a.version}" for a in actions]), "status": "completed", "note": ""}
    before = counts(session)
    response = editor.post(f"/plans/{iclei}/actions/status", data=data, follow_redirects=True)
    assert response.status_code < 500 and message in text(response)
    assert counts(session) == before


# One action ---------------------------------------------------------------------------------


def test_change_status_with_a_note_on_the_action_page(editor, session):
    gep = get(session, Action, code="3.1.1")
    response = editor.post(
        f"/actions/{gep.id}/status", data={"status": "completed", "note": "Adopted", "version": gep.version}
    )
    assert response.status_code == 303
    page = text(editor.get(response.location))
    assert "3.1.1 is now completed." in page
    assert "Editor Person: changed status from “ongoing” to “completed” Adopted" in page


def test_a_status_change_recorded_as_of_a_past_day_shows_both_dates(editor, session):
    gep = get(session, Action, code="3.1.1")
    form = editor.get(f"/actions/{gep.id}").get_data(as_text=True)
    assert 'name="as_of" type="date" value="2026-11-23"' in form  # today unless changed
    response = editor.post(
        f"/actions/{gep.id}/status",
        data={
            "status": "completed",
            "note": "Adopted in September",
            "as_of": "2025-09-15",
            "version": gep.version,
        },
    )
    assert response.status_code == 303
    page = text(editor.get(response.location))
    assert re.search(
        r"Took effect on 2025-09-15, recorded at 20\d\d-\d\d-\d\d \d\d:\d\d UTC by Editor Person: "
        r"changed status from “ongoing” to “completed” Adopted in September",
        page,
    )
    change = get(session, StatusChange, action_id=gep.id, to_status=Status.COMPLETED)
    assert change.effective_on == date(2025, 9, 15)


def test_a_status_change_as_of_today_takes_effect_when_it_is_recorded(editor, session):
    gep = get(session, Action, code="3.1.1")
    data = {"status": "completed", "note": "", "as_of": "2026-11-23", "version": gep.version}
    assert editor.post(f"/actions/{gep.id}/status", data=data).status_code == 303
    change = get(session, StatusChange, action_id=gep.id, to_status=Status.COMPLETED)
    assert change.effective_on == change.at.date()
    assert "Took effect on" not in text(editor.get(f"/actions/{gep.id}")).split("changed status")[-1]


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2026-11-24", "must not be after today (2026-11-23)"),
        ("2022-12-31", "must be within the plan&#39;s period 2023-2026"),
        ("2025-02-30", "2025-02-30 is not a date that exists (use YYYY-MM-DD)"),
        ("soon", "soon is not a date that exists (use YYYY-MM-DD)"),
    ],
)
def test_a_bad_day_for_a_status_change_is_422_next_to_its_field(editor, session, as_of, message):
    gep = get(session, Action, code="3.1.1")
    before = counts(session)
    response = editor.post(
        f"/actions/{gep.id}/status",
        data={"status": "completed", "note": "Kept", "as_of": as_of, "version": gep.version},
    )
    assert response.status_code == 422
    assert error_of(response, "as_of") == message
    page = response.get_data(as_text=True)
    assert '<label for="as_of">Took effect on</label>' in page and "Kept</textarea>" in page
    assert counts(session) == before and get(session, Action, code="3.1.1").status is Status.ONGOING


def test_a_status_change_may_not_take_effect_before_the_one_before_it(editor, session):
    gep = get(session, Action, code="3.1.1")
    data = {"status": "completed", "note": "", "as_of": "2025-09-15", "version": gep.version}
    assert editor.post(f"/actions/{gep.id}/status", data=data).status_code == 303
    gep = get(session, Action, code="3.1.1")
    data = {"status": "ongoing", "note": "", "as_of": "2025-09-14", "version": gep.version}
    response = editor.post(f"/actions/{gep.id}/status", data=data)
    assert response.status_code == 422
    assert error_of(response, "as_of") == (
        "must not be before 2025-09-15, when the previous status change of 3.1.1 took effect"
    )


def test_a_change_to_the_same_status_says_so_and_keeps_the_note(editor, session):
    gep = get(session, Action, code="3.1.2")
    assert gep.status is Status.ONGOING
    version = gep.version
    response = editor.post(
        f"/actions/{gep.id}/status",
        data={"status": "ongoing", "note": "Reviewed at the plenary", "version": version},
    )
    assert response.status_code == 303
    page = text(editor.get(response.location))
    assert "3.1.2 is already ongoing; your note is kept in its history." in page
    assert "Editor Person: kept the status “ongoing” (no change) Reviewed at the plenary" in page
    gep = get(session, Action, code="3.1.2")
    assert (gep.status, gep.version) == (Status.ONGOING, version)
    silent = editor.post(
        f"/actions/{gep.id}/status", data={"status": "ongoing", "note": "", "version": version}
    )
    assert "3.1.2 is already ongoing; nothing changed." in text(editor.get(silent.location))


def test_a_stale_status_form_is_409_and_keeps_the_input(editor, session):
    gep = get(session, Action, code="3.1.1")
    seen = gep.version
    gep.status = Status.COMPLETED
    session.commit()
    before = counts(session)
    response = editor.post(
        f"/actions/{gep.id}/status", data={"status": "upcoming", "note": "My careful note", "version": seen}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "was changed by someone else" in page and "it is now completed" in page
    assert "My careful note</textarea>" in page
    assert re.search(r'<option selected value="upcoming">|<option value="upcoming" selected', page)
    assert counts(session) == before


def test_mark_an_occurrence_done_and_not_done(editor, session):
    webinar = get(session, Action, code="3.2.6")
    done = editor.post(
        f"/actions/{webinar.id}/occurrences/2024", data={"done": "1", "note": "Held online", "version": "0"}
    )
    assert done.status_code == 303
    mark = get(session, Occurrence, action_id=webinar.id, year=2024)
    assert (mark.done, mark.note) == (True, "Held online")
    seen = mark.version
    undone = editor.post(
        f"/actions/{webinar.id}/occurrences/2024", data={"done": "0", "note": "Postponed", "version": seen}
    )
    assert undone.status_code == 303
    assert get(session, Occurrence, action_id=webinar.id, year=2024).done is False
    stale = editor.post(
        f"/actions/{webinar.id}/occurrences/2024", data={"done": "1", "note": "", "version": seen}
    )
    assert stale.status_code == 409
    wrong_year = editor.post(
        f"/actions/{webinar.id}/occurrences/2030", data={"done": "1", "note": "", "version": "0"}
    )
    assert wrong_year.status_code == 422 and "3.2.6 has no occurrence in 2030" in text(wrong_year)


# Hours --------------------------------------------------------------------------------------


def test_log_correct_and_delete_hours(editor, iclei, session, users):
    webinar = get(session, Action, code="3.2.6")
    response = editor.post(
        f"/plans/{iclei}/hours/new",
        data={"spent_on": "2025-03-14", "hours": "1,5", "target": str(webinar.id), "note": "Speakers"},
    )
    assert response.status_code == 303
    entry = get(session, TimeEntry, action_id=webinar.id)
    assert entry.hours == Decimal("1.50")
    management = editor.post(
        f"/plans/{iclei}/hours/new",
        data={"spent_on": "2025-03-15", "hours": "2", "target": "management", "note": ""},
    )
    assert management.status_code == 303
    person = text(editor.get(management.location))
    assert "2025 · 3.5 h in total" in person
    assert "3.2.6 ICLEI member webinar 1.5 h Speakers" in person
    corrected = editor.post(
        f"/hours/{entry.id}/edit",
        data={
            "spent_on": "2025-03-14",
            "hours": "2.5",
            "target": str(webinar.id),
            "note": "Speakers",
            "version": entry.version,
        },
    )
    assert corrected.status_code == 303
    entry = get(session, TimeEntry, id=entry.id)
    assert entry.hours == Decimal("2.50")
    stale = editor.post(
        f"/hours/{entry.id}/edit",
        data={
            "spent_on": "2025-03-14",
            "hours": "3",
            "target": str(webinar.id),
            "note": "",
            "version": entry.version - 1,
        },
    )
    assert stale.status_code == 409 and 'value="3"' in stale.get_data(as_text=True)
    asked = editor.post(f"/hours/{entry.id}/delete", data={"version": entry.version})
    assert asked.status_code == 200 and get(session, TimeEntry, id=entry.id) is not None
    assert "The entry of 2.5 h on 2025-03-14 by Editor Person, on 3.2.6, will be deleted" in text(asked)
    deleted = editor.post(f"/hours/{entry.id}/delete", data={"version": entry.version, "confirm": "yes"})
    assert deleted.status_code == 303
    assert get(session, TimeEntry, id=entry.id) is None
    gone = session.scalars(
        sa.select(HistoryEntry).where(HistoryEntry.entity == "time_entry", HistoryEntry.kind == "deleted")
    ).all()
    assert len(gone) == 1 and '"hours": "2.50"' in gone[0].before


def test_only_the_owner_or_an_admin_changes_an_entry(app, client, auth, users, session, iclei):
    viewer_user = get(session, User, email=users["editor"])
    plan = get(session, Plan, id=iclei)
    entry = f.log(session, plan, viewer_user, date(2025, 4, 4), "1")
    session.commit()
    admin_user = get(session, User, email=users["admin"])
    other = f.log(session, plan, admin_user, date(2025, 4, 5), "1")
    session.commit()
    auth.login(users["editor"])
    assert client.get(f"/hours/{other.id}/edit").status_code == 403
    assert client.get(f"/hours/{entry.id}/edit").status_code == 200
    auth.logout()
    auth.login(users["admin"])
    assert (
        client.post(
            f"/hours/{entry.id}/delete", data={"version": entry.version, "confirm": "yes"}
        ).status_code
        == 303
    )


def test_one_person_logs_at_most_24_hours_in_one_day(editor, iclei, session):
    webinar = get(session, Action, code="3.2.6")

    def log(hours, target="management", day="2025-03-14"):
        data = {"spent_on": day, "hours": hours, "target": target, "note": ""}
        return editor.post(f"/plans/{iclei}/hours/new", data=data)

    assert log("20").status_code == 303
    before = counts(session)
    refused = log("5", str(webinar.id))
    assert refused.status_code == 422
    assert (
        "Editor Person already has 20.0 h logged on 2025-03-14; a day has 24 h, "
        "so at most 4.0 h more can be logged that day"
    ) in error_of(refused, "hours")
    assert counts(session) == before
    assert log("4", str(webinar.id)).status_code == 303
    assert log("3", day="2025-03-15").status_code == 303  # another day is another 24 h
    # A correction counts the person's other entries of the day, not itself.
    entry = get(session, TimeEntry, action_id=webinar.id)
    correct = {"spent_on": "2025-03-14", "target": str(webinar.id), "note": "", "version": entry.version}
    too_much = editor.post(f"/hours/{entry.id}/edit", data={**correct, "hours": "4.5"})
    assert too_much.status_code == 422
    assert "already has 20.0 h logged on 2025-03-14" in error_of(too_much, "hours")
    assert editor.post(f"/hours/{entry.id}/edit", data={**correct, "hours": "3.5"}).status_code == 303
    moved = get(session, TimeEntry, action_id=webinar.id)
    day_16 = {**correct, "spent_on": "2025-03-15", "hours": "21.5", "version": moved.version}
    assert "already has 3.0 h logged on 2025-03-15" in error_of(
        editor.post(f"/hours/{entry.id}/edit", data=day_16), "hours"
    )


BAD_ENTRIES = [
    ({"hours": "0"}, "hours", "must be more than 0"),
    ({"hours": "-1"}, "hours", "must be more than 0"),
    ({"hours": "25"}, "hours", "must be at most 24 in one entry"),
    ({"hours": "lots"}, "hours", "is not a number"),
    ({"hours": "99999999999999"}, "hours", "is far too large"),
    ({"spent_on": "2025-02-29"}, "spent_on", "is not a date that exists"),
    ({"spent_on": "2027-01-05"}, "spent_on", "within the plan&#39;s period 2023-2026"),
    ({"spent_on": "2026-11-30"}, "spent_on", "must not be after today"),
    ({"note": "x" * 20_001}, "note", "must be at most 20,000 characters"),
    ({"target": "999999"}, "target", "Not a valid choice"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_ENTRIES)
def test_bad_hours_on_the_form_are_422_next_to_the_field(editor, iclei, session, change, field, message):
    before = counts(session)
    data = {"spent_on": "2025-03-14", "hours": "1", "target": "management", "note": "", **change}
    response = editor.post(f"/plans/{iclei}/hours/new", data=data)
    assert response.status_code == 422
    assert message in error_of(response, field)
    assert re.search(rf'aria-describedby="[^"]*{field}-error', response.get_data(as_text=True))
    assert counts(session) == before


# Editing and adding actions ------------------------------------------------------------------


def action_form(action: Action, **change):
    data = {
        "title": action.title,
        "description": action.description,
        "objectives": action.objectives,
        "start_year": action.start_year,
        "end_year": action.end_year or "",
        "cadence": action.cadence.value,
        "timeline_text": action.timeline_text,
        "resources_text": action.resources_text,
        "resources_amount": "",
        "resources_currency": "",
        "responsible": action.responsible,
        "planned_2023": "",
        "planned_2024": "",
        "planned_2025": "",
        "planned_2026": "",
        "version": action.version,
    }
    budgets = {row.year: str(row.hours) for row in action.planned_hours}
    for year in (2023, 2024, 2025, 2026):
        data[f"planned_{year}"] = budgets.get(year, "")
    # What the form started from, as the page sends it back (the conflict page compares with it).
    data.update({f"original_{name}": value for name, value in list(data.items()) if name != "version"})
    data.update(change)
    return data


def test_edit_an_action_and_its_budgets(editor, session):
    action = get(session, Action, code="3.1.4")
    response = editor.post(
        f"/actions/{action.id}/edit",
        data=action_form(
            action,
            title="Internal collaboration across secretariats",
            planned_2025="40",
            planned_2026="12.5",
            resources_amount="1500",
            resources_currency="eur",
        ),
    )
    assert response.status_code == 303, text(response)[-500:]
    action = get(session, Action, code="3.1.4")
    assert action.title == "Internal collaboration across secretariats"
    assert (action.resources_amount, action.resources_currency) == (Decimal("1500.00"), "EUR")
    assert {p.year: p.hours for p in action.planned_hours} == {2025: Decimal("40.00"), 2026: Decimal("12.50")}
    page = text(editor.get(f"/actions/{action.id}"))
    assert "set the 2025 budget to 40.0 h" in page and "changed title from “Internal collaboration”" in page


def test_a_budget_only_edit_still_guards_the_version(editor, session):
    action = get(session, Action, code="3.1.4")
    seen = action.version
    assert (
        editor.post(f"/actions/{action.id}/edit", data=action_form(action, planned_2025="40")).status_code
        == 303
    )
    assert get(session, Action, code="3.1.4").version == seen + 1
    stale = editor.post(
        f"/actions/{action.id}/edit", data=action_form(action, planned_2025="55", version=seen)
    )
    assert stale.status_code == 409
    assert get(session, PlannedHours, action_id=action.id, year=2025).hours == Decimal("40.00")


def test_a_stale_edit_shows_theirs_beside_yours_and_keeps_yours(editor, session):
    action = get(session, Action, code="3.1.4")
    seen = action_form(action)
    action.title = "Their new title"
    session.commit()
    before = counts(session)
    response = editor.post(f"/actions/{action.id}/edit", data={**seen, "title": "My new title"})
    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved this action while you were editing" in page
    assert "Title Internal collaboration Their new title My new title" in page
    assert 'value="My new title"' in response.get_data(as_text=True)
    assert counts(session) == before


def test_a_stale_edit_keeps_their_changes_and_adds_only_yours(client, editor, app, users, session):
    """A saves the title and a 2025 budget; B, from the older version, changes the description
    and the 2026 budget. B's 409 page holds A's title and budget with B's changes on top, shows
    both side by side, and saving it keeps both people's work."""
    action = get(session, Action, code="3.1.4")
    started = action_form(action)  # B opens the form
    other = app.test_client()
    other.post("/signin", data={"email": users["admin"], "password": "correct horse battery staple"})
    a_saved = other.post(
        f"/actions/{action.id}/edit",
        data=action_form(action, title="Their title", planned_2025="40"),
    )
    assert a_saved.status_code == 303

    stale = editor.post(
        f"/actions/{action.id}/edit",
        data={**started, "description": "My description", "planned_2026": "12,5"},
    )
    assert stale.status_code == 409
    html, page = stale.get_data(as_text=True), text(stale)
    assert 'value="Their title"' in html and 'value="My description"' not in html
    assert re.search(r'id="description"[^>]*>\s*My description</textarea>', html)
    assert 'name="planned_2025" value="40.00"' in html and 'name="planned_2026" value="12,5"' in html
    assert "Title Internal collaboration Their title not changed by you" in page
    assert f"Description {' '.join(started['description'].split())} " in page
    assert "My description Planned hours 2025 — 40.00 not changed by you" in page
    assert "Planned hours 2026 — — 12,5" in page
    current = get(session, Action, code="3.1.4")
    assert f'name="version" type="hidden" value="{current.version}"' in html

    # B saves the page as it came back: the form's fields, the new version and starting values.
    form = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    form.update(dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)))
    form.update(dict(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\s*([^<]*)</textarea>', html)))
    form.update(cadence=current.cadence.value, version=str(current.version))
    saved = editor.post(
        f"/actions/{action.id}/edit", data={k: v.replace("&#39;", "'") for k, v in form.items()}
    )
    assert saved.status_code == 303, text(saved)[-400:]
    action = get(session, Action, code="3.1.4")
    assert (action.title, action.description) == ("Their title", "My description")
    assert {p.year: p.hours for p in action.planned_hours} == {2025: Decimal("40.00"), 2026: Decimal("12.50")}
    history = text(editor.get(f"/actions/{action.id}"))
    assert "changed title from “Internal collaboration” to “Their title”" in history
    assert "to “Internal collaboration”" not in history
    assert "changed description from" in history and "to “My description”" in history
    assert "set the 2026 budget to 12.5 h" in history


BAD_ACTIONS = [
    ({"title": ""}, "title", "must not be empty"),
    ({"title": "x" * 301}, "title", "must be at most 300 characters"),
    ({"description": "x" * 20_001}, "description", "must be at most 20,000 characters"),
    ({"start_year": "2026", "end_year": "2024"}, "end_year", "2024 is before the start year 2026"),
    ({"start_year": "soon"}, "start_year", "soon is not a year"),
    ({"start_year": "２０２５"}, "start_year", "type it with the digits 0-9"),
    ({"start_year": "1900"}, "start_year", "1900 is outside the plan&#39;s period 2023-2026"),
    ({"end_year": "2100"}, "end_year", "2100 is outside the plan&#39;s period 2023-2026"),
    ({"cadence": "monthly"}, "cadence", "Not a valid choice"),
    ({"planned_2025": "-5"}, "planned_2025", "must be 0 or more"),
    ({"planned_2025": "ten"}, "planned_2025", "is not a number"),
    ({"planned_2025": "1,500"}, "planned_2025", "write 1500 or 1.5, without thousands separators"),
    ({"planned_2025": "1.500"}, "planned_2025", "write 1500 or 1.5, without thousands separators"),
    ({"planned_2025": "1_0"}, "planned_2025", "is not a number: write digits"),
    ({"planned_2025": "１２"}, "planned_2025", "type the digits 0-9"),
    ({"resources_amount": "100", "resources_currency": "euro"}, "resources_currency", "three-letter code"),
    ({"version": ""}, "version", None),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_ACTIONS)
def test_bad_action_input_is_422_and_nothing_is_written(editor, session, change, field, message):
    action = get(session, Action, code="3.1.4")
    before = counts(session)
    response = editor.post(f"/actions/{action.id}/edit", data=action_form(action, **change))
    assert response.status_code == 422
    if message:
        assert message in error_of(response, field)
    else:
        assert "Version: is missing" in text(response)
    assert counts(session) == before
    assert get(session, Action, code="3.1.4").title == "Internal collaboration"


def test_an_action_that_began_before_the_plan_keeps_its_start_year(editor, session):
    """ICLEI 3.2.1 is "ongoing since 2022", before the 2023-2026 plan: editing it keeps 2022,
    but nobody can move a start year outside the period."""
    contact = get(session, Action, code="3.2.1")
    assert contact.start_year == 2022
    kept = editor.post(f"/actions/{contact.id}/edit", data=action_form(contact, title="Staff contact"))
    assert kept.status_code == 303
    contact = get(session, Action, code="3.2.1")
    moved = editor.post(f"/actions/{contact.id}/edit", data=action_form(contact, start_year="2021"))
    assert moved.status_code == 422
    assert "2021 is outside the plan&#39;s period 2023-2026" in error_of(moved, "start_year")


def test_a_new_action_outside_the_plans_period_is_refused(editor, session, iclei):
    pillar = get(session, Pillar, plan_id=iclei, position=2)
    before = counts(session)
    response = editor.post(
        f"/pillars/{pillar.id}/actions/new",
        data={
            "code": "3.2.9",
            "title": "Far future",
            "start_year": "2100",
            "cadence": "once",
            "status": "upcoming",
        },
    )
    assert response.status_code == 422
    assert "2100 is outside the plan&#39;s period 2023-2026" in error_of(response, "start_year")
    assert counts(session) == before


def test_add_an_action_to_a_pillar(editor, session, iclei):
    pillar = get(session, Pillar, plan_id=iclei, position=2)
    data = action_form(
        get(session, Action, code="3.2.6"),
        code="3.2.7",
        title="Gender-sensitive events checklist",
        status="upcoming",
        cadence="once",
        start_year="2026",
        end_year="2026",
        planned_2026="8",
    )
    response = editor.post(f"/pillars/{pillar.id}/actions/new", data=data)
    assert response.status_code == 303
    added = get(session, Action, code="3.2.7")
    assert (added.pillar_id, added.status, added.planned_hours[0].hours) == (
        pillar.id,
        Status.UPCOMING,
        Decimal("8.00"),
    )
    duplicate = editor.post(f"/pillars/{pillar.id}/actions/new", data=data)
    assert duplicate.status_code == 422 and "3.2.7 is already used in this plan" in error_of(
        duplicate, "code"
    )


def test_an_admin_archives_an_action_which_keeps_its_hours(admin, editor, session, iclei, users):
    webinar = get(session, Action, code="3.2.6")
    f.log(
        session,
        get(session, Plan, id=iclei),
        get(session, User, email=users["editor"]),
        date(2025, 5, 5),
        "2",
        webinar,
    )
    session.commit()
    asked = admin.post(f"/actions/{webinar.id}/archive", data={"version": webinar.version})
    assert asked.status_code == 200 and "Archive 3.2.6?" in text(asked)
    assert (
        "can no longer be changed" in text(asked) and get(session, Action, id=webinar.id).archived_at is None
    )
    response = admin.post(
        f"/actions/{webinar.id}/archive", data={"version": webinar.version, "confirm": "yes"}
    )
    assert response.status_code == 303
    assert "ICLEI member webinar" not in text(admin.get(f"/plans/{iclei}"))
    assert get(session, TimeEntry, action_id=webinar.id) is not None
    page = text(admin.get(f"/actions/{webinar.id}"))
    assert "archived" in page and "Change the status" not in page
    refused = admin.post(
        f"/actions/{webinar.id}/status",
        data={"status": "completed", "note": "", "version": webinar.version + 1},
    )
    assert refused.status_code == 409 and "3.2.6 is archived" in text(refused)


def test_the_archive_page_asks_first_and_keeps_the_form(admin, session):
    webinar = get(session, Action, code="3.2.6")
    asked = admin.post(f"/actions/{webinar.id}/archive", data={"version": webinar.version})
    html = asked.get_data(as_text=True)
    # Without JavaScript: a form that posts the same version again with confirm=yes, and a way back.
    assert f'action="/actions/{webinar.id}/archive"' in html
    assert f'name="version" value="{webinar.version}"' in html and 'name="confirm" value="yes"' in html
    assert f'href="/actions/{webinar.id}"' in html and "Cancel: go back, nothing changes" in html
    assert "Its hours and history are kept. An admin can restore it" in text(asked)


def test_an_admin_lists_and_restores_archived_actions(admin, session, iclei):
    webinar = get(session, Action, code="3.2.6")
    plan_page = text(admin.get(f"/admin/plans/{iclei}"))
    assert "No archived actions." in plan_page
    archived = admin.post(
        f"/actions/{webinar.id}/archive", data={"version": webinar.version, "confirm": "yes"}
    )
    assert archived.status_code == 303
    webinar = get(session, Action, id=webinar.id)
    plan_page = text(admin.get(f"/admin/plans/{iclei}"))
    assert "Archived actions" in plan_page and "3.2.6 ICLEI member webinar" in plan_page
    assert "Restore 3.2.6" in plan_page
    stale = admin.post(
        f"/admin/plans/{iclei}/actions/{webinar.id}/restore", data={"version": webinar.version - 1}
    )
    assert stale.status_code == 409 and get(session, Action, id=webinar.id).archived_at is not None
    restored = admin.post(
        f"/admin/plans/{iclei}/actions/{webinar.id}/restore", data={"version": webinar.version}
    )
    assert restored.status_code == 303
    assert "3.2.6 is restored" in text(admin.get(restored.location))
    assert get(session, Action, id=webinar.id).archived_at is None
    assert "ICLEI member webinar" in text(admin.get(f"/plans/{iclei}"))
    # The history has both: archived, then restored.
    rows = session.scalars(
        sa.select(HistoryEntry)
        .where(HistoryEntry.entity == "action", HistoryEntry.entity_id == webinar.id)
        .where(HistoryEntry.field == "archived_at")
        .order_by(HistoryEntry.id)
    ).all()
    assert [(row.before is None, row.after is None) for row in rows] == [(True, False), (False, True)]
    # Restoring what is not archived says so.
    again = admin.post(
        f"/admin/plans/{iclei}/actions/{webinar.id}/restore",
        data={"version": get(session, Action, id=webinar.id).version},
    )
    assert again.status_code == 409 and "3.2.6 is not archived" in text(again)


def test_editors_cannot_restore(editor, session, iclei):
    webinar = get(session, Action, code="3.2.6")
    response = editor.post(
        f"/admin/plans/{iclei}/actions/{webinar.id}/restore", data={"version": webinar.version}
    )
    assert response.status_code == 403


def test_editors_cannot_archive(editor, session):
    webinar = get(session, Action, code="3.2.6")
    assert editor.post(f"/actions/{webinar.id}/archive", data={"version": webinar.version}).status_code == 403


# Plans, pillars, allocation -----------------------------------------------------------------


def test_admin_creates_a_plan_and_refuses_a_bad_period(admin, session):
    bad = admin.post(
        "/admin/plans", data={"title": "GAP 2027-2030", "start_year": "2030", "end_year": "2027"}
    )
    assert bad.status_code == 422 and "2027 is before the start year 2030" in text(bad)
    assert get(session, Plan, title="GAP 2027-2030") is None
    good = admin.post(
        "/admin/plans", data={"title": "GAP 2027-2030", "start_year": "2027", "end_year": "2030"}
    )
    assert good.status_code == 303
    assert get(session, Plan, title="GAP 2027-2030").organisation.name == "ICLEI European Secretariat"


def test_a_plans_period_cannot_shrink_past_what_is_recorded_in_it(admin, session, iclei, users):
    """Logged hours, budgets, allocation lines and occurrence marks outside the new period would
    vanish from every view: refused, naming the side of the period and what would be lost."""
    plan = session.get(Plan, iclei)
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    webinar = get(session, Action, code="3.2.6")
    f.log(session, plan, editor, date(2023, 5, 2), "7.5", webinar)
    f.log(session, plan, editor, date(2023, 6, 2), "1", None)
    f.budget(session, webinar, 2026, "10")
    session.add(Occurrence(action=webinar, year=2026, done=True, note=""))
    session.commit()
    before, version = counts(session), plan.version
    form = {"title": plan.title, "start_year": "2024", "end_year": "2024", "version": version}
    refused = admin.post(f"/admin/plans/{iclei}", data=form)
    assert refused.status_code == 422
    assert "the period 2024-2024 would leave out 8.5 h logged in 2023; move or delete them first" in error_of(
        refused, "plan-start_year"
    )
    assert (
        "the period 2024-2024 would leave out 1 budget in 2026, 2 allocation lines in 2025, "
        "1 occurrence mark in 2025 and 1 occurrence mark in 2026; move or delete them first"
    ) in error_of(refused, "plan-end_year")
    assert counts(session) == before
    assert (get(session, Plan, id=iclei).start_year, get(session, Plan, id=iclei).end_year) == (2023, 2026)
    # Growing the period, or keeping every record inside it, is fine.
    grown = admin.post(f"/admin/plans/{iclei}", data={**form, "start_year": "2023", "end_year": "2027"})
    assert grown.status_code == 303


def test_admin_adds_renames_and_reorders_pillars(admin, session, iclei):
    base = f"/admin/plans/{iclei}"
    assert admin.post(f"{base}/pillars", data={"name": "Partnerships"}).status_code == 303
    added = get(session, Pillar, plan_id=iclei, name="Partnerships")
    assert added.position == 5
    duplicate = admin.post(f"{base}/pillars", data={"name": "Communication"})
    assert (
        duplicate.status_code == 422
        and "Name of a new pillar: a pillar of this plan is already called Communication" in text(duplicate)
    )
    assert (
        admin.post(
            f"{base}/pillars/{added.id}", data={"name": "External partnerships", "version": added.version}
        ).status_code
        == 303
    )
    added = get(session, Pillar, id=added.id)
    assert (
        admin.post(f"{base}/pillars/{added.id}", data={"move": "up", "version": added.version}).status_code
        == 303
    )
    names = [
        p.name
        for p in session.scalars(sa.select(Pillar).where(Pillar.plan_id == iclei).order_by(Pillar.position))
    ]
    assert names == [
        "Organisational actions",
        "Communication",
        "Training and capacity-building",
        "External partnerships",
        "Monitoring and evaluation",
    ]
    page = text(admin.get(f"/plans/{iclei}"))
    assert page.index("4 External partnerships") < page.index("5 Monitoring and evaluation")


def test_admin_manages_allocation_lines(admin, session, iclei, client):
    base = f"/admin/plans/{iclei}"
    for kind, name, hours in [
        ("management", "Overall management", "100"),
        ("implementation", "Implementation", "260"),
    ]:
        assert (
            admin.post(
                f"{base}/allocation",
                data={"year": "2026", "kind": kind, "name": name, "hours": hours, "description": ""},
            ).status_code
            == 303
        )
    outside = admin.post(
        f"{base}/allocation", data={"year": "2031", "kind": "management", "name": "X", "hours": "1"}
    )
    assert outside.status_code == 422 and "within the plan&#39;s period" in outside.get_data(as_text=True)
    line = get(session, AllocationLine, plan_id=iclei, year=2026, name="Implementation")
    saved = admin.post(
        f"{base}/allocation/{line.id}",
        data={"kind": "implementation", "name": "Implementation", "hours": "250", "version": line.version},
    )
    assert saved.status_code == 303
    stale = admin.post(
        f"{base}/allocation/{line.id}",
        data={"kind": "implementation", "name": "Implementation", "hours": "999", "version": line.version},
    )
    assert stale.status_code == 409
    assert "Total 350.0 h" in text(admin.get(f"/plans/{iclei}?year=2026"))
    line = get(session, AllocationLine, id=line.id)
    assert (
        admin.post(f"{base}/allocation/{line.id}", data={"delete": "1", "version": line.version}).status_code
        == 303
    )
    assert "Total 100.0 h" in text(admin.get(f"/plans/{iclei}?year=2026"))


def silent_422s(iclei, line_id, pillar_id):
    """Posts whose only problem is in a field the page draws no input for."""
    base = f"/admin/plans/{iclei}"
    line = {"kind": "implementation", "name": "Implementation", "hours": "250"}
    plan = {"title": "Gender Mainstreaming Action Plan 2023-2026", "start_year": "2023", "end_year": "2026"}
    return {
        "a bad hidden version on the plan": (
            f"{base}",
            {**plan, "version": "abc"},
            "Version: is not a version",
        ),
        "a missing version on the plan": (f"{base}", plan, "Version: is missing"),
        "a bad allocation kind": (
            f"{base}/allocation/{line_id}",
            {**line, "kind": "bogus", "version": "1"},
            "Kind: must be one of",
        ),
        "a bad kind on a new line": (
            f"{base}/allocation",
            {**line, "kind": "bogus", "year": "2025"},
            "Kind: must be one of",
        ),
        "a bad version on a deletion": (
            f"{base}/allocation/{line_id}",
            {"delete": "1", "version": "²"},
            "Version: is not a version",
        ),
        "a bad version on a pillar": (
            f"{base}/pillars/{pillar_id}",
            {"name": "Renamed", "version": "x"},
            "Version: is not a version",
        ),
    }


SILENT = list(silent_422s(1, 1, 1))


@pytest.mark.parametrize("case", SILENT)
def test_every_422_page_says_what_went_wrong(admin, session, iclei, case):
    line = session.scalar(sa.select(AllocationLine).where(AllocationLine.plan_id == iclei))
    pillar = session.scalar(sa.select(Pillar).where(Pillar.plan_id == iclei))
    url, data, message = silent_422s(iclei, line.id, pillar.id)[case]
    before = counts(session)
    response = admin.post(url, data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert counts(session) == before
