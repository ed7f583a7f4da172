"""Templates a new plan can start from: ordered pillars, each with a short guidance text.

The templates every organisation sees are JSON files in ``seed/templates/`` (the ICLEI plan's
four pillars, the CIB toolkit's five sections). An organisation's admin may add one by
uploading a file of the same form; it is kept as a row (:class:`PlanTemplate`) of that
organisation, which nobody else sees. Files and rows are read by the one :func:`read_template`,
so a template that would be refused on upload is refused when shipped too::

    {
      "name": "CIB Gender Mainstreaming Toolkit: five sections",
      "description": "optional: what the template is",
      "source": "optional: where its pillars come from",
      "pillars": [{"name": "Getting Started", "guidance": "Kick-start ..."}, ...]
    }
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.core import validation
from tracker.core.concurrency import flush_new
from tracker.core.paths import resource_dir
from tracker.core.scope import Scope
from tracker.core.validation import Invalid
from tracker.plans.models import PlanTemplate

TEMPLATES_DIR = resource_dir("seed") / "templates"
MAX_TEMPLATE_BYTES = 100 * 1024
MAX_NAME = 200
MAX_GUIDANCE = 2_000
MAX_DESCRIPTION = 2_000
MAX_PILLARS = 20
FIELDS = ("name", "description", "source", "pillars")
PILLAR_FIELDS = ("name", "guidance")
# Shipped templates are chosen by their file's name; uploaded ones by their row.
SHIPPED_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
UPLOADED_PREFIX = "upload-"


class TemplateInvalid(ValueError):
    """A template file that cannot be used; ``problems`` names every field that is wrong."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class TemplatePillar:
    """A pillar a plan starts with."""

    name: str
    guidance: str


@dataclass(frozen=True)
class Template:
    """A valid template, whether shipped or uploaded."""

    key: str
    name: str
    description: str
    source: str
    pillars: tuple[TemplatePillar, ...]
    shipped: bool


def _text(problems: list[str], where: str, record: dict, name: str, *, required: bool, limit: int) -> str:
    try:
        return validation.text(name, record.get(name), required=required, limit=limit)
    except Invalid as error:
        problems.extend(
            where + _("field '%(field)s': %(problem)s", field=field, problem=message)
            for field, message in error.errors.items()
        )
        return ""


def _unknown(problems: list[str], where: str, record: dict, known: tuple[str, ...]) -> None:
    for name in record:
        if name not in known:
            allowed = ", ".join(known)
            problems.append(
                where
                + _(
                    "field '%(field)s' is not a template field (allowed: %(allowed)s)",
                    field=str(name)[:40],
                    allowed=allowed,
                )
            )


