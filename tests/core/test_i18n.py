"""English, French and Spanish: the language a person reads, figures in that language, a JSON API
that stays English, and pages ready for a right-to-left language."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import PASSWORD, make_app
from tracker.accounts.models import Organisation, User
from tracker.core.formatting import format_date, format_hours, format_percent

ROOT = Path(__file__).resolve().parents[2]
CSS = sorted((ROOT / "tracker" / "static" / "css").glob("*.css"))


def lang_and_dir(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', html)
    assert match, "the page has no <html lang dir>"
    return match[1], match[2]


@pytest.mark.parametrize(
    ("language", "hours", "percent", "day"),
    [
        ("en", "1,234.5 h", "68.3 %", "25 Nov 2026"),
        ("fr", "1\u202f234,5 h", "68,3 %", "25 nov. 2026"),
        ("es", "1.234,5 h", "68,3 %", "25 nov 2026"),
    ],
)
def test_figures_and_dates_are_written_as_the_language_writes_them(app, language, hours, percent, day):
    from datetime import date

    with app.test_request_context(), force_locale(language):
        assert format_hours(Decimal("1234.5")) == hours
        assert format_percent(Decimal("68.3")) == percent
        assert format_date(date(2026, 11, 25)) == day


def test_the_language_comes_from_the_profile_then_the_browser_then_the_organisation(
    app, client, auth, users, session
):
    viewer = session.scalar(sa.select(User).where(User.email == users["viewer"]))
    organisation = session.get(Organisation, viewer.organisation_id)
    auth.login(users["viewer"])
    # Nothing chosen, no browser wish: English.
    assert lang_and_dir(client.get("/plans").get_data(as_text=True)) == ("en", "ltr")
    # The organisation's default.
    organisation.language = "es"
    session.commit()
    assert lang_and_dir(client.get("/plans").get_data(as_text=True))[0] == "es"
    # The browser's wish comes before the organisation's default.
    page = client.get("/plans", headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"})
    assert lang_and_dir(page.get_data(as_text=True))[0] == "fr"
    # The person's own choice, on their account page, comes first and is kept on their profile.
    account = client.get("/account/password").get_data(as_text=True)
    assert 'action="/language"' in account
    assert client.post("/language", data={"language": "es", "next": "/plans"}).location == "/plans"
    session.expire_all()
    assert session.get(User, viewer.id).language == "es"
    page = client.get("/plans", headers={"Accept-Language": "fr"})
    assert lang_and_dir(page.get_data(as_text=True))[0] == "es"


def test_the_sign_in_page_has_the_switcher_and_remembers_the_choice_before_signing_in(client):
    page = client.get("/signin").get_data(as_text=True)
    assert 'action="/language"' in page and 'name="language"' in page
    for code, name in (("en", "English"), ("fr", "français"), ("es", "español")):
        assert f'value="{code}"' in page and name in page
    response = client.post("/language", data={"language": "fr", "next": "/signin"})
    assert response.status_code == 303 and response.location == "/signin"
    assert lang_and_dir(client.get("/signin").get_data(as_text=True))[0] == "fr"
    # A language not offered, and a way off the site, change nothing.
    client.post("/language", data={"language": "xx", "next": "https://example.org/"})
    assert lang_and_dir(client.get("/signin").get_data(as_text=True))[0] == "fr"
    assert client.post("/language", data={"language": "es", "next": "//example.org"}).location == "/"


def test_the_json_api_keeps_english_keys_and_status_values_in_every_language(client, auth, users, iclei):
    auth.login(users["viewer"])
    answers = {}
    for language in ("en", "fr", "es"):
        client.post("/language", data={"language": language, "next": "/"})
        response = client.get(f"/api/v1/plans/{iclei}/actions", headers={"Accept-Language": language})
        assert response.status_code == 200 and response.is_json
        answers[language] = response.get_json()
    assert answers["fr"] == answers["en"] == answers["es"]
    actions = answers["en"] if isinstance(answers["en"], list) else answers["en"]["actions"]
    assert {"code", "title", "status"} <= set(actions[0])
    assert {action["status"] for action in actions} <= {"completed", "ongoing", "upcoming"}


@pytest.fixture
def rtl_app(database_url, tmp_path):
    """The app with a right-to-left language offered, as only the tests do: Hebrew, whose
    catalogue is empty (the pages stay English, laid out right to left)."""
    return make_app(database_url, tmp_path, LANGUAGES=["en", "fr", "es", "he"])


def test_pages_under_a_right_to_left_language_say_dir_rtl(app, rtl_app, iclei, users):
    client = rtl_app.test_client()
    hebrew = {"Accept-Language": "he"}
    assert lang_and_dir(client.get("/signin", headers=hebrew).get_data(as_text=True)) == ("he", "rtl")
    client.post("/signin", data={"email": users["viewer"], "password": PASSWORD})
    for url in (
        "/plans",
        f"/plans/{iclei}",
        f"/plans/{iclei}/actions",
        f"/plans/{iclei}/dashboard?year=2025",
    ):
        response = client.get(url, headers=hebrew)
        assert response.status_code == 200, url
        assert lang_and_dir(response.get_data(as_text=True)) == ("he", "rtl"), url
    page = client.get("/plans").get_data(as_text=True)
    assert lang_and_dir(page)[1] == "ltr", lang_and_dir(page)


# A physical direction in a property (margin-left, border-right-width, left:, float: right,
# text-align: left) or a forced direction: each keeps a right-to-left page laid out left to right.
PHYSICAL = re.compile(
    r"(?<![\w-])(?:(?:margin|padding|border|inset|scroll-margin|scroll-padding)-(?:left|right)[\w-]*"
    r"|left|right)\s*:"
    r"|(?:float|clear|text-align|caption-side)\s*:\s*(?:left|right)\b"
    r"|direction\s*:\s*ltr"
    r"|unicode-bidi\s*:\s*bidi-override",
    re.I,
)
# A four-value margin or padding whose left and right differ is physical too.
FOUR_VALUES = re.compile(
    r"(?<![\w-])(margin|padding)\s*:\s*([^\s;{}]+)\s+([^\s;{}]+)\s+([^\s;{}]+)\s+([^\s;{}]+)\s*[;}]"
)


@pytest.mark.parametrize("path", CSS, ids=lambda path: path.name)
def test_no_style_rule_forces_left_to_right(path):
    css = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    found = [match.group(0) for match in PHYSICAL.finditer(css)]
    found += [m.group(0) for m in FOUR_VALUES.finditer(css) if m[3] != m[5]]
    assert found == [], f"{path.name}: use logical properties (margin-inline-start, text-align: start)"


def test_the_css_check_finds_what_it_looks_for():
    assert PHYSICAL.search(".a { margin-left: 1rem }") and PHYSICAL.search(".a{left:0}")
    assert PHYSICAL.search(".a { text-align: right; }") and PHYSICAL.search("p { direction: ltr }")
    assert not PHYSICAL.search(".a { margin-inline-start: 1rem; text-align: end; inset-inline-start: 0 }")
    assert [m[0] for m in FOUR_VALUES.finditer(".a { margin: 0 0 .25rem 1rem; }") if m[3] != m[5]]
