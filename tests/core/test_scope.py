"""Scope: another organisation's records are absent on every route, whatever the method.

Two organisations, Alpha and Bravo, hold the same kinds of records. Alpha's admin, who may do
anything to Alpha's records, asks every route that names a record in its URL with Bravo's ids:
each answer is 404, and nothing of Bravo changes. With Alpha's ids the same pages answer 200, so
the 404s are not for want of a page. Routes without ids show Alpha's records and never Bravo's.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import product
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.conftest import PASSWORD
from tracker.accounts.models import ApiToken, Membership, Network, User
from tracker.accounts.services import create_token, create_user
from tracker.assessments.models import Assessment
from tracker.assessments.report import create_assessment, publish
from tracker.core import scope
from tracker.core.permissions import GRANTS, ORGANISATION_ROLES, Role, required
from tracker.hours.models import TimeEntry
from tracker.plans.models import Action, AllocationKind, AllocationLine, Cadence, Pillar, Plan, Sharing
from tracker.rounds.models import ReportingRound, RoundSubmission
from tracker.rounds.services import open_round
from tracker.rounds.services import submit as submit_to_round
from tracker.schema import Base
from tracker.workbooks import build_plan_workbook
from tracker.workbooks.assessment_workbook import build_assessment_workbook

TODAY = date(2026, 11, 23)
YEAR = 2025
# The URL arguments that name a record of an organisation, and the record's model.
RECORDS = {
    "plan_id": Plan,
    "pillar_id": Pillar,
    "action_id": Action,
    "line_id": AllocationLine,
    "entry_id": TimeEntry,
    "user_id": User,
    "token_id": ApiToken,
    "assessment_id": Assessment,
    "round_id": ReportingRound,
    "submission_id": RoundSubmission,
    "network_id": Network,
}
# The other URL arguments: the same for every organisation (a year of the plans, a valid chart).
FIXED = {"year": YEAR, "name": "status-by-pillar", "chart_name": "status-by-region"}
# Public reports are reached by their secret link, not by scope (see tests/test_assessments.py).
UNSCOPED = ("/static/", "/public/")
# Pages without ids that list an organisation's records, and which of its names each shows.
LISTS = {
    "/plans": ("plan",),
    "/admin/plans": ("plan",),
    "/admin/users": ("admin", "admin email", "editor", "viewer email"),
    "/admin/tokens": ("token", "admin"),
    "/admin/security": ("admin email",),
    "/api/v1/plans": ("plan", "organisation"),
    "/rounds": ("round", "network"),
    "/networks": ("network",),
    "/api/v1/networks": ("network",),
}
NEW_PASSWORD = "a quiet morning in Bonn by the river"


@dataclass(frozen=True)
class Side:
    """One organisation's records: ids to put in URLs, and the names a page could show of them."""

    organisation_id: int
    # By URL argument; the assessments are a draft and a published report.
    ids: dict[str, list[int]]
    names: dict[str, str]
    admin: str  # the admin's email
    token: str  # the admin's API token
    network_id: int  # the network the organisation belongs to
    coordinator: str  # the email of that network's coordinator


