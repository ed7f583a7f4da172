"""Flask-Babel: every visible string goes through gettext; the language a person reads.

The language is, in order: the one the person chose on their account page (``User.language``),
else the one chosen with the switcher before signing in (kept in a cookie), else the best
of the browser's ``Accept-Language``, else their organisation's default
(``Organisation.language``), else English. The catalogues live in ``tracker/translations``
(README.md, "Translators' guide"); a language is offered once it is listed in ``LANGUAGES``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    current_app,
    has_app_context,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from tracker.core.extensions import babel, db
from tracker.core.permissions import Need, requires

LANGUAGES = ["en", "fr", "es"]
DEFAULT_LANGUAGE = "en"
# The choice made before signing in: a cookie, which outlives the session signing in renews.
COOKIE = "language"
COOKIE_DAYS = 365

bp = Blueprint("language", __name__)


def N_(message: str) -> str:  # noqa: N802 (the name gettext tools know)
    """Mark ``message`` for the catalogue without translating it: a key kept in English (a
    workbook's column title, a status word) that is translated where it is shown, ``_(key)``."""
    return message


# Words of enumerations the pages show as ``_(value)``: roles and plan sharing.
ENUM_WORDS = (
    N_("admin"),
    N_("editor"),
    N_("viewer"),
    N_("coordinator"),
    N_("private"),
    N_("network"),
    N_("public"),
)


def languages() -> list[str]:
    """The languages offered (the config may add one, as the tests add a right-to-left one)."""
    if has_app_context():
        return list(current_app.config.get("LANGUAGES") or LANGUAGES)
    return list(LANGUAGES)


def offered(code) -> str | None:
    """``code`` when it is one of the languages offered, else ``None``."""
    return code if isinstance(code, str) and code in languages() else None


def select_locale() -> str:
    """The language of this request (see the module's docstring); English outside a request."""
    if not has_request_context():
        return current_app.config.get("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    try:
        person = current_user if current_user and current_user.is_authenticated else None
    except sa.exc.SQLAlchemyError:
        # The database is away (the 503 page is being drawn): the person cannot be read, so
        # their profile cannot choose; the cookie and the browser still can.
        person = None
    chosen = offered(getattr(person, "language", None)) or offered(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    browser = request.accept_languages.best_match(languages())
    if browser:
        return browser
    organisation = getattr(person, "organisation", None)
    return offered(getattr(organisation, "language", None)) or DEFAULT_LANGUAGE


def language_names() -> list[tuple[str, str]]:
    """Each language offered with its own name (``français``), as the switcher lists them."""
    from babel import Locale

    names = []
    for code in languages():
        try:
            names.append((code, Locale.parse(code).get_display_name(code) or code))
        except (ValueError, LookupError):
            names.append((code, code))
    return names


def text_direction() -> str:
    """``rtl`` for a right-to-left language, else ``ltr``: the base template's ``dir``."""
    locale = get_locale()
    return getattr(locale, "text_direction", "ltr") if locale is not None else "ltr"


def readings(messages) -> dict[str, str]:
    """Each of ``messages`` as every language offered writes it (case-folded), to the message.

    How an import reads a workbook exported in any language: its sheet titles, column titles
    and status words are looked up here and read as the English keys the code knows.
    """
    found: dict[str, str] = {}
    for message in messages:
        found.setdefault(message.strip().casefold(), message)
    for code in languages():
        with force_locale(code):
            for message in messages:
                found.setdefault(_(message).strip().casefold(), message)
    return found


def _safe_next(target: str | None) -> str:
    """Back where the person was: a path on this site only."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("index") if "index" in current_app.view_functions else "/"


@bp.route("/language", methods=["GET", "POST"])
@requires(Need.PUBLIC)
def choose():
    """The switcher's form: keep the choice (on the profile when signed in) and go back."""
    values = request.form if request.method == "POST" else request.args
    code = offered(values.get("language"))
    if code is not None and current_user.is_authenticated and request.method == "POST":
        current_user.language = code
        db.session.commit()
    response = redirect(_safe_next(values.get("next")), code=303)
    if code is not None:
        response.set_cookie(
            COOKIE,
            code,
            max_age=COOKIE_DAYS * 24 * 3600,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=True,
            samesite="Lax",
        )
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Babel to ``app``; templates read ``get_locale``, ``text_direction`` and
    ``language_names``."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["text_direction"] = text_direction
    app.jinja_env.globals["language_names"] = language_names
    app.register_blueprint(bp)
