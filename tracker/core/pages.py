"""Refused input on pages, handled in one place.

A view reads its form, calls a service, commits and redirects. When the form reading or the
service refuses (:class:`Invalid`, :class:`Conflict`), the view simply lets the error go; the
``@refused_page(page)`` decorator undoes the transaction and answers with the page declared for
that view: 422 for invalid input, 409 for a record that changed meanwhile. The API turns the same
errors into JSON with its own blueprint handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import wraps

from flask import flash, render_template, request

from tracker.core.concurrency import Conflict
from tracker.core.extensions import db
from tracker.core.forms import problem
from tracker.core.validation import Invalid

Refusal = Invalid | Conflict


def refused_page(page: Callable[..., object]):
    """Declare the page a view answers with when its input is refused.

    ``page(error, **view_args)`` is called after the rollback, with every record of the session
    expired: what it shows is read again, so a conflict shows the current version (and the form
    carries the current version number). :func:`status_of` gives the status to answer with.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except (Invalid, Conflict) as error:
                db.session.rollback()
                db.session.expire_all()
                return page(error, **kwargs)

        return wrapper

    return decorate


def status_of(error: Refusal) -> int:
    """409 when the record changed meanwhile (or may no longer change), 422 for bad input."""
    return 409 if isinstance(error, Conflict) else 422


def flash_errors(errors: dict[str, str], labels: Mapping[str, str] | None = None) -> None:
    """Each problem at the top of the page, as "Label: message" (:func:`~tracker.core.forms.problem`)."""
    for field, message in errors.items():
        flash(problem(field, message, labels=labels), "error")


def flash_unshown(
    errors: dict[str, str],
    shown: Iterable[str] | Callable[[str], bool],
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Flash, at the top of the page, each problem of a field the page draws no input for (a
    hidden version, a kind chosen from a list, a field the form does not have), so that every
    422 page says what went wrong; the others are returned, to sit next to their inputs.

    ``shown`` is the set of field names the page draws next to an input, or a test of a name;
    ``labels`` names the fields in the page's words.
    """
    drawn = shown if callable(shown) else set(shown).__contains__
    kept = {}
    for field, message in errors.items():
        if drawn(field):
            kept[field] = message
        else:
            flash(problem(field, message, labels=labels), "error")
    return kept


# Changes that cannot be undone ask first. The button on the page posts the form as usual; the
# view answers with a page naming the consequence and a button that posts the same form again
# with ``confirm=yes``. No JavaScript is needed, and a form sent by a script says it on purpose.
CONFIRMED = "yes"


def confirmed_by_form() -> bool:
    """Whether the form says the person saw the consequence and confirmed (``confirm=yes``)."""
    return request.form.get("confirm") == CONFIRMED


def confirm_page(*, title: str, consequences: list[str], button: str, back: str):
    """The page asking to confirm (200): what will happen, in words, a button that sends the
    same form again with ``confirm=yes``, and a way back where nothing changes."""
    kept = [
        (name, value)
        for name, values in request.form.lists()
        if name not in {"csrf_token", "confirm"}
        for value in values
    ]
    page = render_template(
        "confirm.html",
        title=title,
        consequences=consequences,
        button=button,
        back=back,
        action=request.path,
        kept=kept,
    )
    return page, 200