def read_template(data: bytes, *, key: str, shipped: bool = False) -> Template:
    """The template in ``data`` (a JSON file's bytes), or :class:`TemplateInvalid` listing every
    problem, each naming its field (``pillar 2: field 'guidance': must not be empty``)."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateInvalid(
            [
                _(
                    "file: larger than %(limit)s KB (%(size)s bytes)",
                    limit=MAX_TEMPLATE_BYTES // 1024,
                    size=format_decimal(len(data)),
                )
            ]
        )
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise TemplateInvalid([_("file: not UTF-8 text; save the template as UTF-8 JSON")]) from None
    except (json.JSONDecodeError, RecursionError) as error:
        detail = (
            _(
                "line %(line)s, column %(column)s: %(error)s",
                line=error.lineno,
                column=error.colno,
                error=error.msg,
            )
            if hasattr(error, "lineno")
            else ""
        )
        raise TemplateInvalid(
            [_("file: not valid JSON (%(detail)s)", detail=detail or _("nested too deeply"))]
        ) from None
    if not isinstance(raw, dict):
        raise TemplateInvalid([_("file: must hold one JSON object with the fields name and pillars")])
    problems: list[str] = []
    _unknown(problems, "", raw, FIELDS)
    name = _text(problems, "", raw, "name", required=True, limit=MAX_NAME)
    description = _text(problems, "", raw, "description", required=False, limit=MAX_DESCRIPTION)
    source = _text(problems, "", raw, "source", required=False, limit=MAX_DESCRIPTION)
    listed = raw.get("pillars")
    pillars: list[TemplatePillar] = []
    if not isinstance(listed, list) or not listed:
        problems.append(_("field 'pillars': must be a list of at least one pillar"))
        listed = []
    elif len(listed) > MAX_PILLARS:
        problems.append(
            _(
                "field 'pillars': at most %(most)s pillars (it has %(count)s)",
                most=MAX_PILLARS,
                count=len(listed),
            )
        )
        listed = []
    seen: dict[str, int] = {}
    for position, pillar in enumerate(listed, start=1):
        where = _("pillar %(position)s: ", position=position)
        if not isinstance(pillar, dict):
            problems.append(where + _("must be an object with the fields name and guidance"))
            continue
        _unknown(problems, where, pillar, PILLAR_FIELDS)
        pillar_name = _text(problems, where, pillar, "name", required=True, limit=MAX_NAME)
        guidance = _text(problems, where, pillar, "guidance", required=True, limit=MAX_GUIDANCE)
        folded = pillar_name.casefold()
        if pillar_name and folded in seen:
            problems.append(
                where
                + _(
                    "field 'name': %(name)s is also the name of pillar %(position)s",
                    name=pillar_name,
                    position=seen[folded],
                )
            )
        seen.setdefault(folded, position)
        pillars.append(TemplatePillar(pillar_name, guidance))
    if problems:
        raise TemplateInvalid(problems)
    return Template(key, name, description, source, tuple(pillars), shipped)


def shipped_templates(folder: Path = TEMPLATES_DIR) -> list[Template]:
    """The templates in ``seed/templates/``, by name; a file that does not validate is an error
    naming the file (the project ships it, so a test reads them all)."""
    templates = []
    for path in sorted(folder.glob("*.json")):
        if not SHIPPED_KEY.match(path.stem):
            raise TemplateInvalid([f"{path.name}: the file name must be lower-case letters, digits and -"])
        try:
            templates.append(read_template(path.read_bytes(), key=path.stem, shipped=True))
        except TemplateInvalid as error:
            raise TemplateInvalid([f"{path.name}: {problem}" for problem in error.problems]) from None
    return sorted(templates, key=lambda template: template.name.casefold())


def _uploaded(row: PlanTemplate) -> Template:
    return read_template(row.content.encode("utf-8"), key=f"{UPLOADED_PREFIX}{row.id}")


def templates_for(session: Session, scope: Scope) -> list[Template]:
    """The templates someone may start a plan from: the shipped ones, then their organisation's."""
    rows = session.scalars(
        sa.select(PlanTemplate).where(PlanTemplate.in_scope(scope)).order_by(PlanTemplate.name)
    )
    return [*shipped_templates(), *(_uploaded(row) for row in rows)]


def find_template(field: str, key: str, session: Session, scope: Scope) -> Template:
    """The template chosen as ``key``; one that is not offered is :class:`Invalid` on ``field``."""
    for template in templates_for(session, scope):
        if template.key == key:
            return template
    raise Invalid({field: _("%(key)s is not one of the templates offered", key=repr(key[:60]))})


def _name_free(session: Session, scope: Scope, name: str) -> None:
    shipped = {template.name.casefold() for template in shipped_templates()}
    taken = session.scalar(
        sa.select(PlanTemplate.id).where(
            PlanTemplate.in_scope(scope), sa.func.lower(PlanTemplate.name) == name.casefold()
        )
    )
    if name.casefold() in shipped or taken is not None:
        raise TemplateInvalid([_("field 'name': there is already a template called %(name)s", name=name)])


def add_template(
    session: Session, organisation_id: int, scope: Scope, data: bytes, *, uploaded_by: int | None
) -> Template:
    """Keep an uploaded template for ``organisation_id``; the caller commits.

    Refused with :class:`TemplateInvalid` (nothing written) when the file does not validate or
    its name is taken.
    """
    template = read_template(data, key="new")
    _name_free(session, scope, template.name)
    # Kept as the parsed JSON again, so that what is stored is exactly what was validated.
    content = json.dumps(json.loads(data.decode("utf-8")), ensure_ascii=False, indent=2)
    row = PlanTemplate(
        organisation_id=organisation_id, name=template.name, content=content, uploaded_by_id=uploaded_by
    )
    session.add(row)
    flush_new(session, [row], _("the template"), lambda: _name_free(session, scope, template.name))
    return _uploaded(row)
