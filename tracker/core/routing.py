"""How URLs are read: an ``<int:...>`` id is a short ASCII number an INTEGER column can hold.

Werkzeug's own converter takes any number (an id of 2^63 overflows the database: a 500) and any
Unicode digit. Ours matches only ASCII numbers up to :data:`~tracker.core.validation.MAX_ID`, so
anything else is an unknown URL: 404.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from tracker.core.validation import MAX_ID


def at_most(largest: int) -> str:
    """A regular expression of the numbers from 0 to ``largest``, in ASCII digits.

    The regex itself must refuse a number too large: when a converter refuses one instead,
    Werkzeug answers 405 to a POST on a path whose GET route has the same shape.
    """
    top = str(largest)
    shorter = f"[0-9]{{1,{len(top) - 1}}}" if len(top) > 1 else None
    same_length = []
    for i, digit in enumerate(top):
        rest = len(top) - i - 1
        if digit != "0":
            below = f"[0-{int(digit) - 1}]"
            same_length.append(top[:i] + below + (f"[0-9]{{{rest}}}" if rest else ""))
    same_length.append(top)
    return "|".join(([shorter] if shorter else []) + same_length)


class IdConverter(IntegerConverter):
    """``<int:...>`` for ids: 0 to 2^31 - 1, written with ASCII digits."""

    regex = f"(?:{at_most(MAX_ID)})"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Use :class:`IdConverter` for every ``<int:...>``; call it before registering blueprints."""
    app.url_map.converters["int"] = IdConverter
