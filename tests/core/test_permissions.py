"""Every route and method, tried by every kind of person, answers as its declared rule says."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tracker.accounts.models import Membership, Network, Organisation, SecurityEvent, SecurityEventKind, User
from tracker.accounts.services import create_token, create_user
from tracker.assessments.report import create_assessment, publish, set_public
from tracker.core.permissions import GRANTS, Need, Role, can, required
from tracker.hours.models import TimeEntry
from tracker.plans.models import Action, AllocationLine, Plan, Sharing
from tracker.rounds.services import open_round
from tracker.rounds.services import submit as submit_to_round
from tracker.workbooks.assessment_workbook import build_assessment_workbook

PERSONAS = ["anonymous", "viewer", "editor", "admin", "other_admin", "coordinator"]
OBJECT_ARGS = {
    "plan_id",
    "action_id",
    "user_id",
    "token_id",
    "pillar_id",
    "entry_id",
    "line_id",
    "assessment_id",
    "round_id",
    "submission_id",
    "network_id",
}


@pytest.fixture
def samples(app, session, users, password_hash):
    """Ids to put in URLs: ICLEI's plan and first action, and a user and token nobody signs in with."""
    iclei = session.scalar(sa.select(Organisation).where(Organisation.name == "ICLEI European Secretariat"))
    victim = create_user(
        session,
        email="victim@iclei.test",
        name="Victim",
        role=Role.VIEWER,
        password="",
        organisation=iclei,
        password_hash=password_hash,
    )
    token, _secret = create_token(session, victim, "sample")
    action = session.scalar(sa.select(Action).order_by(Action.id))
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    # The editor's own entry: editors change their own entries, admins anyone's.
    entry = TimeEntry(
        plan_id=action.plan_id,
        action_id=action.id,
        user_id=editor.id,
        spent_on=date(2025, 5, 5),
        hours=Decimal("1.5"),
    )
    session.add(entry)
    plan = session.get(Plan, action.plan_id)
    draft = create_assessment(session, plan, start=date(2024, 1, 1), end=date(2025, 12, 31))
    public = create_assessment(session, plan, start=date(2023, 1, 1), end=date(2023, 12, 31))
    publish(
        session,
        public,
        Path(app.config["REPORTS_DIR"]),
        by=editor,
        today=date(2026, 11, 23),
        version=public.version,
        build_workbook=build_assessment_workbook,
    )
    set_public(session, public, True, version=public.version)
    # A network of ICLEI (not of the other admin's organisation), its coordinator, and the
    # ICLEI plan public at a link.
    network = Network(name="Sample network")
    session.add_all([network, Membership(network=network, organisation=iclei)])
    coordinator = create_user(
        session,
        email="coordinator@network.test",
        name="Coordinator",
        role=Role.COORDINATOR,
        password="",
        network=network,
        password_hash=password_hash,
    )
    plan.sharing, plan.public_token = Sharing.PUBLIC, "sample-public-plan-token-0123456789"
    # ... with a round, to which ICLEI's editor submitted the plan.
    session.flush()
    round_ = open_round(
        session, network.id, title="2026 report", year=2026, due_on=date(2026, 12, 31), opened_by=coordinator
    )
    submission = submit_to_round(session, round_, plan, by=editor, on=date(2026, 11, 23))
    session.commit()
    return {
        "assessment_id": draft.id,
        "round_id": round_.id,
        "submission_id": submission.id,
        "token": public.public_token,
        "plan_id": action.plan_id,
        "action_id": action.id,
        "user_id": victim.id,
        "token_id": token.id,
        "pillar_id": action.pillar_id,
        "entry_id": entry.id,
        "year": 2025,
        "line_id": session.scalar(sa.select(AllocationLine.id).order_by(AllocationLine.id)),
        "filename": "css/app.css",
        "name": "status-by-pillar",
        "network_id": network.id,
        "chart_name": "status-by-region",
        "plan_token": plan.public_token,
        "coordinator": "coordinator@network.test",
    }


def routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def expected(need: Need, persona: str, rule) -> str:
    if need is Need.PUBLIC:
        return "allowed"
    if persona == "anonymous":
        return "sign in"
    role = Role.ADMIN if persona == "other_admin" else Role(persona)
    if need not in GRANTS[role]:
        return "forbidden"
    if persona == "other_admin" and OBJECT_ARGS & set(rule.arguments):
        return "not found"
    # The coordinator reaches the sample network, ICLEI's plan as it is shared (public), and the
    # network's round with ICLEI's submission.
    reached = {"network_id", "plan_id", "round_id", "submission_id"}
    if persona == "coordinator" and OBJECT_ARGS & set(rule.arguments) - reached:
        return "not found"
    return "allowed"


def outcome(response) -> str:
    if response.status_code == 401 or (
        # A refusal sends people to sign in and back; a successful sign-out just to sign in.
        response.status_code in (302, 303) and response.location.startswith("/signin?next=")
    ):
        return "sign in"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404:
        return "not found"
    assert response.status_code < 500, response.status_code
    return "allowed"


def test_every_route_declares_what_it_needs(app):
    undeclared = [rule.endpoint for rule, _method in routes(app) if required(app, rule.endpoint) is None]
    assert undeclared == []


def test_the_role_matrix_covers_every_route(app, users, samples):
    users = {**users, "coordinator": samples["coordinator"]}
    clients = {}
    for persona in PERSONAS:
        clients[persona] = app.test_client()
        if persona != "anonymous":
            assert (
                clients[persona]
                .post("/signin", data={"email": users[persona], "password": PASSWORD})
                .status_code
                == 302
            )
    tried = 0
    failures = []
    for rule, method in routes(app):
        need = required(app, rule.endpoint)
        url = rule.build({name: samples[name] for name in rule.arguments}, append_unknown=False)[1]
        for persona in PERSONAS:
            client = clients[persona]
            with client.open(url, method=method) as response:
                got = outcome(response)
            want = expected(need, persona, rule)
            tried += 1
            if got != want:
                failures.append(f"{method} {url} as {persona}: {got}, expected {want}")
            if rule.endpoint == "auth.signout" and persona != "anonymous":
                client.post("/signin", data={"email": users[persona], "password": PASSWORD})
    assert not failures, "\n".join(failures)
    assert tried >= 5 * 15


def test_can_follows_the_grants(users, session):
    viewer = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    editor = session.scalar(sa.select(User).where(User.email == users["editor"]))
    assert can(viewer, Need.READ) and not can(viewer, Need.EDIT) and not can(viewer, Need.ADMIN)
    assert can(editor, Need.EDIT) and not can(editor, Need.ADMIN)


def test_each_403_is_a_security_event(client, auth, users, session):
    auth.login(users["editor"])
    assert client.get("/admin/users").status_code == 403
    [event] = session.scalars(
        sa.select(SecurityEvent).where(SecurityEvent.kind == SecurityEventKind.FORBIDDEN)
    ).all()
    assert event.user.email == users["editor"] and event.path == "/admin/users"
    assert "admin.users" in event.detail
