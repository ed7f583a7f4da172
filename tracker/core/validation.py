"""Reading people's input: one parser per kind of value, used by the forms and the API alike.

Each parser takes what arrived (form text or a JSON value) and returns a clean value, or raises
:class:`Invalid` with a message naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from babel import numbers
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

MAX_TITLE = 300
MAX_TEXT = 20_000
MAX_HOURS_PER_ENTRY = Decimal(24)
MAX_PLANNED_HOURS = Decimal(100_000)
HUNDREDTH = Decimal("0.01")
# Beyond any real figure, and beyond what a BIGINT of hundredths holds comfortably.
LARGEST = Decimal(10) ** 12
# Years a plan, a budget or a report may be about: anything else is a typing mistake.
PLAUSIBLE_YEARS = range(1900, 2201)
# The largest id or version an INTEGER column holds (PostgreSQL's are 32-bit).
MAX_ID = 2**31 - 1


class Invalid(ValueError):
    """Input that cannot be accepted; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class Errors:
    """Collects every field's problem, so that a form shows them all at once."""

    def __init__(self):
        self.errors: dict[str, str] = {}

    def check(self, field: str, parse, *args, **kwargs):
        try:
            return parse(field, *args, **kwargs)
        except Invalid as error:
            self.errors.update(error.errors)
            return None

    def raise_any(self) -> None:
        if self.errors:
            raise Invalid(self.errors)


def _number(value) -> str:
    """A whole number with the language's grouping (``10,000`` in English, ``10 000`` in French)."""
    return format_decimal(value, format="#,##0")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def digits(value, *, most: int = 10) -> int | None:
    """``value`` as a whole number when it is written with ASCII digits only, at most ``most`` of
    them (spaces around are fine); else ``None``.

    ``"²".isdigit()`` is true in Python and ``int()`` reads "１２" and "1_0", and fails on 5,000
    digits: none of that is what a person typed as a number here.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value if len(str(abs(value))) <= most else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > most or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def text(field: str, value, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    """Free text: trimmed, at most ``limit`` characters, and not empty when ``required``.

    Control characters other than tabs and line breaks are removed: nobody types them, and
    PostgreSQL cannot store a NUL.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid({field: _("must be text")})
    if SURROGATE.search(value):
        # JSON may carry "\ud800": no text has it, and no database or page can store or show it.
        raise Invalid({field: _("holds a character that is not text (a lone UTF-16 surrogate)")})
    value = CONTROL.sub("", value).strip()
    if required and not value:
        raise Invalid({field: _("must not be empty")})
    if len(value) > limit:
        raise Invalid(
            {
                field: _(
                    "must be at most %(limit)s characters (it has %(length)s)",
                    limit=_number(limit),
                    length=_number(len(value)),
                )
            }
        )
    return value


def title(field: str, value) -> str:
    """A title: required, at most 300 characters."""
    return text(field, value, required=True, limit=MAX_TITLE)


# Typed numbers: ASCII digits with at most one decimal point or comma (``1.5``, ``1,5``, ``-5``).
TYPED_NUMBER = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]*)(?:(?P<separator>[.,])(?P<fraction>[0-9]*))?")
# One separator followed by exactly three digits reads as a thousands separator as well:
# ``1,500`` and ``1.500`` are ambiguous, so they are refused rather than guessed.
AMBIGUOUS = re.compile(r"[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}")
GROUPED = re.compile(r"[+-]?[1-9][0-9]{0,2}(?:[ .,'\u00a0\u202f][0-9]{3})+(?:[.,][0-9]+)?")


SPACES = " \u00a0\u202f"


def separators(locale=None) -> tuple[str, str]:
    """The decimal and the thousands separator of ``locale`` (the page's language by default):
    ``.`` and ``,`` in English, ``,`` and a narrow space in French, ``,`` and ``.`` in Spanish."""
    locale = locale or get_locale() or "en"
    return numbers.get_decimal_symbol(locale), numbers.get_group_symbol(locale)


def _grouped_in_language(typed: str, locale=None) -> Decimal | None:
    """``typed`` when it is written with the language's own thousands separator and decimal
    separator after it (``1,234.5`` in English, ``1.234,5`` in Spanish, ``1 234,5`` in French),
    or with several thousands separators (``1,234,567``), or with spaces as the language's
    thousands separator (``1 500`` in French): it then means one number. Else ``None``."""
    decimal_mark, group = separators(locale)
    groups = SPACES if group in SPACES else group
    pattern = re.compile(
        rf"(?P<sign>[+-]?)(?P<whole>[1-9][0-9]{{0,2}}(?:[{re.escape(groups)}][0-9]{{3}})+)"
        rf"(?:{re.escape(decimal_mark)}(?P<fraction>[0-9]+))?"
    )
    match = pattern.fullmatch(typed)
    if match is None:
        return None
    whole = re.sub(rf"[{re.escape(groups)}]", "", match["whole"])
    several = len(match["whole"]) - len(whole) > 1
    if match["fraction"] is None and not several and group not in SPACES:
        return None  # 1,500 in English could be someone's 1.5: refused as ambiguous below
    return Decimal(f"{match['sign']}{whole}.{match['fraction'] or '0'}")


