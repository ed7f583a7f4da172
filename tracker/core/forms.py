"""Form and request helpers shared by every concern's pages and the API."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import Flask, abort, flash, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, HiddenField

from tracker.core import validation
from tracker.core.validation import Invalid


def json_body() -> dict:
    """The request's JSON object; anything else is a 400 that says what is wrong with it."""
    if not request.is_json:
        abort(400, _("body: send JSON with the header Content-Type: application/json."))
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        abort(400, _("body: the JSON is nested too deeply."))
    if data is None:
        abort(400, _("body: not valid JSON."))
    if not isinstance(data, dict):
        abort(400, _("body: must be a JSON object."))
    return data


# A field of a repeated group, as WTForms names it: ``indicator-0-name``.
GROUPED = re.compile(r"^(?P<group>[a-z_]+)-(?P<index>\d{1,6})-(?P<field>[a-z_]+)$")


def _humane(name: str) -> str:
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def label_of(name: str, form=None, labels: Mapping[str, str] | None = None) -> str:
    """The words a person reads for the field ``name``: the label the page gives it (``labels``,
    else the form field's label), else its name made readable (``response_rate`` reads
    "Response rate", ``indicator-0-name`` "Indicator 1, name"), never the bare internal name."""
    if labels and name in labels:
        return str(labels[name])
    field = form._fields.get(name) if form is not None and hasattr(form, "_fields") else None
    if field is not None and getattr(field, "label", None) is not None and field.label.text:
        return str(field.label.text)
    grouped = GROUPED.match(name)
    if grouped:
        group, index, field = grouped["group"], int(grouped["index"]) + 1, grouped["field"]
        return f"{_humane(group)} {index}, {field.replace('_', ' ')}"
    return _humane(name)


def problem(name: str, message: str, form=None, labels: Mapping[str, str] | None = None) -> str:
    """One problem in words, for the top of a page: "Response rate: must be from 0 to 100"."""
    return f"{label_of(name, form, labels)}: {message}"


def show_errors(form, errors: dict[str, str]) -> None:
    """Put each domain error next to its form field.

    Fields the form does not declare (the budget of each year) keep their errors in
    ``form.extra_errors`` for the template; the rest go to the top of the page.
    """
    form.extra_errors = getattr(form, "extra_errors", {})
    for field_name, message in errors.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors") and field.type != "HiddenField":
            if not field.errors:  # WTForms may have said it already (a choice not offered)
                field.errors = [message]
        elif field_name.startswith("planned_"):
            form.extra_errors[field_name] = message
        else:
            flash(problem(field_name, message, form), "error")


def errors_for(form, name: str) -> str:
    """The error of an input the template draws by hand (a budget of each year)."""
    field = form._fields.get(name)
    if field is not None and field.errors:
        return " ".join(field.errors)
    return getattr(form, "extra_errors", {}).get(name, "")


class BoundedFieldList(FieldList):
    """A repeated group of fields (``indicator-3-name``) that trusts no index it is sent.

    WTForms reads any key whose index ``str.isdigit()`` calls a number: ``"²"`` or 5,000 digits
    then fail in ``int()`` (a 500). Only short ASCII indices count; the others are ignored, and
    ``max_entries`` (required) bounds how many rows are read.
    """

    MAX_INDEX_DIGITS = 6

    def __init__(self, *args, max_entries: int, **kwargs):
        super().__init__(*args, max_entries=max_entries, **kwargs)

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= self.MAX_INDEX_DIGITS:
                    yield int(index)


class VersionForm(FlaskForm):
    """A button that changes a record, from the version the person saw."""

    version = HiddenField()


def field_errors(form) -> dict[str, str]:
    """WTForms' own findings (choices not offered), run beside the domain's checks.

    CSRF was already checked by the app-wide hook, so it is left out here.
    """
    form.validate()
    return {name: " ".join(errors) for name, errors in form.errors.items() if name != "csrf_token"}


def kept(form, error: Exception | None = None):
    """A form shown again after a refusal: what was sent, WTForms' own findings, and the domain's
    problems of an :class:`Invalid` ``error`` next to their fields."""
    form.validate()
    if isinstance(error, Invalid):
        show_errors(form, error.errors)
    return form


class TickedVersions(Field):
    """The ticked rows of a list, each sent as ``id:version``: the record and the version of it
    the person saw. One field, however many rows: read and bounded by :meth:`versions`."""

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def versions(self, field: str, *, most: int) -> dict[int, int]:
        """Each ticked id with its version; at most ``most`` of them, or :class:`Invalid`."""
        sent = self.data or []
        ids = validation.ids(field, [str(value).partition(":")[0] for value in sent], most=most)
        versions = [validation.version("version", str(value).partition(":")[2]) for value in sent]
        return dict(zip(ids, versions, strict=False))


def init_app(app: Flask) -> None:
    """Templates name a field by its label with the same rule as the flashed problems."""
    app.add_template_global(label_of, "label_of")