def build_side(session, word: str, reports_dir: Path, password_hash: str) -> Side:
    """An organisation with its people, a plan with a pillar, a yearly action with a budget, an
    allocation line, a time entry, a draft and a published assessment, and an API token; and a
    network of its own with a coordinator and a round the organisation submitted its plan to."""
    org = f.organisation(session, name=f"{word} Town Council")
    network = Network(name=f"{word} network of towns")
    session.add_all([network, Membership(network=network, organisation=org)])
    plan = f.plan(session, org, title=f"{word} equality plan")
    pillar = f.pillar(session, plan, 1, name=f"{word} pillar of training")
    action = f.action(session, pillar, "1.1", cadence=Cadence.YEARLY, title=f"{word} yearly staff survey")
    f.budget(session, action, YEAR, "10")
    line = AllocationLine(
        plan=plan,
        year=YEAR,
        kind=AllocationKind.MANAGEMENT,
        name=f"{word} management hours",
        hours=Decimal(100),
    )
    session.add(line)
    people = {
        role: create_user(
            session,
            email=f"{role.value}@{word.lower()}.test",
            name=f"{word} {role.value.title()}",
            role=role,
            password="",
            organisation=org,
            password_hash=password_hash,
        )
        for role in ORGANISATION_ROLES
    }
    session.flush()
    entry = f.log(session, plan, people[Role.EDITOR], date(YEAR, 5, 5), "2.5", action, f"{word} workshop")
    token_row, token = create_token(session, people[Role.ADMIN], f"{word} reporting token")
    draft = create_assessment(
        session, plan, start=date(2024, 1, 1), end=date(2025, 12, 31), title=f"{word} draft assessment"
    )
    published = create_assessment(
        session, plan, start=date(2023, 1, 1), end=date(2024, 12, 31), title=f"{word} published report"
    )
    publish(
        session,
        published,
        reports_dir,
        by=people[Role.EDITOR],
        today=TODAY,
        version=published.version,
        build_workbook=build_assessment_workbook,
    )
    coordinator = create_user(
        session,
        email=f"coordinator@{word.lower()}.test",
        name=f"{word} Coordinator",
        role=Role.COORDINATOR,
        password="",
        network=network,
        password_hash=password_hash,
    )
    session.flush()
    round_ = open_round(
        session,
        network.id,
        title=f"{word} round {YEAR}",
        year=YEAR,
        due_on=date(YEAR, 12, 31),
        opened_by=coordinator,
    )
    submission = submit_to_round(session, round_, plan, by=people[Role.EDITOR], on=TODAY)
    session.commit()
    return Side(
        organisation_id=org.id,
        ids={
            "plan_id": [plan.id],
            "pillar_id": [pillar.id],
            "action_id": [action.id],
            "line_id": [line.id],
            "entry_id": [entry.id],
            # The editor logged the entry: their page lists it.
            "user_id": [people[Role.EDITOR].id],
            "token_id": [token_row.id],
            "assessment_id": [draft.id, published.id],
            "round_id": [round_.id],
            "submission_id": [submission.id],
            "network_id": [network.id],
        },
        names={
            "network": network.name,
            "organisation": org.name,
            "plan": plan.title,
            "pillar": pillar.name,
            "action": action.title,
            "line": line.name,
            "entry": entry.note,
            "token": token_row.name,
            "draft": draft.title,
            "published": published.title,
            "round": round_.title,
            **{role.value: people[role].name for role in ORGANISATION_ROLES},
            **{f"{role.value} email": people[role].email for role in ORGANISATION_ROLES},
        },
        admin=people[Role.ADMIN].email,
        token=token,
        network_id=network.id,
        coordinator=coordinator.email,
    )


@pytest.fixture
def sides(app, session, password_hash):
    """Alpha (A) and Bravo (B); each admin has signed in once, so each has a security log."""
    reports = Path(app.config["REPORTS_DIR"])
    built = {
        key: build_side(session, word, reports, password_hash)
        for key, word in (("A", "Alpha"), ("B", "Bravo"))
    }
    for side in built.values():
        signed_in(app, side.admin)
    return built


