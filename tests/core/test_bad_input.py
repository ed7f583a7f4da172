"""Hostile input answers a 4xx naming what is wrong, or a 404: never a 500."""

import json
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tracker.plans.models import Action, Pillar

HUGE_IDS = {
    "2^63": str(2**63),
    "2^31 (PostgreSQL's integer)": str(2**31),
    "5,000 digits": "9" * 5000,
    "a superscript two": "²",
    "an Arabic-Indic three": "\u0663",
}


def int_routes(app):
    """Each route with an ``<int:...>`` part, with the methods it answers."""
    for rule in app.url_map.iter_rules():
        if any(type(converter).__name__ == "IdConverter" for converter in rule._converters.values()):
            yield rule


def url_with(rule, value: str) -> str:
    """The rule's URL with ``value`` in every ``<int:...>`` part (and "x" in the others)."""
    url = rule.rule
    for name in rule.arguments:
        url = url.replace(f"<int:{name}>", value).replace(f"<{name}>", "x")
    return url


@pytest.mark.parametrize("value", HUGE_IDS.values(), ids=list(HUGE_IDS))
def test_ids_no_column_holds_are_404_on_every_int_route(app, client, auth, users, value):
    auth.login(users["admin"])
    checked = 0
    for rule in int_routes(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = url_with(rule, value)
            response = client.open(url, method=method, headers={"Accept": "text/html"})
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked >= 40


def test_the_largest_id_a_column_holds_is_an_ordinary_404(client, auth, users):
    auth.login(users["admin"])
    assert client.get(f"/plans/{2**31 - 1}").status_code == 404
    assert client.get(f"/api/v1/actions/{2**31 - 1}/history").status_code == 404


def query_cases(iclei):
    plan = f"/plans/{iclei}"
    cases = {}
    for label, bad in {"superscript": "²", "5,000 digits": "9" * 5000, "full width": "２０２５"}.items():
        cases[f"year, {label}, actions"] = (f"{plan}/actions?year={bad}", 400, "year:")
        cases[f"year, {label}, dashboard"] = (f"{plan}/dashboard?year={bad}", 400, "year:")
        cases[f"year, {label}, API hours"] = (f"/api/v1/plans/{iclei}/hours?year={bad}", 400, "year")
        cases[f"pillar, {label}"] = (f"{plan}/actions?pillar={bad}", 400, "pillar:")
        cases[f"page, {label}"] = (f"/admin/security?page={bad}", 400, "page:")
    return cases


QUERY_LABELS = list(query_cases(1))


@pytest.mark.parametrize("case", QUERY_LABELS)
def test_bad_numbers_in_the_query_are_a_400_naming_the_parameter(client, auth, users, iclei, case):
    auth.login(users["admin"])
    url, status, named = query_cases(iclei)[case]
    response = client.get(url)
    assert response.status_code == status, response.status_code
    assert named in response.get_data(as_text=True)


def test_a_good_pillar_filter_still_works(client, auth, users, session, iclei):
    auth.login(users["admin"])
    pillar = session.scalar(sa.select(Pillar).where(Pillar.plan_id == iclei, Pillar.position == 1))
    assert client.get(f"/plans/{iclei}/actions?pillar={pillar.id}&year=2025").status_code == 200


@pytest.fixture
def api_editor(client, auth, users):
    auth.login(users["editor"])
    return client


def test_a_lone_surrogate_in_a_json_note_is_a_422_naming_the_field(api_editor, session, iclei):
    gep = session.scalar(sa.select(Action).where(Action.plan_id == iclei, Action.code == "3.1.1"))
    body = '{"status": "completed", "note": "Adopted \\ud800", "version": ' + str(gep.version) + "}"
    response = api_editor.post(f"/api/v1/actions/{gep.id}/status", data=body, content_type="application/json")
    assert response.status_code == 422 and "note" in response.json["errors"]
    hours = api_editor.post(
        f"/api/v1/plans/{iclei}/management-hours",
        data='{"date": "2025-03-14", "hours": 1, "note": "\\udfff"}',
        content_type="application/json",
    )
    assert hours.status_code == 422 and "note" in hours.json["errors"]
    session.expire_all()
    assert session.get(Action, gep.id).version == gep.version


def test_json_nested_ten_thousand_deep_is_a_400(api_editor, session, iclei):
    gep = session.scalar(sa.select(Action).where(Action.plan_id == iclei, Action.code == "3.1.1"))
    deep = '{"status": "completed", "note": ' + "[" * 10_000 + "]" * 10_000 + "}"
    response = api_editor.post(f"/api/v1/actions/{gep.id}/status", data=deep, content_type="application/json")
    assert response.status_code == 400 and "body" in json.dumps(response.json)


@pytest.mark.parametrize(
    "target",
    ["/plans\r\nSet-Cookie: x=1", "/plans\n", "/plans\x00", "/plans\x7f", "/plans\u0085"],
    ids=["CRLF", "LF", "NUL", "DEL", "NEL"],
)
def test_next_with_a_control_character_signs_in_and_goes_home(client, users, target):
    response = client.post(
        f"/signin?next={quote(target)}", data={"email": users["viewer"], "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "\n" not in response.location and "Set-Cookie" not in response.location
    assert "plans" not in response.location  # the unsafe target is dropped, not followed
    assert client.get("/plans").status_code == 200