def _typed_number(field: str, typed: str) -> Decimal:
    """Text a person typed, read only when it means one thing.

    The decimal separator is a point or a comma; thousands separators are read only as the
    page's language writes them, with a decimal part after them (:func:`_grouped_in_language`).
    Refused, each with what to type instead: a lone thousands separator (``1,500``, ``1.500``
    could each be 1.5), another language's grouping (``1.500,5`` in English), digits other than
    0-9 (full-width ``１２``), underscores (``1_0``) and anything else :class:`~decimal.Decimal`
    would read but a person would not write (``1e3``, ``NaN``).
    """
    shown = f"'{typed[:20]}'"
    if any(character.isdigit() and not "0" <= character <= "9" for character in typed):
        raise Invalid({field: _("%(typed)s: type the digits 0-9, such as 12 or 1.5", typed=shown)})
    grouped = _grouped_in_language(typed)
    if grouped is not None:
        return grouped
    if AMBIGUOUS.fullmatch(typed):
        sign = "-" if typed.startswith("-") else ""
        whole, fraction = re.split(r"[.,]", typed.lstrip("+-"))
        reading = Decimal(f"{whole}.{fraction}").normalize()
        readings = f"{sign}{whole}{fraction}"
        if reading == reading.quantize(HUNDREDTH):  # 1.500 could be 1.5; 12.345 cannot be 12.345
            readings = _("%(first)s or %(second)s", first=readings, second=f"{sign}{reading:f}")
        raise Invalid(
            {
                field: _(
                    "%(typed)s is ambiguous: write %(readings)s, without thousands separators",
                    typed=shown,
                    readings=readings,
                )
            }
        )
    if GROUPED.fullmatch(typed):
        plain = re.sub(r"[ .,'\u00a0\u202f](?=[0-9]{3}(?:[^0-9]|$))", "", typed).replace(",", ".")
        raise Invalid(
            {
                field: _(
                    "%(typed)s has a thousands separator: write %(plain)s without one",
                    typed=shown,
                    plain=plain,
                )
            }
        )
    match = TYPED_NUMBER.fullmatch(typed)
    if match is None or not (match["whole"] or match["fraction"]):
        raise Invalid(
            {
                field: _(
                    "%(typed)s is not a number: write digits with at most one decimal point or comma, "
                    "such as 12 or 1.5",
                    typed=shown,
                )
            }
        )
    return Decimal(f"{match['sign']}{match['whole'] or '0'}.{match['fraction'] or '0'}")


def decimal(field: str, value) -> Decimal:
    """A number with at most two decimals: a JSON number, or text a person typed (``1.5``, ``1,5``).

    Typed text is read by :func:`_typed_number`, which refuses what could mean two numbers.
    """
    if isinstance(value, bool) or _blank(value):
        raise Invalid({field: _("must be a number")})
    if isinstance(value, str):
        number = _typed_number(field, value.strip())
    else:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise Invalid({field: _("%(typed)s is not a number", typed=repr(str(value)[:20]))}) from None
    if not number.is_finite():
        raise Invalid({field: _("must be a number")})
    if abs(number) >= LARGEST:
        raise Invalid({field: _("is far too large")})
    if number != number.quantize(HUNDREDTH):
        raise Invalid({field: _("must have at most two decimals")})
    return number.quantize(HUNDREDTH)


def logged_hours(field: str, value) -> Decimal:
    """Hours of one time entry: more than 0, at most 24."""
    hours = decimal(field, value)
    if hours <= 0:
        raise Invalid({field: _("must be more than 0")})
    if hours > MAX_HOURS_PER_ENTRY:
        raise Invalid({field: _("must be at most 24 in one entry")})
    return hours


def planned_hours(field: str, value) -> Decimal:
    """A yearly budget: 0 or more, and not absurdly large."""
    hours = decimal(field, value)
    if hours < 0:
        raise Invalid({field: _("must be 0 or more")})
    if hours > MAX_PLANNED_HOURS:
        raise Invalid({field: _("must be at most %(most)s hours", most=_number(MAX_PLANNED_HOURS))})
    return hours


def money(field: str, value) -> Decimal | None:
    """An optional amount of money, 0 or more."""
    if _blank(value):
        return None
    amount = decimal(field, value)
    if amount < 0 or amount > Decimal(10) ** 11:
        raise Invalid({field: _("must be between %(least)s and %(most)s", least=0, most=_number(10**11))})
    return amount


def currency(field: str, value, amount: Decimal | None) -> str | None:
    """A three-letter currency code, required with an amount and refused without one."""
    code = text(field, value, limit=40).upper()
    if amount is None:
        if code:
            raise Invalid({field: _("give an amount with the currency, or leave both empty")})
        return None
    if len(code) != 3 or not code.isalpha():
        raise Invalid({field: _("must be a three-letter code such as EUR")})
    return code


