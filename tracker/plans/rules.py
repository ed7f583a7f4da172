"""The plan's small rules, each defined once: the action code, the pillar label, the status words
and the parsers of a status and a cadence. Forms, the API, the seed and the import all use these."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.core.validation import Invalid, choice, text
from tracker.plans.models import AllocationKind, Cadence, Status, pillar_label

__all__ = ["CODE_PATTERN", "action_code", "cadence", "pillar_label", "status", "status_labels"]

# Numbers separated by dots, as the plan numbers its actions: 3.1.8.
CODE_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")
MAX_CODE = 20


def action_code(field: str, value) -> str:
    """An action's code such as ``3.1.8``: digits separated by dots, at most 20 characters.

    Nothing else, so a code can never be read as a formula by a spreadsheet.
    """
    code = text(field, value, required=True, limit=MAX_CODE)
    if not CODE_PATTERN.match(code):
        raise Invalid(
            {
                field: _(
                    "%(typed)s is not a code: use numbers separated by dots, such as 3.1.8",
                    typed=repr(code[:20]),
                )
            }
        )
    return code


def status(field: str, value) -> Status:
    """completed, ongoing or upcoming."""
    return choice(field, value, Status)


def cadence(field: str, value) -> Cadence:
    """once, ongoing, yearly or every two years."""
    return choice(field, value, Cadence)


STATUS_WORDS = {
    Status.COMPLETED: _l("completed"),
    Status.ONGOING: _l("ongoing"),
    Status.UPCOMING: _l("upcoming"),
}

# The words of the other enumerations people read (``_(cadence.value)`` in the templates).
CADENCE_WORDS = {
    Cadence.ONCE: _l("once"),
    Cadence.ONGOING: _l("ongoing"),
    Cadence.YEARLY: _l("yearly"),
    Cadence.EVERY_TWO_YEARS: _l("every two years"),
}
KIND_WORDS = {
    AllocationKind.MANAGEMENT: _l("management"),
    AllocationKind.IMPLEMENTATION: _l("implementation"),
}


def status_labels() -> dict:
    """The status words as people read them (and the words for the axes of a chart)."""
    return {
        **{status: str(word) for status, word in STATUS_WORDS.items()},
        "actions": str(_l("Actions")),
        "pillar": str(_l("Pillar")),
    }
