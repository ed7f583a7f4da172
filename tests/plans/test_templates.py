"""Starting a plan from a template: the shipped ones, uploaded ones, and every kind of bad file."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from tracker.cli.seeding import read_seed
from tracker.history.models import HistoryEntry
from tracker.plans.models import Pillar, Plan, PlanTemplate
from tracker.plans.plan_templates import (
    MAX_TEMPLATE_BYTES,
    TEMPLATES_DIR,
    TemplateInvalid,
    read_template,
    shipped_templates,
)

CIB_SECTIONS = [
    "Getting Started",
    "Measuring Gaps and Defining the Way Forward",
    "Governance and Staff",
    "Internal Operations",
    "Going Further",
]
OURS = {
    "name": "Bonn LGA: three pillars",
    "description": "What our board agreed in 2025.",
    "pillars": [
        {"name": "Leadership", "guidance": "Win the board's commitment."},
        {"name": "Staff", "guidance": "Recruit and train with gender in mind."},
        {"name": "Services", "guidance": "Bring gender equality into what we offer members."},
    ],
}


def as_file(content, name="template.json") -> dict:
    data = content if isinstance(content, bytes) else json.dumps(content).encode("utf-8")
    return {"template": (io.BytesIO(data), name)}


def upload(client, content, name="template.json"):
    return client.post(
        "/admin/plans/templates", data=as_file(content, name), content_type="multipart/form-data"
    )


def new_plan(client, template: str, title="Our new plan"):
    return client.post(
        "/admin/plans", data={"title": title, "start_year": "2026", "end_year": "2029", "template": template}
    )


def pillars_of(session, title: str) -> list[tuple[str, str]]:
    plan = session.scalar(sa.select(Plan).where(Plan.title == title))
    rows = session.scalars(sa.select(Pillar).where(Pillar.plan_id == plan.id).order_by(Pillar.position))
    return [(pillar.name, pillar.guidance) for pillar in rows]


def test_the_shipped_templates_are_the_iclei_pillars_and_the_cib_sections():
    templates = {template.key: template for template in shipped_templates()}
    assert set(templates) == {"iclei-four-pillars", "cib-toolkit"}
    assert [p.name for p in templates["cib-toolkit"].pillars] == CIB_SECTIONS
    # The ICLEI template names the pillars the seeded ICLEI plan has, in its order.
    seeded = sorted(read_seed(TEMPLATES_DIR.parent / "iclei.toml")["pillars"], key=lambda p: p["position"])
    assert [p.name for p in templates["iclei-four-pillars"].pillars] == [p["name"] for p in seeded]
    for template in templates.values():
        assert all(10 <= len(pillar.guidance) <= 300 for pillar in template.pillars), template.key


def test_a_plan_starts_with_the_cib_sections_and_their_guidance(app, client, auth, users, session):
    auth.login(users["admin"])
    form = client.get("/admin/plans").get_data(as_text=True)
    assert "CIB Gender Mainstreaming Toolkit: five sections (5 pillars)" in form
    assert "ICLEI Gender Mainstreaming Action Plan: four pillars (4 pillars)" in form

    response = new_plan(client, "cib-toolkit")
    assert response.status_code == 303
    pillars = pillars_of(session, "Our new plan")
    assert [name for name, _ in pillars] == CIB_SECTIONS
    assert pillars[1][1].startswith("Assess current practices to find the gaps")

    plan_page = client.get(response.headers["Location"].replace("/admin/plans/", "/plans/"))
    text = plan_page.get_data(as_text=True)
    assert "2 Measuring Gaps and Defining the Way Forward" in text
    assert "Assess current practices to find the gaps" in text


def test_an_empty_plan_is_still_the_default(client, auth, users, session):
    auth.login(users["admin"])
    assert new_plan(client, "").status_code == 303
    assert pillars_of(session, "Our new plan") == []


def test_a_template_not_offered_is_refused_naming_the_field(client, auth, users, session):
    auth.login(users["admin"])
    response = new_plan(client, "../iclei")
    assert response.status_code == 422
    assert "template: &#39;../iclei&#39; is not one of the templates offered" in response.get_data(
        as_text=True
    )
    assert session.scalar(sa.select(Plan).where(Plan.title == "Our new plan")) is None


def test_an_uploaded_template_is_offered_to_its_organisation_only(app, client, auth, users, session):
    auth.login(users["admin"])
    response = upload(client, OURS)
    assert response.status_code == 303
    listing = client.get("/admin/plans/templates").get_data(as_text=True)
    assert "Bonn LGA: three pillars" in listing and "Added by your organisation" in listing
    key = f"upload-{session.scalar(sa.select(PlanTemplate.id))}"
    assert new_plan(client, key).status_code == 303
    assert pillars_of(session, "Our new plan") == [(p["name"], p["guidance"]) for p in OURS["pillars"]]

    # Another organisation's admin neither sees it nor can start from it.
    auth.logout()
    auth.login(users["other_admin"])
    assert "Bonn LGA" not in client.get("/admin/plans/templates").get_data(as_text=True)
    assert "Bonn LGA" not in client.get("/admin/plans").get_data(as_text=True)
    refused = new_plan(client, key, title="Their plan")
    assert refused.status_code == 422
    assert session.scalar(sa.select(Plan).where(Plan.title == "Their plan")) is None


def test_only_admins_reach_the_templates(client, auth, users):
    auth.login(users["editor"])
    assert client.get("/admin/plans/templates").status_code == 403
    assert upload(client, OURS).status_code == 403


def _with(**changes) -> dict:
    return {**OURS, **changes}


BAD_FILES = [
    pytest.param(b"{not json", "file: not valid JSON (line 1, column 2", id="not-json"),
    pytest.param("{}".encode("utf-16"), "file: not UTF-8 text", id="not-utf8"),
    pytest.param(b"[1, 2]", "file: must hold one JSON object", id="a-list"),
    pytest.param(b"x" * (MAX_TEMPLATE_BYTES + 1), "file: larger than 100 KB", id="too-large"),
    pytest.param(_with(name=""), "field &#39;name&#39;: must not be empty", id="no-name"),
    pytest.param(
        _with(pillars=[]), "field &#39;pillars&#39;: must be a list of at least one pillar", id="no-pillars"
    ),
    pytest.param(
        _with(pillars=[{"name": "Leadership"}]),
        "pillar 1: field &#39;guidance&#39;: must not be empty",
        id="no-guidance",
    ),
    pytest.param(
        _with(pillars=[{"name": "Staff", "guidance": "a"}, {"name": "staff", "guidance": "b"}]),
        "pillar 2: field &#39;name&#39;: staff is also the name of pillar 1",
        id="same-name-twice",
    ),
    pytest.param(
        _with(pilars=[]),
        "field &#39;pilars&#39; is not a template field (allowed: name, description, source, pillars)",
        id="unknown-field",
    ),
    pytest.param(
        _with(pillars=[{"name": "Staff", "guidance": 42}]),
        "pillar 1: field &#39;guidance&#39;: must be text",
        id="guidance-not-text",
    ),
    pytest.param(
        _with(pillars=[{"name": "x" * 201, "guidance": "a"}]),
        "pillar 1: field &#39;name&#39;: must be at most 200 characters (it has 201)",
        id="name-too-long",
    ),
    pytest.param(
        _with(name="CIB Gender Mainstreaming Toolkit: five sections"),
        "field &#39;name&#39;: there is already a template called CIB",
        id="name-taken",
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_a_bad_template_file_is_refused_naming_what_is_wrong(client, auth, users, session, content, message):
    auth.login(users["admin"])
    response = upload(client, content)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Nothing was added" in text
    assert message in text
    assert session.scalar(sa.select(sa.func.count()).select_from(PlanTemplate)) == 0


def test_an_upload_without_a_file_is_refused(client, auth, users):
    auth.login(users["admin"])
    response = client.post("/admin/plans/templates", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "file: choose a template file (.json) to upload" in response.get_data(as_text=True)


def test_every_problem_of_a_file_is_listed_at_once():
    bad = _with(name=" ", extra=1, pillars=[{"name": "", "guidance": ""}, "Staff"])
    with pytest.raises(TemplateInvalid) as refused:
        read_template(json.dumps(bad).encode(), key="x")
    assert refused.value.problems == [
        "field 'extra' is not a template field (allowed: name, description, source, pillars)",
        "field 'name': must not be empty",
        "pillar 1: field 'name': must not be empty",
        "pillar 1: field 'guidance': must not be empty",
        "pillar 2: must be an object with the fields name and guidance",
    ]


def test_a_pillars_guidance_is_edited_and_recorded(client, auth, users, session):
    auth.login(users["admin"])
    new_plan(client, "iclei-four-pillars")
    plan = session.scalar(sa.select(Plan).where(Plan.title == "Our new plan"))
    pillar = session.scalar(sa.select(Pillar).where(Pillar.plan_id == plan.id, Pillar.position == 2))
    response = client.post(
        f"/admin/plans/{plan.id}/pillars/{pillar.id}",
        data={"name": pillar.name, "guidance": "Tell staff first.", "version": pillar.version},
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Pillar, pillar.id).guidance == "Tell staff first."
    recorded = session.scalar(
        sa.select(HistoryEntry).where(
            HistoryEntry.entity == "pillar",
            HistoryEntry.entity_id == pillar.id,
            HistoryEntry.field == "guidance",
        )
    )
    assert json.loads(recorded.after) == "Tell staff first."

    too_long = client.post(
        f"/admin/plans/{plan.id}/pillars/{pillar.id}",
        data={"name": pillar.name, "guidance": "x" * 2001, "version": pillar.version + 1},
    )
    assert too_long.status_code == 422
    assert "Guidance of pillar 2: must be at most 2,000 characters" in too_long.get_data(as_text=True)
