"""The catalogues are complete, and no English word of the interface is left on a French or
Spanish page.

These tests read the catalogues in tracker/translations as they are: they fail until the French
and Spanish catalogues are there and complete (README.md, "Translators' guide").
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import PASSWORD
from tests.core.test_permissions import PERSONAS, routes, samples  # noqa: F401 (a fixture)
from tracker.core.extensions import db
from tracker.core.permissions import Need, required
from tracker.plans.plan_templates import shipped_templates
from tracker.schema import Base

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "tracker" / "translations"
TRANSLATED = ("fr", "es")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
METHODS = [("tracker/**.py", "python"), ("templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted() -> dict[str, str | tuple]:
    """Every message of the code and the templates, by its id, as ``make messages`` finds them."""
    found = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, strip_comment_tags=True
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found[key] = message
    return found


def catalogue(language: str):
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: pybabel init (README.md, Translators' guide)"
    with path.open("rb") as source:
        return read_po(source, locale=language)


def test_the_template_holds_every_message_of_the_code_and_templates():
    with (TRANSLATIONS / "messages.pot").open("rb") as source:
        template = {
            message.id if isinstance(message.id, str) else message.id[0] for message in read_po(source)
        }
    missing = sorted(set(extracted()) - template)
    assert missing == [], f"run make messages: {len(missing)} messages are not in messages.pot, {missing[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_has_a_translation_and_none_is_fuzzy(language):
    translations = catalogue(language)
    problems = []
    for key, message in extracted().items():
        entry = translations.get(key)
        if entry is None:
            problems.append(f"missing: {key!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            problems.append(f"untranslated: {key!r}")
        if entry.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        wanted = set(PLACEHOLDER.findall(key if isinstance(message, str) else message[1]))
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) - wanted - {"num"}:
                problems.append(f"placeholders differ: {key!r} -> {string!r}")
    assert problems == [], f"{language}: {len(problems)} problems, the first: {problems[:10]}"


# Words of the English interface that are not also French or Spanish words.
ENGLISH = [
    "Dashboard",
    "Sign out",
    "Sign in",
    "Save",
    "Cancel",
    "Year",
    "hours",
    "Hours",
    "Logged",
    "Planned",
    "Allocated",
    "Remaining",
    "Pillar",
    "Status",
    "completed",
    "ongoing",
    "upcoming",
    "late",
    "Edit",
    "Delete",
    "Back",
    "Download",
    "History",
    "Users",
    "Password",
    "Report",
    "Network",
    "Rounds",
    "Title",
    "Manage",
    "Choose",
    "changed",
    "since",
    "the",
    "and",
    "with",
]
# "Plans" is also French.
ENGLISH_FOR = {"fr": ENGLISH, "es": [*ENGLISH, "Plans", "Actions"]}
SKIPPED = ("/api/", "/static/", "/healthz", "/language", "/signout")


TECHNICAL = re.compile(r"hash|token|uid|nonce|secret|sha256|checksum|language|kind|entity|field|^email$")


def user_content() -> list[str]:
    """Every text people typed (or the seed loaded): titles, names, notes, texts. They stay as
    typed, so the scan takes them out of the page first."""
    values = set()
    for table in Base.metadata.sorted_tables:
        columns = [
            c
            for c in table.columns
            if isinstance(c.type, sa.String | sa.Text)
            and not isinstance(c.type, sa.Enum)  # a status or a role is an interface word
            and not TECHNICAL.search(c.name)
        ]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            for value in row:
                if isinstance(value, str) and len(value.strip()) > 2:
                    values.add(" ".join(value.split()))
    # The shipped plan templates are content too (their names, descriptions and pillars).
    for template in shipped_templates():
        for value in (template.name, template.description, template.source):
            values.add(" ".join(value.split()))
        for pillar in template.pillars:
            values.update({" ".join(pillar.name.split()), " ".join(pillar.guidance.split())})
    return sorted((value for value in values if len(value) > 2), key=len, reverse=True)


def interface_text(response, content: list[str]) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    text = " ".join(text.split())
    for value in content:
        if value in text:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    return text


@pytest.mark.backend("sqlite")
@pytest.mark.parametrize("language", TRANSLATED)
def test_no_english_interface_word_on_any_page_of_the_role_matrix(app, users, samples, language):  # noqa: F811
    users = {**users, "coordinator": samples["coordinator"]}
    with app.app_context():
        content = user_content()
    found = []
    pages = 0
    for persona in PERSONAS:
        client = app.test_client()
        client.post("/language", data={"language": language, "next": "/"})
        if persona != "anonymous":
            client.post("/signin", data={"email": users[persona], "password": PASSWORD})
        for rule, method in routes(app):
            if method != "GET" or rule.rule.startswith(SKIPPED):
                continue
            need = required(app, rule.endpoint)
            if persona == "anonymous" and need is not Need.PUBLIC:
                continue
            values = {name: samples[name] for name in rule.arguments if name in samples}
            if set(rule.arguments) - set(values):
                continue
            url = rule.build(values, append_unknown=False)[1]
            response = client.get(url, headers={"Accept-Language": language})
            kind = response.mimetype
            if response.status_code != 200 or kind not in ("text/html", "image/svg+xml"):
                continue
            pages += 1
            text = interface_text(response, content)
            for word in ENGLISH_FOR[language]:
                # Not a path or an endpoint name (/plans/1/hours/new, hours.new) of the security log.
                if re.search(rf"(?<![\w./-]){re.escape(word)}(?![\w/-]|\.\w)", text):
                    at = text.index(word) if word in text else 0
                    found.append(f"{persona} {url}: {word!r} in …{text[max(0, at - 40) : at + 40]}…")
    assert pages >= 40
    assert found == [], f"{language}: {len(found)} English words, the first: " + "\n".join(found[:15])
