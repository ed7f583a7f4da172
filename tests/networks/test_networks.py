"""Networks: members share by choice, coordinators read, the roll-up equals each dashboard."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.conftest import PASSWORD
from tracker.accounts.models import (
    Membership,
    Network,
    Organisation,
    Region,
    SecurityEvent,
    SecurityEventKind,
)
from tracker.accounts.services import create_token, create_user
from tracker.core import cache
from tracker.core.permissions import Role
from tracker.plans.models import Plan, Sharing, Status

YEAR = 2025


@dataclass
class World:
    network: int
    coordinator: str
    coordinator_token: str
    admins: dict[str, str]  # organisation key -> admin email
    plans: dict[str, int]  # organisation key -> plan id
    tokens: dict[str, str]


def member(session, key: str, region: Region, password_hash: str, *, sharing: Sharing, network=None, seed=0):
    """An organisation with an admin, an editor who logged hours, and a plan of four actions."""
    org = Organisation(name=f"{key} Council", country=f"{key}land", region=region)
    session.add(org)
    if network is not None:
        session.add(Membership(network=network, organisation=org))
    plan = f.plan(session, org, title=f"{key} equality plan", start=2024, end=2026)
    pillar = f.pillar(session, plan, 1, name=f"{key} pillar")
    actions = [
        f.action(session, pillar, "1.1", status=Status.COMPLETED, start=2024, end=2025),
        f.action(session, pillar, "1.2", status=Status.ONGOING, start=2024),
        # Upcoming and due to start in 2024: late.
        f.action(session, pillar, "1.3", status=Status.UPCOMING, start=2024),
        f.action(session, pillar, "1.4", status=Status.ONGOING, start=2024, end=2025 + seed % 2),
    ]
    for n, action in enumerate(actions):
        f.budget(session, action, YEAR, f"{n + seed}.25")
    f.allocate(session, plan, YEAR, 10 + seed, "40.5")
    admin = create_user(
        session,
        email=f"admin@{key.lower()}.test",
        name=f"{key} Admin",
        role=Role.ADMIN,
        password="",
        organisation=org,
        password_hash=password_hash,
    )
    editor = create_user(
        session,
        email=f"editor@{key.lower()}.test",
        name=f"{key} Editor",
        role=Role.EDITOR,
        password="",
        organisation=org,
        password_hash=password_hash,
    )
    session.flush()
    f.log(session, plan, editor, date(YEAR, 3, 3), f"{seed + 1}.5", actions[1], f"{key} secret workshop note")
    f.log(session, plan, editor, date(YEAR, 4, 4), "0.75", None, "management")
    plan.sharing = sharing
    if sharing is Sharing.PUBLIC:
        plan.public_token = f"{key.lower()}-public-link-token-0123456789"
    _row, token = create_token(session, admin, f"{key} token")
    return org, plan, admin, token


@pytest.fixture
def world(app, session, password_hash) -> World:
    """Network N: Alpha (Latin America, shares with the network), Bravo (Asia Pacific, public),
    Charlie (Latin America, shares nothing). Delta is no member and shares with its networks."""
    network = Network(name="CIB Working Group")
    session.add(network)
    built = {
        "Alpha": member(
            session,
            "Alpha",
            Region.LATIN_AMERICA,
            password_hash,
            sharing=Sharing.NETWORK,
            network=network,
            seed=1,
        ),
        "Bravo": member(
            session,
            "Bravo",
            Region.ASIA_PACIFIC,
            password_hash,
            sharing=Sharing.PUBLIC,
            network=network,
            seed=2,
        ),
        "Charlie": member(
            session,
            "Charlie",
            Region.LATIN_AMERICA,
            password_hash,
            sharing=Sharing.PRIVATE,
            network=network,
            seed=3,
        ),
        "Delta": member(
            session, "Delta", Region.LATIN_AMERICA, password_hash, sharing=Sharing.NETWORK, seed=4
        ),
    }
    coordinator = create_user(
        session,
        email="coordinator@cib.test",
        name="Cora Coordinator",
        role=Role.COORDINATOR,
        password="",
        network=network,
        password_hash=password_hash,
    )
    session.flush()
    _row, coordinator_token = create_token(session, coordinator, "coordinator token")
    session.commit()
    return World(
        network=network.id,
        coordinator=coordinator.email,
        coordinator_token=coordinator_token,
        admins={key: admin.email for key, (_o, _p, admin, _t) in built.items()},
        plans={key: plan.id for key, (_o, plan, _a, _t) in built.items()},
        tokens={key: token for key, (_o, _p, _a, token) in built.items()},
    )


def signed_in(app, email):
    client = app.test_client()
    assert client.post("/signin", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def rollup(app, world, token=None, year=YEAR):
    response = app.test_client().get(
        f"/api/v1/networks/{world.network}/rollup?year={year}",
        headers=bearer(token or world.coordinator_token),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def shown(hours: float) -> str:
    """Hours as the pages show them: ``3.25 h``, ``3.5 h``, ``3.0 h``."""
    text = f"{hours:,.2f}"
    return (text[:-1] if text.endswith("0") else text) + " h"


def row_of(answer, name):
    return next(
        org for region in answer["regions"] for org in region["organisations"] if org["organisation"] == name
    )


def test_the_rollup_answers_in_the_issues_shape_by_region(app, world):
    answer = rollup(app, world)
    assert answer["network"] == "CIB Working Group" and answer["year"] == YEAR
    # Regions in the fixed order; members by name; Delta, no member, is absent.
    assert [(r["region"], [o["organisation"] for o in r["organisations"]]) for r in answer["regions"]] == [
        ("Latin America", ["Alpha Council", "Charlie Council"]),
        ("Asia Pacific", ["Bravo Council"]),
    ]
    alpha = row_of(answer, "Alpha Council")
    assert list(alpha) == ["organisation", "country", "plans", "actions", "hours"]
    assert list(alpha["actions"]) == ["completed", "ongoing", "upcoming", "late"]
    assert list(alpha["hours"]) == ["allocated", "planned", "logged"]
    assert all(isinstance(value, float) for value in alpha["hours"].values())
    # Charlie shares nothing: it is there, with no figures.
    assert row_of(answer, "Charlie Council") == {
        "organisation": "Charlie Council",
        "country": "Charlieland",
        "plans": 0,
    }
    latin = answer["regions"][0]["totals"]
    assert latin == {"actions": alpha["actions"], "hours": alpha["hours"]}
    bravo = row_of(answer, "Bravo Council")
    assert answer["totals"]["hours"]["logged"] == pytest.approx(
        alpha["hours"]["logged"] + bravo["hours"]["logged"]
    )
    assert answer["totals"]["actions"]["late"] == alpha["actions"]["late"] + bravo["actions"]["late"]


def test_the_network_figures_equal_each_members_own_dashboard(app, world):
    """What the coordinator reads of each member equals what the member's own dashboard and API
    say for the same year, to the hundredth."""
    answer = rollup(app, world)
    for key in ("Alpha", "Bravo"):
        own = app.test_client()
        headers = bearer(world.tokens[key])
        plan = world.plans[key]
        hours = own.get(f"/api/v1/plans/{plan}/hours?year={YEAR}", headers=headers).get_json()
        actions = own.get(f"/api/v1/plans/{plan}/actions", headers=headers).get_json()
        row = row_of(answer, f"{key} Council")
        assert row["plans"] == 1
        assert row["hours"] == {
            "allocated": hours["allocated"]["total"],
            "planned": hours["planned"],
            "logged": hours["logged"]["total"],
        }
        listed = actions["actions"] if isinstance(actions, dict) else actions
        assert row["actions"] == {
            "completed": sum(a["status"] == "completed" for a in listed),
            "ongoing": sum(a["status"] == "ongoing" for a in listed),
            "upcoming": sum(a["status"] == "upcoming" for a in listed),
            "late": sum(a["late"] for a in listed),
        }
        # And the member's dashboard page shows the same counts.
        page = (
            signed_in(app, world.admins[key])
            .get(f"/plans/{plan}/dashboard?year={YEAR}")
            .get_data(as_text=True)
        )
        network_page = (
            signed_in(app, world.coordinator)
            .get(f"/networks/{world.network}?year={YEAR}")
            .get_data(as_text=True)
        )
        assert shown(row["hours"]["logged"]) in page and shown(row["hours"]["logged"]) in network_page


def test_the_network_view_shows_regions_subtotals_totals_and_charts(app, world):
    client = signed_in(app, world.coordinator)
    page = client.get(f"/networks/{world.network}?year={YEAR}").get_data(as_text=True)
    for text in (
        "Latin America",
        "Asia Pacific",
        "Subtotal",
        "Network",
        "Alpha equality plan",
        "shares nothing with the network",
    ):
        assert text in page, text
    assert "Delta" not in page and "Charlie equality plan" not in page
    for chart in ("status-by-region", "hours-by-region"):
        address = f"/networks/{world.network}/charts/{chart}.svg?year={YEAR}"
        response = client.get(address)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"Latin America" in response.data
    # A coordinator has no organisation's pages.
    assert client.get("/plans").status_code == 403
    assert client.get("/", follow_redirects=True).request.path == "/networks"


def test_a_member_sees_its_own_figures_beside_the_medians(app, world):
    page = (
        signed_in(app, world.admins["Charlie"])
        .get(f"/networks/{world.network}?year={YEAR}")
        .get_data(as_text=True)
    )
    assert "Charlie Council beside the medians" in page
    assert re.search("Region(&#39;|')s median", page) and re.search("Network(&#39;|')s median", page)
    # Alpha and Bravo each completed one of four actions: the medians are 25 %.
    assert page.count("25 %") >= 2


def test_a_shared_plan_shows_actions_and_hours_but_never_people(app, world):
    client = signed_in(app, world.admins["Charlie"])
    page = client.get(f"/networks/{world.network}/plans/{world.plans['Alpha']}?year={YEAR}").get_data(
        as_text=True
    )
    assert "Alpha equality plan" in page and "Action 1.3" in page
    for private in ("Alpha Editor", "editor@alpha.test", "Alpha secret workshop note", "Alpha Admin"):
        assert private not in page


def test_outsiders_and_private_plans_are_404(app, world):
    delta = signed_in(app, world.admins["Delta"])
    for address in (
        f"/networks/{world.network}",
        f"/networks/{world.network}/plans/{world.plans['Alpha']}",
        f"/networks/{world.network}/charts/status-by-region.svg",
        f"/api/v1/networks/{world.network}/rollup",
    ):
        assert delta.get(address).status_code == 404, address
    assert delta.get("/api/v1/networks").get_json() == []
    # A member reads no other member's private plan, nor Delta's through this network.
    alpha = signed_in(app, world.admins["Alpha"])
    for plan in (world.plans["Charlie"], world.plans["Delta"]):
        assert alpha.get(f"/networks/{world.network}/plans/{plan}").status_code == 404
    assert alpha.get("/api/v1/networks").get_json() == [
        {"id": world.network, "name": "CIB Working Group", "coordinator": False}
    ]


def test_a_public_plan_is_read_by_its_link_without_signing_in(app, world, session):
    link = "/public/plans/bravo-public-link-token-0123456789"
    response = app.test_client().get(link)
    assert response.status_code == 200 and "Bravo equality plan" in response.get_data(as_text=True)
    assert "Bravo Editor" not in response.get_data(as_text=True)
    assert app.test_client().get("/public/plans/not-a-token").status_code == 404
    bravo = signed_in(app, world.admins["Bravo"])
    version = session.get(Plan, world.plans["Bravo"]).version
    session.rollback()
    assert (
        bravo.post(
            f"/admin/plans/{world.plans['Bravo']}/sharing", data={"sharing": "private", "version": version}
        ).status_code
        == 303
    )
    assert app.test_client().get(link).status_code == 404


def test_sharing_on_the_admin_page_is_a_security_event(app, world, session):
    charlie = signed_in(app, world.admins["Charlie"])
    plan_id = world.plans["Charlie"]
    assert 'value="network"' in charlie.get(f"/admin/plans/{plan_id}").get_data(as_text=True)
    version = session.get(Plan, plan_id).version
    session.rollback()
    response = charlie.post(
        f"/admin/plans/{plan_id}/sharing", data={"sharing": "network", "version": version}
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Plan, plan_id).sharing is Sharing.NETWORK
    event = session.scalar(
        sa.select(SecurityEvent).where(SecurityEvent.kind == SecurityEventKind.PLAN_SHARING_CHANGED)
    )
    assert event.detail.endswith("private -> network") and event.user.email == world.admins["Charlie"]
    session.rollback()
    assert "Charlie equality plan" in charlie.get("/admin/security").get_data(as_text=True)
    # Now the coordinator reads it.
    answer = rollup(app, world)
    assert row_of(answer, "Charlie Council")["plans"] == 1


def test_bad_sharing_input_names_the_field_and_writes_nothing(app, world, session):
    charlie = signed_in(app, world.admins["Charlie"])
    plan_id = world.plans["Charlie"]
    version = session.get(Plan, plan_id).version
    session.rollback()
    response = charlie.post(
        f"/admin/plans/{plan_id}/sharing", data={"sharing": "everyone", "version": version}
    )
    assert response.status_code == 422
    assert "must be one of private, network, public" in response.get_data(as_text=True)
    # Another organisation's plan: absent.
    response = charlie.post(
        f"/admin/plans/{world.plans['Alpha']}/sharing", data={"sharing": "private", "version": 1}
    )
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Plan, plan_id).sharing is Sharing.PRIVATE
    assert session.get(Plan, world.plans["Alpha"]).sharing is Sharing.NETWORK
    assert (
        session.scalar(
            sa.select(sa.func.count(SecurityEvent.id)).where(
                SecurityEvent.kind == SecurityEventKind.PLAN_SHARING_CHANGED
            )
        )
        == 0
    )


def test_a_coordinator_never_changes_a_members_plan(app, world, session):
    client = signed_in(app, world.coordinator)
    plan_id = world.plans["Alpha"]
    for address, body in (
        (f"/admin/plans/{plan_id}/sharing", {"sharing": "private", "version": "1"}),
        (
            f"/admin/plans/{plan_id}",
            {"title": "Taken", "start_year": "2024", "end_year": "2026", "version": "1"},
        ),
    ):
        assert client.post(address, data=body).status_code == 403
    session.expire_all()
    plan = session.get(Plan, plan_id)
    assert (plan.sharing, plan.title) == (Sharing.NETWORK, "Alpha equality plan")


def network_of(session, size: int, password_hash, year=YEAR) -> tuple[int, str]:
    """A network of ``size`` members over the regions, each sharing one plan; its coordinator."""
    network = Network(name=f"Network of {size}")
    session.add(network)
    regions = list(Region)
    for n in range(size):
        member(
            session,
            f"N{size}m{n}",
            regions[n % 6],
            password_hash,
            sharing=Sharing.NETWORK,
            network=network,
            seed=n,
        )
    coordinator = create_user(
        session,
        email=f"coordinator{size}@net.test",
        name="Coordinator",
        role=Role.COORDINATOR,
        password="",
        network=network,
        password_hash=password_hash,
    )
    session.commit()
    return network.id, coordinator.email


def test_the_network_view_takes_the_same_statements_for_2_and_6_members(
    app, session, app_engine, password_hash
):
    counts = []
    for size in (2, 6):
        network_id, email = network_of(session, size, password_hash)
        client = signed_in(app, email)
        client.get(f"/networks/{network_id}?year={YEAR}")
        with app.app_context():
            cache.clear()
        with f.count_statements(app_engine) as cold:
            assert client.get(f"/networks/{network_id}?year={YEAR}").status_code == 200
        with f.count_statements(app_engine) as warm:
            client.get(f"/networks/{network_id}?year={YEAR}")
        counts.append((len(cold), len(warm)))
    assert counts[0] == counts[1], counts
    assert counts[0][1] < counts[0][0]


def test_a_change_of_a_shared_plan_shows_at_once(app, world, session):
    client = signed_in(app, world.coordinator)
    before = rollup(app, world)
    client.get(f"/networks/{world.network}?year={YEAR}")
    alpha = signed_in(app, world.admins["Alpha"])
    entry = {"spent_on": f"{YEAR}-06-06", "hours": "2", "target": "management", "note": "", "version": "1"}
    assert alpha.post(f"/plans/{world.plans['Alpha']}/hours/new", data=entry).status_code in (302, 303)
    after = rollup(app, world)
    assert after["totals"]["hours"]["logged"] == pytest.approx(before["totals"]["hours"]["logged"] + 2)
    page = client.get(f"/networks/{world.network}?year={YEAR}").get_data(as_text=True)
    logged = row_of(after, "Alpha Council")["hours"]["logged"]
    assert shown(logged) in page


def test_bad_years_are_refused_with_the_field_named(app, world):
    client = signed_in(app, world.coordinator)
    response = client.get(f"/networks/{world.network}?year=abc")
    assert response.status_code == 400 and "year" in response.get_data(as_text=True)
    assert (
        app.test_client()
        .get(f"/api/v1/networks/{world.network}/rollup?year=99999", headers=bearer(world.coordinator_token))
        .status_code
        == 400
    )


def test_actions_not_updated_in_90_days_are_counted(app, world, session):
    """The actions were created "now"; as of a day 91 days later none has changed."""
    answer_page = signed_in(app, world.coordinator).get(f"/networks/{world.network}?year={YEAR}")
    assert answer_page.status_code == 200
    # Age every action of Alpha's plan by 100 days: its three open, not completed actions count.
    from tracker.plans.models import Action

    session.execute(
        sa.update(Action)
        .where(Action.plan_id == world.plans["Alpha"])
        .values(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    )
    from tracker.history.models import HistoryEntry

    session.execute(
        sa.delete(HistoryEntry).where(
            HistoryEntry.plan_id == world.plans["Alpha"], HistoryEntry.entity == "action"
        )
    )
    session.execute(
        sa.update(Plan).where(Plan.id == world.plans["Alpha"]).values(data_version=Plan.data_version + 1)
    )
    session.commit()
    with app.app_context():
        cache.clear()
    page = (
        signed_in(app, world.admins["Alpha"])
        .get(f"/plans/{world.plans['Alpha']}/dashboard?year={YEAR}")
        .get_data(as_text=True)
    )
    assert "3 actions not updated for 90 days or more" in page


def test_a_coordinator_adds_a_member_and_its_first_admin(app, world, session):
    client = signed_in(app, world.coordinator)
    body = {
        "name": "Echo Council",
        "country": "Ghana",
        "region": "West and Central Africa",
        "admin_name": "Echo Admin",
        "admin_email": "admin@echo.test",
        "admin_password": "a long and quiet password by the river",
    }
    # Bad input: the field named, nothing written.
    for field, label, value, message in (
        ("region", "Region", "Atlantis", "is not a region"),
        ("admin_email", "Admin's email", "not-an-email", "is not an email address"),
        ("admin_password", "First password (12 characters or more)", "short", "at least"),
        ("name", "Organisation's name", "Alpha Council", "already called"),
    ):
        response = client.post(f"/networks/{world.network}/members", data={**body, field: value})
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 422, field
        assert f"{label}: " in page and message in page, field
        assert "a long and quiet password" not in page
        session.rollback()
        assert session.scalar(sa.select(Organisation).where(Organisation.name == "Echo Council")) is None
    response = client.post(f"/networks/{world.network}/members", data=body)
    assert response.status_code == 303
    echo = app.test_client()
    assert (
        echo.post(
            "/signin", data={"email": "admin@echo.test", "password": body["admin_password"]}
        ).status_code
        == 302
    )
    assert "Echo Council" in echo.get(f"/networks/{world.network}").get_data(as_text=True)
    # A member's people, and the coordinator of another network, cannot add members.
    alpha = signed_in(app, world.admins["Alpha"])
    assert alpha.post(f"/networks/{world.network}/members", data=body).status_code == 403