def signed_in(app, email: str):
    """A client signed in as ``email`` through the sign-in page."""
    client = app.test_client()
    assert client.post("/signin", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def routes(app):
    """Every rule and method, but Flask's static files and the public links."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(UNSCOPED):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def routes_with_records(app):
    """The rules whose URL names a record, and their methods."""
    for rule, method in routes(app):
        if RECORDS.keys() & rule.arguments:
            for name in rule.arguments - RECORDS.keys():
                assert name in FIXED, f"{rule.rule}: what is <{name}>? Add it to RECORDS or FIXED."
            yield rule, method


def is_api(rule) -> bool:
    return rule.rule.startswith("/api/")


def url(rule, values: dict) -> str:
    return rule.build(values, append_unknown=False)[1]


def own_values(rule, side: Side) -> dict:
    """``side``'s first record for every id in the rule (a draft assessment)."""
    return {name: side.ids[name][0] if name in RECORDS else FIXED[name] for name in rule.arguments}


def foreign_values(rule, own: Side, other: Side):
    """URL values naming ``other``'s records: every id ``other``'s; and, where a URL names several
    records, each in turn ``other``'s beside ``own``'s (another plan's pillar under one's own plan)."""
    names = sorted(RECORDS.keys() & rule.arguments)
    fixed = {name: FIXED[name] for name in rule.arguments - RECORDS.keys()}
    for ids in product(*(other.ids[name] for name in names)):
        yield {**fixed, **dict(zip(names, ids, strict=True))}
    if len(names) > 1:
        for crossed in names:
            yield {**own_values(rule, own), crossed: other.ids[crossed][0]}


def filled(session, rule, values: dict, other: Side) -> dict:
    """A body any POST route would act on, had the record it names been within reach: the
    current version of the URL's last record and something valid for every field a route reads."""
    session.expire_all()
    named = [name for name in re.findall(r"<(?:\w+:)?(\w+)>", rule.rule) if name in RECORDS][-1]
    record = session.get(RECORDS[named], values[named])
    action = session.get(Action, other.ids["action_id"][0])
    body = {
        "version": str(getattr(record, "version", 1)),
        "status": "completed",
        "note": "scope probe",
        "done": "1",
        "title": "Taken over",
        "name": "Taken over",
        "code": "9.9",
        "cadence": "once",
        "start_year": "2023",
        "end_year": "2026",
        "year": str(YEAR),
        "kind": "implementation",
        "hours": "3",
        "delete": "1",
        "active": "0",
        "public": "1",
        "role": "viewer",
        "new": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "spent_on": f"{YEAR}-05-06",
        "date": f"{YEAR}-05-06",
        "target": "management",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "action": f"{action.id}:{action.version}",
        "plan": str(other.ids["plan_id"][0]),
        "due_on": f"{YEAR}-12-31",
    }
    session.rollback()
    return body


def snapshot(session, side: Side) -> dict[str, list[tuple]]:
    """Every row of every table that belongs to ``side``'s organisation, as text."""
    org = side.organisation_id
    plans = sa.select(Plan.id).where(Plan.organisation_id == org)
    people = sa.select(User.id).where(User.organisation_id == org)
    belongs = {
        "organisation_id": lambda column: column == org,
        "plan_id": lambda column: column.in_(plans),
        "user_id": lambda column: column.in_(people),
        "published_by_id": lambda column: column.in_(people),
        "action_id": lambda column: column.in_(sa.select(Action.id).where(Action.plan_id.in_(plans))),
        "assessment_id": lambda column: column.in_(
            sa.select(Assessment.id).where(Assessment.plan_id.in_(plans))
        ),
    }
    rows = {}
    try:
        for table in Base.metadata.sorted_tables:
            if table.name == "organisation":
                where = [table.c.id == org]
            elif table.name == "network":  # the networks the organisation belongs to
                members = sa.select(Membership.network_id).where(Membership.organisation_id == org)
                where = [table.c.id.in_(members)]
            elif table.name == "reporting_round":  # the rounds of those networks
                members = sa.select(Membership.network_id).where(Membership.organisation_id == org)
                where = [table.c.network_id.in_(members)]
            else:
                where = [test(table.c[name]) for name, test in belongs.items() if name in table.c]
            assert where, f"the snapshot does not know how a row of {table.name} belongs to an organisation"
            found = session.execute(sa.select(table).where(sa.or_(*where)))
            rows[table.name] = sorted(tuple(map(str, row)) for row in found)
    finally:
        session.rollback()  # no read lock left for the app's writes (SQLite)
    return rows


def changed(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@dataclass(frozen=True)
class Ask:
    """One request of the matrix: a route with B's ids, asked one way."""

    rule: object
    method: str
    values: dict
    token: bool  # with A's bearer token rather than A's session
    filled: bool  # a POST with a filled body rather than an empty one

    def label(self) -> str:
        how = "with a token" if self.token else "signed in"
        return f"{self.method} {url(self.rule, self.values)} {how}" + (
            " with a filled body" if self.filled else ""
        )


def asks(app, own: Side, other: Side, filled_bodies: bool) -> list[Ask]:
    """Every route with ids, with ``other``'s ids; for the API also with a token; POSTs empty and
    (``filled_bodies``) filled. Filled ones come last: were a loader to let one through, the record
    it deletes or archives must not hide another route's fault."""
    found = []
    for rule, method in routes_with_records(app):
        for values in foreign_values(rule, own, other):
            for token, filled_body in product(
                [False, True] if is_api(rule) else [False],
                [False, True] if method == "POST" and filled_bodies else [False],
            ):
                found.append(Ask(rule, method, values, token, filled_body))
    return sorted(found, key=lambda ask: ask.filled)


def probe(app, session, own: Side, other: Side, *, filled_bodies: bool = True):
    """Ask every route with ids for ``other``'s records as ``own``'s admin; each must answer 404
    and leave ``other``'s rows as they were.

    The failures, one line each, and the (endpoint, method) pairs that failed.
    """
    clients = {False: signed_in(app, own.admin), True: app.test_client()}
    failures: list[str] = []
    caught: set[tuple[str, str]] = set()
    before = snapshot(session, other)
    for ask in asks(app, own, other, filled_bodies):
        body = None
        if ask.method == "POST":
            body = filled(session, ask.rule, ask.values, other) if ask.filled else {}
        # The API reads JSON; pages read forms.
        payload = {"json": body} if is_api(ask.rule) and body is not None else {"data": body}
        headers = bearer(own.token) if ask.token else {}
        try:
            with clients[ask.token].open(
                url(ask.rule, ask.values), method=ask.method, headers=headers, **payload
            ) as response:
                status = response.status_code
        except Exception as error:  # the app's exceptions propagate in tests
            status = repr(error)
        after = snapshot(session, other)
        # A route no admin may use at all (a coordinator's) is refused before any record is
        # looked for: 403 whatever the ids.
        expected = 404 if required(app, ask.rule.endpoint) in GRANTS[Role.ADMIN] else 403
        problems = [] if status == expected else [f"answered {status}, expected {expected}"]
        if after != before:
            problems.append(f"changed B's {', '.join(changed(before, after))}")
            before = after
        if problems:
            failures.append(f"{ask.label()}: {'; '.join(problems)}")
            caught.add((ask.rule.endpoint, ask.method))
    return failures, caught


def test_another_organisations_ids_are_404_on_every_route_and_change_nothing(app, session, sides):
    """Signed in or with a token, GET or POST, empty or filled: B's records are absent to A."""
    failures, _caught = probe(app, session, sides["A"], sides["B"])
    assert not failures, "\n".join(failures)


def test_the_matrix_catches_a_loader_that_skips_the_scope(app, session, sides, monkeypatch):
    """Were ``get_or_404`` to reach every organisation, every route with ids would fail above."""
    everyone = scope.Scope(
        frozenset({sides["A"].organisation_id, sides["B"].organisation_id}),
        frozenset({sides["A"].ids["network_id"][0], sides["B"].ids["network_id"][0]}),
    )
    monkeypatch.setattr(scope, "current_scope", lambda: everyone)
    _failures, caught = probe(app, session, sides["A"], sides["B"], filled_bodies=False)
    assert caught == {
        (rule.endpoint, method)
        for rule, method in routes_with_records(app)
        if required(app, rule.endpoint) in GRANTS[Role.ADMIN]
    }


def test_with_its_own_ids_every_page_answers(app, sides):
    """The same GET routes with A's ids answer 200: the 404s above are B's records being absent."""
    own = sides["A"]
    session_client, token_client = signed_in(app, own.admin), app.test_client()
    coordinator_client = signed_in(app, own.coordinator)
    failures = []
    tried = 0
    for rule, method in routes_with_records(app):
        if method != "GET":
            continue
        if required(app, rule.endpoint) not in GRANTS[Role.ADMIN]:  # a coordinator's route
            ways = [(coordinator_client, {})]
        else:
            ways = [(session_client, {})] + ([(token_client, bearer(own.token))] if is_api(rule) else [])
        address = url(rule, own_values(rule, own))
        for client, headers in ways:
            with client.get(address, headers=headers) as response:
                tried += 1
                if response.status_code != 200:
                    failures.append(f"GET {address}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert tried >= 20


def test_with_its_own_ids_no_post_is_404(app, sides):
    """An empty POST with A's ids is refused for what it lacks, never for a missing record."""
    own = sides["A"]
    client = signed_in(app, own.admin)
    failures = []
    for rule, method in routes_with_records(app):
        if method == "POST":
            address = url(rule, own_values(rule, own))
            payload = {"json": {}} if is_api(rule) else {"data": {}}
            with client.post(address, **payload) as response:
                if response.status_code == 404 or response.status_code >= 500:
                    failures.append(f"POST {address}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_pages_without_ids_show_only_the_own_organisation(app, sides):
    """Every page without ids (lists, the dashboard, forms) holds none of B's names; the lists
    hold A's. The API's list with a token too."""
    own, other = sides["A"], sides["B"]
    client = signed_in(app, own.admin)
    failures = []
    for rule, method in routes(app):
        if method != "GET" or rule.arguments:
            continue
        asked = [("signed in", client.get(rule.rule, follow_redirects=True))]
        if is_api(rule):
            asked.append(("with a token", app.test_client().get(rule.rule, headers=bearer(own.token))))
        for how, response in asked:
            page = response.get_data(as_text=True)
            where = f"GET {rule.rule} {how}"
            leaked = [name for name in other.names.values() if name in page]
            if leaked:
                failures.append(f"{where} shows B's {leaked}")
            if rule.rule in LISTS:
                if response.status_code != 200:
                    failures.append(f"{where}: {response.status_code}")
                missing = [own.names[key] for key in LISTS[rule.rule] if own.names[key] not in page]
                if missing:
                    failures.append(f"{where} lacks A's {missing}")
    assert not failures, "\n".join(failures)
    assert set(LISTS) <= {rule.rule for rule, _method in routes(app)}


def test_ids_of_another_organisation_in_a_form_or_a_file_change_nothing(app, session, sides):
    """B's ids sent in a body to A's routes, or B's plan workbook uploaded by A, touch nothing of
    B and name nothing of B."""
    own, other = sides["A"], sides["B"]
    plan, action = own.ids["plan_id"][0], other.ids["action_id"][0]
    version = session.get(Action, action).version
    workbook = build_plan_workbook(session, session.get(Plan, other.ids["plan_id"][0]), TODAY)
    session.rollback()
    entry = {"spent_on": f"{YEAR}-05-06", "hours": "2", "target": str(action), "note": "", "version": "1"}
    cases = [
        (
            f"/plans/{plan}/actions/status",
            {"action": f"{action}:{version}", "status": "completed", "note": ""},
            303,
        ),
        (f"/plans/{plan}/hours/new", entry, 422),
        (f"/hours/{own.ids['entry_id'][0]}/edit", entry, 422),
        ("/admin/tokens", {"user_id": str(other.ids["user_id"][0]), "name": "taken"}, 422),
        ("/admin/plans/import", {"workbook": (io.BytesIO(workbook), "bravo.xlsx")}, 422),
    ]
    client = signed_in(app, own.admin)
    before = snapshot(session, other)
    failures = []
    for address, body, expected in cases:
        response = client.post(address, data=body)
        page = response.get_data(as_text=True)
        if response.status_code != expected:
            failures.append(f"POST {address}: {response.status_code}, expected {expected}")
        if leaked := [name for name in other.names.values() if name in page]:
            failures.append(f"POST {address} shows B's {leaked}")
        if changed(before, after := snapshot(session, other)):
            failures.append(f"POST {address} changed B's {', '.join(changed(before, after))}")
            before = after
    response = client.get(f"/plans/{plan}/actions?pillar={other.ids['pillar_id'][0]}")
    if response.status_code != 400:
        failures.append(f"the action list filtered by B's pillar: {response.status_code}, expected 400")
    assert not failures, "\n".join(failures)


def test_the_plan_history_names_nothing_of_another_organisation(app, sides):
    """A's history of A's plan, filtered by B's action, pillar or person, is refused, and never
    shows B's names; B's plan's history is 404 (above)."""
    own, other = sides["A"], sides["B"]
    client = signed_in(app, own.admin)
    history = f"/plans/{own.ids['plan_id'][0]}/history"
    everything = client.get(f"{history}?kind=all").get_data(as_text=True)
    assert own.names["action"] in everything
    for args in (
        f"action={other.ids['action_id'][0]}",
        f"pillar={other.ids['pillar_id'][0]}",
        f"person={other.ids['user_id'][0]}",
    ):
        response = client.get(f"{history}?{args}")
        assert response.status_code == 400, args
        page = response.get_data(as_text=True)
        assert not [name for name in other.names.values() if name in page], args
    assert not [name for name in other.names.values() if name in everything]


def round_routes(app):
    """The rules naming a round, and their methods."""
    return [(rule, method) for rule, method in routes_with_records(app) if "round_id" in rule.arguments]


def test_round_routes_answer_coordinators_and_members_and_nobody_else(app, session, sides):
    """A's rounds: its network's coordinator reads everything of them; A's people read the round
    and their own submission (the network workbook is the coordinator's: 403); B's admin and B's
    coordinator, outside A's network, get 404 on every round route and method their role may use
    (403 on the others, whatever the round: a coordinator never submits, an admin never closes),
    and change nothing."""
    own, other = sides["A"], sides["B"]
    readers = {
        "A's coordinator": (signed_in(app, own.coordinator), lambda endpoint: 200),
        "A's admin": (
            signed_in(app, own.admin),
            lambda endpoint: 200 if required(app, endpoint) in GRANTS[Role.ADMIN] else 403,
        ),
    }

    def refused(role):
        """403 where the role may not use the route at all, else 404: the round is absent."""
        return lambda endpoint: 404 if required(app, endpoint) in GRANTS[role] else 403

    outsiders = {
        "B's admin": (signed_in(app, other.admin), refused(Role.ADMIN)),
        "B's coordinator": (signed_in(app, other.coordinator), refused(Role.COORDINATOR)),
    }
    failures = []
    tried = set()
    for rule, method in round_routes(app):
        tried.add(rule.endpoint)
        if method == "GET":
            address = url(rule, own_values(rule, own))
            for who, (client, expected) in readers.items():
                if (status := client.get(address).status_code) != expected(rule.endpoint):
                    failures.append(f"GET {address} as {who}: {status}, expected {expected(rule.endpoint)}")
    before = snapshot(session, own)
    for rule, method in round_routes(app):
        address = url(rule, own_values(rule, own))
        for who, (client, expected) in outsiders.items():
            body = filled(session, rule, own_values(rule, own), own) if method == "POST" else None
            with client.open(address, method=method, data=body) as response:
                if response.status_code != expected(rule.endpoint):
                    failures.append(
                        f"{method} {address} as {who}: {response.status_code}, expected {expected(rule.endpoint)}"
                    )
    if changed(before, after := snapshot(session, own)):
        failures.append(f"the outsiders changed A's {', '.join(changed(before, after))}")
    assert not failures, "\n".join(failures)
    assert {
        "rounds.show",
        "rounds.submit",
        "rounds.close",
        "rounds.workbook",
        "rounds.submission_workbook",
    } <= tried


# Networks: the members A and B share network N, where B shares its plan; C coordinates N; the
# outsider O belongs to no network of theirs.


@pytest.fixture
def shared(app, session, sides, password_hash):
    """N with A and B as members, B's plan shared with it, its coordinator C, and the outsider O
    (an organisation like the others, with every kind of record)."""
    network = Network(name="Shared network of towns")
    session.add(network)
    for side in (sides["A"], sides["B"]):
        session.add(Membership(network=network, organisation_id=side.organisation_id))
    plan = session.get(Plan, sides["B"].ids["plan_id"][0])
    plan.sharing = Sharing.NETWORK
    coordinator = create_user(
        session,
        email="coordinator@network.test",
        name="Network Coordinator",
        role=Role.COORDINATOR,
        password="",
        network=network,
        password_hash=password_hash,
    )
    session.flush()
    _row, token = create_token(session, coordinator, "coordinator token")
    session.commit()
    outsider = build_side(session, "Oscar", Path(app.config["REPORTS_DIR"]), password_hash)
    return {"network": network.id, "coordinator": coordinator.email, "token": token, "outsider": outsider}


def network_reads(network_id: int, plan_id: int) -> list[str]:
    """The read-only pages that show network N and B's plan shared with it."""
    return [
        f"/networks/{network_id}?year={YEAR}",
        f"/networks/{network_id}/plans/{plan_id}?year={YEAR}",
        f"/networks/{network_id}/charts/status-by-region.svg?year={YEAR}",
        f"/api/v1/networks/{network_id}/rollup?year={YEAR}",
    ]


# What sharing never shows: B's people, their hour entries, drafts, tokens and security log.
NEVER_SHARED = ("entry", "draft", "token", "admin", "editor", "viewer", "admin email", "editor email")


def test_sharing_opens_no_route_of_an_organisations_records_to_another_member(app, session, sides, shared):
    """A and B in one network, B's plan shared: every route with B's ids is still 404 to A and
    changes nothing; only the network's read-only pages show B's plan, without its people."""
    failures, _caught = probe(app, session, sides["A"], sides["B"])
    assert not failures, "\n".join(failures)
    client = signed_in(app, sides["A"].admin)
    other = sides["B"]
    for address in network_reads(shared["network"], other.ids["plan_id"][0]):
        response = client.get(address)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, address
        assert not [other.names[key] for key in NEVER_SHARED if other.names[key] in page], address
    assert other.names["plan"] in client.get(
        network_reads(shared["network"], other.ids["plan_id"][0])[1]
    ).get_data(as_text=True)


def test_a_coordinator_reads_what_is_shared_and_changes_nothing(app, session, sides, shared):
    """C, on every route with B's ids, whatever the method, signed in or with a token: refused
    (403: no organisation's pages) or absent (404), and B's rows stay as they were. C reads N's
    pages, B's shared plan among them, and none of B's people, entries, drafts or tokens."""
    other = sides["B"]
    session_client, token_client = signed_in(app, shared["coordinator"]), app.test_client()
    before = snapshot(session, other)
    failures = []
    for rule, method in routes_with_records(app):
        for values in foreign_values(rule, other, other):
            for use_token in [False, True] if is_api(rule) else [False]:
                body = filled(session, rule, values, other) if method == "POST" else None
                payload = {"json": body} if is_api(rule) and body is not None else {"data": body}
                headers = bearer(shared["token"]) if use_token else {}
                client = token_client if use_token else session_client
                address = url(rule, values)
                with client.open(address, method=method, headers=headers, **payload) as response:
                    status = response.status_code
                    page = response.get_data(as_text=True)
                allowed_read = (
                    method == "GET"
                    and rule.endpoint.startswith("networks.")
                    and values.get("network_id") == shared["network"]
                )
                if status not in (403, 404) and not allowed_read:
                    failures.append(f"{method} {address}: {status}")
                if leaked := [other.names[key] for key in NEVER_SHARED if other.names[key] in page]:
                    failures.append(f"{method} {address} shows {leaked}")
    assert not failures, "\n".join(failures)
    assert snapshot(session, other) == before
    for address in network_reads(shared["network"], other.ids["plan_id"][0]):
        for client, headers in ((session_client, {}), (token_client, bearer(shared["token"]))):
            response = client.get(address, headers=headers)
            if address.startswith("/api/") or not headers:
                assert response.status_code == 200, address
                page = response.get_data(as_text=True)
                assert not [other.names[key] for key in NEVER_SHARED if other.names[key] in page]
    # A's plan is private: absent to C even under N.
    assert (
        session_client.get(f"/networks/{shared['network']}/plans/{sides['A'].ids['plan_id'][0]}").status_code
        == 404
    )


def test_an_outsider_gets_404_from_the_network_and_changes_nothing(app, session, sides, shared):
    """O belongs to no network of A and B: N's pages and B's shared plan are 404 to O, and every
    route with B's ids is 404 and changes nothing, as for any other organisation."""
    outsider, other = shared["outsider"], sides["B"]
    client = signed_in(app, outsider.admin)
    for address in network_reads(shared["network"], other.ids["plan_id"][0]):
        assert client.get(address).status_code == 404, address
        assert app.test_client().get(address, headers=bearer(outsider.token)).status_code in (404, 302)
    failures, _caught = probe(app, session, outsider, other, filled_bodies=False)
    assert not failures, "\n".join(failures)
