"""The network commands, and their refusals: the field named, nothing written."""

from __future__ import annotations

import sqlalchemy as sa

from tracker.accounts.models import Membership, Network, Organisation, SecurityEvent, SecurityEventKind, User
from tracker.plans.models import Plan, Sharing

PASSWORD = "a long and quiet password by the river"


def counts(session) -> tuple[int, ...]:
    session.rollback()
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Network, Membership, Organisation, User, SecurityEvent)
    )


def test_a_network_its_members_and_its_coordinator_from_the_command_line(
    app, runner, session, iclei, monkeypatch
):
    monkeypatch.setenv("TRACKER_PASSWORD", PASSWORD)
    result = runner.invoke(args=["network", "create", "UCLG CIB Working Group"])
    assert result.exit_code == 0 and "Created network UCLG CIB Working Group" in result.output
    result = runner.invoke(
        args=[
            "organisation",
            "create",
            "Federación de Municipios",
            "--country",
            "Guatemala",
            "--region",
            "Latin America",
            "--network",
            "UCLG CIB Working Group",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "in Guatemala, Latin America, a member of UCLG CIB Working Group" in result.output
    result = runner.invoke(args=["network", "add", "UCLG CIB Working Group", "ICLEI European Secretariat"])
    assert result.exit_code == 0 and "Added ICLEI European Secretariat" in result.output
    again = runner.invoke(args=["network", "add", "UCLG CIB Working Group", "ICLEI European Secretariat"])
    assert again.exit_code == 0 and "already belongs" in again.output
    # ICLEI may belong to a second network.
    runner.invoke(args=["network", "create", "ICLD municipalities"])
    assert (
        runner.invoke(args=["network", "add", "ICLD municipalities", "ICLEI European Secretariat"]).exit_code
        == 0
    )
    result = runner.invoke(
        args=[
            "user",
            "create",
            "coord@cib.test",
            "--name",
            "Cora",
            "--role",
            "coordinator",
            "--network",
            "UCLG CIB Working Group",
        ]
    )
    assert (
        result.exit_code == 0
        and "Created coordinator coord@cib.test in UCLG CIB Working Group" in result.output
    )
    coordinator = session.scalar(sa.select(User).where(User.email == "coord@cib.test"))
    assert coordinator.organisation_id is None and coordinator.network.name == "UCLG CIB Working Group"
    iclei_org = session.scalar(
        sa.select(Organisation).where(Organisation.name == "ICLEI European Secretariat")
    )
    assert {m.network.name for m in iclei_org.memberships} == {
        "UCLG CIB Working Group",
        "ICLD municipalities",
    }
    client = app.test_client()
    client.post("/signin", data={"email": "coord@cib.test", "password": PASSWORD})
    assert [n["name"] for n in client.get("/api/v1/networks").get_json()] == ["UCLG CIB Working Group"]


def test_bad_input_names_the_field_and_writes_nothing(app, runner, session, iclei, monkeypatch):
    monkeypatch.setenv("TRACKER_PASSWORD", PASSWORD)
    runner.invoke(args=["network", "create", "CIB"])
    before = counts(session)
    cases = [
        (
            ["organisation", "create", "Town", "--country", "Chile", "--region", "Mars"],
            "region: 'Mars' is not a region",
        ),
        (
            [
                "organisation",
                "create",
                "Town",
                "--country",
                "Chile",
                "--region",
                "Asia Pacific",
                "--network",
                "Nope",
            ],
            "network: no network is called 'Nope'",
        ),
        (
            ["user", "create", "c@cib.test", "--name", "C", "--role", "coordinator"],
            "network: is required for a coordinator",
        ),
        (
            ["user", "create", "c@cib.test", "--name", "C", "--role", "coordinator", "--network", "Nope"],
            "network: no network is called 'Nope'",
        ),
        (
            ["user", "create", "v@cib.test", "--name", "V", "--role", "viewer", "--network", "CIB"],
            "network: is only for coordinators",
        ),
        (["network", "create", "CIB"], "name: a network is already called 'CIB'"),
        (["network", "create", "  "], "name: must not be empty"),
        (["network", "add", "CIB", "Nowhere"], "organisation: no organisation is called 'Nowhere'"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code == 1, args
        assert message in result.output, (args, result.output)
        assert counts(session) == before, args


def test_plan_share_records_a_security_event_and_refuses_another_organisations_plan(
    app, runner, session, iclei
):
    session.add(Organisation(name="Other LGA", country="Kenya", region="East and Southern Africa"))
    session.commit()
    result = runner.invoke(args=["plan", "share", str(iclei), "public", "--organisation", "Other LGA"])
    assert result.exit_code == 1
    assert f"plan: plan {iclei} belongs to another organisation" in result.output
    session.rollback()
    assert session.get(Plan, iclei).sharing is Sharing.PRIVATE
    assert session.scalar(sa.select(sa.func.count(SecurityEvent.id))) == 0
    result = runner.invoke(
        args=["plan", "share", str(iclei), "public", "--organisation", "ICLEI European Secretariat"]
    )
    assert result.exit_code == 0 and "is now public" in result.output
    link = result.output.strip().splitlines()[-1].split(": ", 1)[1]
    assert app.test_client().get(link).status_code == 200
    assert (
        runner.invoke(args=["plan", "share", str(iclei), "public"])
        .output.strip()
        .endswith("is already public.")
    )
    assert runner.invoke(args=["plan", "share", str(iclei), "private"]).exit_code == 0
    assert app.test_client().get(link).status_code == 404
    session.expire_all()
    events = session.scalars(sa.select(SecurityEvent).order_by(SecurityEvent.id)).all()
    assert [(e.kind, e.detail.split(": ")[-1]) for e in events] == [
        (SecurityEventKind.PLAN_SHARING_CHANGED, "private -> public"),
        (SecurityEventKind.PLAN_SHARING_CHANGED, "public -> private"),
    ]
    assert {e.organisation_id for e in events} == {session.get(Plan, iclei).organisation_id}
    assert (
        runner.invoke(args=["plan", "share", "999999", "network"])
        .output.strip()
        .endswith("plan: there is no plan 999999")
    )