def day(field: str, value, *, years: range, today: date) -> date:
    """A date that exists, within the plan's years, and not after today."""
    if isinstance(value, date):
        parsed = value
    else:
        if _blank(value) or not isinstance(value, str):
            raise Invalid({field: _("must be a date such as %(example)s", example="2025-03-14")})
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(
                {field: _("%(typed)s is not a date that exists (use YYYY-MM-DD)", typed=value.strip()[:20])}
            ) from None
    if parsed.year not in years:
        raise Invalid(
            {field: _("must be within the plan's period %(first)s-%(last)s", first=years[0], last=years[-1])}
        )
    if parsed > today:
        raise Invalid({field: _("must not be after today")})
    return parsed


def year(field: str, value, *, years: range | None = None, required: bool = True) -> int | None:
    """A year; within ``years`` when given."""
    if _blank(value):
        if required:
            raise Invalid({field: _("must be a year")})
        return None
    if isinstance(value, bool):
        raise Invalid({field: _("must be a year")})
    number = digits(value, most=6)
    if number is None:
        raise Invalid(
            {field: _("%(typed)s is not a year: type it with the digits 0-9", typed=str(value).strip()[:20])}
        )
    if years is not None and number not in years:
        raise Invalid(
            {field: _("must be within the plan's period %(first)s-%(last)s", first=years[0], last=years[-1])}
        )
    if number not in PLAUSIBLE_YEARS:
        raise Invalid({field: _("%(year)s is not a plausible year", year=number)})
    return number


def choice(field: str, value, enum_cls):
    """One of an enum's values."""
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_cls)
        raise Invalid({field: _("must be one of %(allowed)s", allowed=allowed)}) from None


def version(field: str, value) -> int:
    """The version of the record the person started from."""
    if _blank(value) or isinstance(value, bool):
        raise Invalid({field: _("is missing: reload the page and try again")})
    number = digits(value)
    if number is None or number > MAX_ID:
        raise Invalid({field: _("is not a version number: reload the page and try again")})
    return number


def boolean(field: str, value) -> bool:
    """true/false, 1/0, on/off."""
    if isinstance(value, bool):
        return value
    words = {
        "1": True,
        "true": True,
        "on": True,
        "yes": True,
        "0": False,
        "false": False,
        "off": False,
        "no": False,
        "": False,
    }
    key = str(value).strip().lower() if value is not None else ""
    if key not in words:
        raise Invalid({field: _("must be true or false")})
    return words[key]


def timeline(errors: Errors, start, end) -> tuple[int | None, int | None]:
    """A start year and an optional end year, the end not before the start."""
    start_year = errors.check("start_year", year, start)
    end_year = errors.check("end_year", year, end, required=False)
    if start_year and end_year and end_year < start_year:
        errors.errors["end_year"] = _(
            "%(end)s is before the start year %(start)s", end=end_year, start=start_year
        )
    return start_year, end_year


def ids(field: str, values: Iterable, *, most: int) -> list[int]:
    """A list of record ids, each once, at most ``most`` of them."""
    values = list(values)
    if len(values) > most:
        raise Invalid(
            {
                field: _(
                    "at most %(most)s may be chosen at once (%(sent)s were sent)",
                    most=_number(most),
                    sent=_number(len(values)),
                )
            }
        )
    chosen = []
    for value in values:
        number = digits(value)
        if number is None or not 1 <= number <= MAX_ID:
            raise Invalid({field: _("must be a list of ids")})
        chosen.append(number)
    return list(dict.fromkeys(chosen))


def iso_date(field: str, value) -> date:
    """A date that exists, written YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    if _blank(value) or not isinstance(value, str):
        raise Invalid({field: _("must be a date such as %(example)s", example="2025-12-31")})
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(
            {field: _("%(typed)s is not a date that exists (use YYYY-MM-DD)", typed=value.strip()[:20])}
        ) from None


def period_day(field: str, value) -> date:
    """A date that exists, written YYYY-MM-DD, in a plausible year (1900-2200)."""
    day = iso_date(field, value)
    if day.year not in PLAUSIBLE_YEARS:
        raise Invalid(
            {
                field: _(
                    "%(day)s is not a plausible date: the year must be between %(first)s and %(last)s",
                    day=day.isoformat(),
                    first=PLAUSIBLE_YEARS[0],
                    last=PLAUSIBLE_YEARS[-1],
                )
            }
        )
    return day


def count(field: str, value) -> int | None:
    """An optional whole number, 0 or more (how many people answered)."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise Invalid({field: _("must be a whole number")})
    typed = str(value).strip()
    negative = typed.startswith("-") and digits(typed[1:], most=12) is not None
    number = -1 if negative else digits(value, most=12)
    if number is None:
        raise Invalid(
            {field: _("%(typed)s is not a whole number: type it with the digits 0-9", typed=typed[:20])}
        )
    if not 0 <= number <= 10_000_000:
        raise Invalid({field: _("must be between %(least)s and %(most)s", least=0, most=_number(10_000_000))})
    return number


def percent(field: str, value) -> Decimal | None:
    """An optional percentage between 0 and 100."""
    if _blank(value):
        return None
    number = decimal(field, value)
    if not 0 <= number <= 100:
        raise Invalid({field: _("must be between %(least)s and %(most)s", least=0, most=100)})
    return number
