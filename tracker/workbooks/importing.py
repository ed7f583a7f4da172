"""Importing a plan workbook: the Plan and Actions sheets of the plan export, read back.

Two steps. :func:`read_plan_workbook` checks the whole file and collects every problem with its
sheet, row and column; :func:`apply_import` checks it against the database and then writes it in
the caller's transaction. Nothing is written unless the whole file is valid.

What an import changes: the plan's title and period, its pillars (matched by name; their order
follows the file), each year's allocation lines (matched by year and name) and the actions
(matched by code): pillar, title, status, timeline, texts, responsible people and yearly planned
hours. What it leaves: records the file does not mention (nothing is deleted by an import), logged
hours, occurrences and the history, which the workbook shows but does not own (``Late``,
``Logged hours``, the Hours and History sheets are read by people, not by the import).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from babel.numbers import is_currency
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from tracker.accounts.models import Organisation
from tracker.core import validation
from tracker.core.concurrency import Conflict, flush
from tracker.core.i18n import N_, languages, readings
from tracker.core.validation import Invalid
from tracker.history.recording import note_change
from tracker.plans import rules
from tracker.plans.editing import set_planned_hours
from tracker.plans.models import (
    Action,
    AllocationKind,
    AllocationLine,
    Cadence,
    Pillar,
    Plan,
    Status,
    pillar_label,
)
from tracker.workbooks.plan_workbook import ACTION_COLUMNS, PLANNED_TITLE, resources_cell
from tracker.workbooks.reading import Formula, ImportFailed, Problem, blank, cell_values, open_workbook

REQUIRED_COLUMNS = ("Code", "Pillar", "Title", "Status", "Start year", "End year", "Cadence")
TEXT_COLUMNS = {
    "Timeline": ("timeline_text", validation.MAX_TITLE),
    "Description": ("description", validation.MAX_TEXT),
    "Objectives": ("objectives", validation.MAX_TEXT),
    "Responsible": ("responsible", validation.MAX_TEXT),
}
PLAN_LABELS = (N_("Plan"), N_("Organisation"), N_("Period"), N_("Identifier"))
SHEETS = (N_("Plan"), N_("Actions"))


class Words:
    """What the import reads in any language offered: a sheet title, a label, a column title or
    a status, cadence or kind word as any catalogue writes it is read as its English key, and
    ``Planned hours 2025`` in any language gives its year."""

    def __init__(self):
        keys = [
            *SHEETS,
            *PLAN_LABELS,
            "Pillar",
            "Allocation year",
            *ACTION_COLUMNS,
            *(status.value for status in Status),
            *(cadence.value for cadence in Cadence),
            *(kind.value for kind in AllocationKind),
        ]
        self.lookup = readings(keys)
        planned = {PLANNED_TITLE}
        for code in languages():
            with force_locale(code):
                planned.add(_(PLANNED_TITLE))
        self.planned = [
            re.compile(
                "^" + re.escape(title.strip()).replace(re.escape("%(year)s"), r"\s*(\d{4})\s*") + "$", re.I
            )
            for title in planned
        ]

    def key(self, value):
        """The English key ``value`` stands for (a string that is none is kept as it is)."""
        if isinstance(value, str):
            return self.lookup.get(value.strip().casefold(), value.strip())
        return value

    def planned_year(self, title: str) -> int | None:
        for pattern in self.planned:
            match = pattern.match(title.strip())
            if match:
                return int(match[1])
        return None


PERIOD = re.compile(r"^\s*(\d{4})\s*[-\u2013]\s*(\d{4})\s*$")
# "Other resources" holds the text, then the money in brackets: "Venue (1500.00 EUR)". Only such a
# bracket is money: an amount, then a currency code Babel knows or the two decimals the export
# writes. "Two staff members (2 FTE)" is text.
MONEY_AFTER_TEXT = re.compile(
    r"^(?P<text>.*\S)\s+\((?P<amount>\d+(?:\.\d+)?) (?P<currency>[A-Z]{3})\)$", re.S
)
MONEY_ONLY = re.compile(r"^\((?P<amount>\d+(?:\.\d+)?) (?P<currency>[A-Z]{3})\)$")
EXPORTED_AMOUNT = re.compile(r"^\d+\.\d\d$")
IMPORT_NOTE = N_("Imported from a workbook")


@dataclass
class PillarRow:
    position: int
    name: str


@dataclass
class LineRow:
    row: int
    year: int
    name: str
    kind: AllocationKind
    hours: Decimal


@dataclass
class ActionRow:
    row: int
    code: str
    pillar: str
    title: str
    status: Status
    start_year: int
    end_year: int | None
    cadence: Cadence
    timeline_text: str = ""
    description: str = ""
    objectives: str = ""
    resources_text: str = ""
    resources_amount: Decimal | None = None
    resources_currency: str | None = None
    # The cell as read (trimmed): a cell the export wrote for the action as it is changes nothing.
    resources_cell: str = ""
    responsible: str = ""
    planned: dict[int, Decimal] = field(default_factory=dict)
    # Which optional columns the file has: the others are left as they are.
    present: frozenset[str] = frozenset()


@dataclass
class PlanWorkbook:
    """What a valid workbook says about its plan."""

    title: str
    start_year: int
    end_year: int
    uid: str | None
    pillars: list[PillarRow]
    lines: list[LineRow]
    actions: list[ActionRow]


@dataclass
class ImportResult:
    plan: Plan
    created: bool
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    not_in_file: int = 0


class _Sheet:
    """Collects the problems of one sheet; parsers return ``None`` after noting one."""

    def __init__(self, name: str, problems: list[Problem]):
        self.name = name
        self.problems = problems

    def note(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(message, self.name, row, column))

    def formula(self, value: Formula, row: int, column: str) -> None:
        # Its cached value may be missing (a file saved by openpyxl has none) or stale: reading it
        # would empty or change the field without a word.
        shown = value.text if len(value.text) <= 40 else value.text[:40] + "…"
        self.note(
            _(
                "%(formula)s is a formula; the import reads typed values: type the value itself "
                "(or paste it as values)",
                formula=shown,
            ),
            row,
            column,
        )

    def parse(self, row: int, column: str, parser, value, *args, **kwargs):
        if isinstance(value, Formula):
            self.formula(value, row, column)
            return None
        try:
            return parser(column, value, *args, **kwargs)
        except Invalid as error:
            self.note(next(iter(error.errors.values())), row, column)
            return None


def _as_text(column: str, value, *, required: bool = False, limit: int = validation.MAX_TEXT) -> str:
    if isinstance(value, datetime | date):
        raise Invalid({column: _("must be text, not a date")})
    if isinstance(value, bool):
        raise Invalid({column: _("must be text")})
    if isinstance(value, int | float):
        value = str(int(value)) if float(value).is_integer() else repr(value)
    return validation.text(column, value, required=required, limit=limit)


def _as_code(column: str, value) -> str:
    """An action code by the one rule (a cell typed as a number, such as 3.1, keeps its text)."""
    return rules.action_code(column, _as_text(column, value, required=True, limit=rules.MAX_CODE))


def _as_number(column: str, value) -> Decimal:
    if isinstance(value, datetime | date | bool):
        raise Invalid({column: _("must be a number")})
    if isinstance(value, float):
        value = repr(value)
    return validation.planned_hours(column, value)


def _as_year(column: str, value, *, required: bool = True) -> int | None:
    if isinstance(value, datetime | date | bool):
        raise Invalid({column: _("must be a year such as %(example)s", example=2025)})
    if isinstance(value, float):
        if not value.is_integer():
            raise Invalid({column: _("%(typed)s is not a year", typed=value)})
        value = int(value)
    return validation.year(column, value, required=required)


def _rows(sheet) -> list[tuple]:
    return list(cell_values(sheet))


def _read_plan_sheet(sheet, problems: list[Problem], words: Words):
    notes = _Sheet("Plan", problems)
    rows = _rows(sheet)
    labels = {}
    for number, row in enumerate(rows, start=1):
        if row and isinstance(row[0], str) and words.key(row[0]) in PLAN_LABELS:
            labels.setdefault(words.key(row[0]), (number, row[1] if len(row) > 1 else None))
    for label in ("Plan", "Period"):
        if label not in labels:
            notes.note(
                _(
                    "the row '%(label)s' is missing (column A says '%(label)s', column B its value)",
                    label=_(label),
                ),
                None,
                "A",
            )
    title = start = end = None
    if "Plan" in labels:
        number, value = labels["Plan"]
        title = notes.parse(number, "B", _as_text, value, required=True, limit=validation.MAX_TITLE)
    if "Period" in labels:
        number, value = labels["Period"]
        match = PERIOD.match(str(value or ""))
        if isinstance(value, Formula):
            notes.formula(value, number, "B")
        elif match is None:
            notes.note(
                _("the period must be two years such as %(example)s", example="2023-2027"), number, "B"
            )
        else:
            start, end = int(match[1]), int(match[2])
            if end < start:
                notes.note(
                    _("the period ends (%(end)s) before it starts (%(start)s)", end=end, start=start),
                    number,
                    "B",
                )
            elif not (start >= 1900 and end <= 2200):
                notes.note(
                    _("%(first)s-%(last)s is not a plausible period", first=start, last=end), number, "B"
                )
    uid = None
    if "Identifier" in labels:
        number, value = labels["Identifier"]
        if isinstance(value, Formula):
            notes.formula(value, number, "B")
        elif not blank(value):
            try:
                uid = str(uuid.UUID(str(value).strip()))
            except ValueError:
                notes.note(
                    _("the identifier is not one this tracker wrote; leave it empty for a new plan"),
                    number,
                    "B",
                )

    pillars: list[PillarRow] = []
    lines: list[LineRow] = []
    table = None
    for number, row in enumerate(rows, start=1):
        first = row[0] if row else None
        if isinstance(first, str) and words.key(first) == "Pillar":
            table = "pillars"
            continue
        if isinstance(first, str) and words.key(first) == "Allocation year":
            table = "lines"
            continue
        if all(blank(value) for value in row):
            table = None
            continue
        cells = list(row) + [None] * 4
        if table == "pillars":
            position = notes.parse(number, "A", _position, cells[0])
            name = notes.parse(number, "B", _as_text, cells[1], required=True, limit=200)
            if position is not None and name is not None:
                if any(p.name == name for p in pillars):
                    notes.note(_("the pillar %(name)s is listed twice", name=name), number, "B")
                else:
                    pillars.append(PillarRow(position, name))
        elif table == "lines":
            year = notes.parse(number, "A", _as_year, cells[0])
            name = notes.parse(number, "B", _as_text, cells[1], required=True, limit=200)
            kind = notes.parse(number, "C", validation.choice, words.key(cells[2]), AllocationKind)
            hours = notes.parse(number, "D", _as_number, cells[3])
            if None in (year, name, kind, hours):
                continue
            if start is not None and end is not None and not start <= year <= end:
                notes.note(
                    _(
                        "%(year)s is outside the plan's period %(first)s-%(last)s",
                        year=year,
                        first=start,
                        last=end,
                    ),
                    number,
                    "A",
                )
            elif any(line.year == year and line.name == name for line in lines):
                notes.note(
                    _("%(year)s already has a line called %(name)s", year=year, name=name), number, "B"
                )
            else:
                lines.append(LineRow(number, year, name, kind, hours))
    if not pillars and "Plan" in labels:
        notes.note(
            _(
                "no pillars are listed (a '%(pillar)s' and '%(name)s' header, then one row a pillar)",
                pillar=_("Pillar"),
                name=_("Name"),
            )
        )
    return title, start, end, uid, pillars, lines


def _position(column: str, value) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid({column: _("must be a whole number")})
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid({column: _("%(typed)s is not a whole number", typed=str(value)[:20])}) from None
    if not 1 <= number <= 1000:
        raise Invalid({column: _("must be between %(least)s and %(most)s", least=1, most=1000)})
    return number


def _resources(column: str, value) -> tuple[str, Decimal | None, str | None, str]:
    """The text, the amount and currency of money after it, and the cell's text."""
    text = _as_text(column, value)
    for pattern in (MONEY_AFTER_TEXT, MONEY_ONLY):
        match = pattern.match(text)
        if match and (is_currency(match["currency"]) or EXPORTED_AMOUNT.match(match["amount"])):
            amount = validation.money(column, match["amount"])
            return match.groupdict().get("text") or "", amount, match["currency"], text
    return text, None, None, text


def _read_actions_sheet(sheet, pillars: list[PillarRow], start, end, problems: list[Problem], words: Words):
    notes = _Sheet("Actions", problems)
    rows = cell_values(sheet)
    header = next(rows, None) or ()
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        if isinstance(title, str) and title.strip():
            columns.setdefault(words.key(title), index)
    missing = [title for title in REQUIRED_COLUMNS if title not in columns]
    for title in missing:
        notes.note(_("the column %(title)s is missing from the header row", title=_(title)), 1, title)
    if missing:
        return []
    planned_columns = {}
    for title, index in columns.items():
        year = words.planned_year(title)
        if year is not None:
            if start is not None and not start <= year <= end:
                notes.note(
                    _(
                        "%(year)s is outside the plan's period %(first)s-%(last)s",
                        year=year,
                        first=start,
                        last=end,
                    ),
                    1,
                    title,
                )
            else:
                planned_columns[year] = index
    labels = {}
    for pillar in pillars:
        labels[pillar_label(pillar.position, pillar.name)] = pillar.name
        labels[pillar.name] = pillar.name

    def where(title):
        return f"{get_column_letter(columns[title] + 1)} ({title})"

    actions: list[ActionRow] = []
    codes: dict[str, int] = {}
    for number, raw in enumerate(rows, start=2):
        if all(blank(value) for value in raw):
            continue
        values = list(raw) + [None] * (len(header) - len(raw))

        def cell(title, values=values):
            return values[columns[title]]

        before = len(problems)
        code = notes.parse(number, where("Code"), _as_code, cell("Code"))
        pillar_text = notes.parse(number, where("Pillar"), _as_text, cell("Pillar"), required=True, limit=300)
        title = notes.parse(
            number, where("Title"), _as_text, cell("Title"), required=True, limit=validation.MAX_TITLE
        )
        status = notes.parse(number, where("Status"), rules.status, words.key(cell("Status")))
        cadence = notes.parse(number, where("Cadence"), rules.cadence, words.key(cell("Cadence")))
        start_year = notes.parse(number, where("Start year"), _as_year, cell("Start year"))
        end_year = notes.parse(number, where("End year"), _as_year, cell("End year"), required=False)
        if start_year and end_year and end_year < start_year:
            notes.note(
                _("%(end)s is before the start year %(start)s", end=end_year, start=start_year),
                number,
                where("End year"),
            )
        if code is not None:
            if code in codes:
                notes.note(
                    _("the code %(code)s is also used in row %(row)s", code=code, row=codes[code]),
                    number,
                    where("Code"),
                )
            else:
                codes[code] = number
        if pillar_text is not None and pillar_text not in labels:
            known = ", ".join(f"{p.position} {p.name}" for p in pillars) or _("none")
            notes.note(
                _(
                    "%(pillar)s is not a pillar of the Plan sheet (pillars: %(known)s)",
                    pillar=pillar_text,
                    known=known,
                ),
                number,
                where("Pillar"),
            )
        present = set()
        texts = {}
        for column, (attribute, limit) in TEXT_COLUMNS.items():
            if column in columns:
                present.add(attribute)
                texts[attribute] = notes.parse(number, where(column), _as_text, cell(column), limit=limit)
        money = ("", None, None, "")
        if "Other resources" in columns:
            present.add("resources")
            money = (
                notes.parse(number, where("Other resources"), _resources, cell("Other resources")) or money
            )
        planned = {}
        for year, index in planned_columns.items():
            title_of = f"Planned hours {year}"
            value = values[index]
            if not blank(value):
                hours = notes.parse(number, f"{get_column_letter(index + 1)} ({title_of})", _as_number, value)
                if hours is not None:
                    planned[year] = hours
        if len(problems) > before:
            continue
        actions.append(
            ActionRow(
                row=number,
                code=code,
                pillar=labels[pillar_text],
                title=title,
                status=status,
                start_year=start_year,
                end_year=end_year,
                cadence=cadence,
                resources_text=money[0],
                resources_amount=money[1],
                resources_currency=money[2],
                resources_cell=money[3],
                planned=planned,
                present=frozenset(present | ({"planned"} if planned_columns else set())),
                **texts,
            )
        )
    return actions


def read_plan_workbook(data: bytes) -> PlanWorkbook:
    """Every fact of an uploaded plan workbook, or :class:`ImportFailed` listing every problem."""
    workbook = open_workbook(data)
    problems: list[Problem] = []
    try:
        words = Words()
        sheets = {}
        for name in workbook.sheetnames:
            sheets.setdefault(words.key(name), name)
        for name in SHEETS:
            if name not in sheets:
                problems.append(
                    Problem(
                        _(
                            "the sheet %(name)s is missing (the workbook has: %(names)s)",
                            name=_(name),
                            names=", ".join(workbook.sheetnames),
                        ),
                        name,
                    )
                )
        if problems:
            raise ImportFailed(problems)
        title, start, end, uid, pillars, lines = _read_plan_sheet(workbook[sheets["Plan"]], problems, words)
        actions = _read_actions_sheet(workbook[sheets["Actions"]], pillars, start, end, problems, words)
    finally:
        workbook.close()
    if problems:
        raise ImportFailed(problems)
    return PlanWorkbook(title, start, end, uid, pillars, lines, actions)


def _set(record, name: str, value) -> bool:
    if getattr(record, name) != value:
        setattr(record, name, value)
        return True
    return False


def apply_import(session: Session, organisation: Organisation, book: PlanWorkbook) -> ImportResult:
    """Write ``book`` into its plan (found by identifier) or a new plan of ``organisation``.

    Raises :class:`ImportFailed` before writing anything when the database disagrees with the
    file (another organisation's identifier, a title already taken, an archived action).
    """
    problems: list[Problem] = []
    plan = session.scalar(sa.select(Plan).where(Plan.uid == book.uid)) if book.uid else None
    if plan is not None and plan.organisation_id != organisation.id:
        problems.append(
            Problem(_("this identifier belongs to a plan of another organisation"), "Plan", None, "B")
        )
        raise ImportFailed(problems)
    taken = session.scalar(
        sa.select(Plan.id).where(
            Plan.organisation_id == organisation.id,
            Plan.title == book.title,
            Plan.id != (plan.id if plan else 0),
        )
    )
    if taken is not None:
        problems.append(
            Problem(
                _(
                    "another plan of %(member)s is called %(title)s",
                    member=organisation.name,
                    title=book.title,
                ),
                "Plan",
                None,
                "B",
            )
        )
    existing: dict[str, Action] = {}
    if plan is not None:
        existing = {a.code: a for a in session.scalars(sa.select(Action).where(Action.plan_id == plan.id))}
        for row in book.actions:
            action = existing.get(row.code)
            if action is not None and action.archived_at is not None:
                problems.append(
                    Problem(
                        _("the action %(code)s is archived and cannot change", code=row.code),
                        "Actions",
                        row.row,
                        "A (Code)",
                    )
                )
    if problems:
        raise ImportFailed(problems)

    created = plan is None
    if created:
        plan = Plan(
            organisation=organisation,
            title=book.title,
            start_year=book.start_year,
            end_year=book.end_year,
            **({"uid": book.uid} if book.uid else {}),
        )
        session.add(plan)
        note_change(plan, _(IMPORT_NOTE))
        session.flush()
    else:
        for name in ("title", "start_year", "end_year"):
            _set(plan, name, getattr(book, name))
    result = ImportResult(plan=plan, created=created)

    # One flush at the end, guarded by the versions: nothing is written on the way.
    with session.no_autoflush:
        pillars = (
            {p.name: p for p in session.scalars(sa.select(Pillar).where(Pillar.plan_id == plan.id))}
            if not created
            else {}
        )
        listed = [row.name for row in book.pillars]
        for row in sorted(book.pillars, key=lambda p: p.position):
            pillar = pillars.get(row.name)
            if pillar is None:
                pillar = pillars[row.name] = Pillar(plan=plan, position=row.position, name=row.name)
                session.add(pillar)
            else:
                _set(pillar, "position", row.position)
        # Pillars the file leaves out keep their actions, after the listed ones.
        last = max((row.position for row in book.pillars), default=0)
        for pillar in sorted(pillars.values(), key=lambda p: (p.position, p.id or 0)):
            if pillar.name not in listed:
                last += 1
                _set(pillar, "position", last)

        lines = (
            {
                (line.year, line.name): line
                for line in session.scalars(
                    sa.select(AllocationLine).where(AllocationLine.plan_id == plan.id)
                )
            }
            if not created
            else {}
        )
        positions: dict[int, int] = {}
        for line in lines.values():
            positions[line.year] = max(positions.get(line.year, 0), line.position)
        for row in book.lines:
            line = lines.get((row.year, row.name))
            if line is None:
                positions[row.year] = positions.get(row.year, 0) + 1
                session.add(
                    AllocationLine(
                        plan=plan,
                        year=row.year,
                        position=positions[row.year],
                        kind=row.kind,
                        name=row.name,
                        hours=row.hours,
                    )
                )
            else:
                _set(line, "kind", row.kind)
                _set(line, "hours", row.hours)

        position = max((a.position for a in existing.values()), default=0)
        for row in book.actions:
            pillar = pillars[row.pillar]
            action = existing.get(row.code)
            fields = {
                "title": row.title,
                "start_year": row.start_year,
                "end_year": row.end_year,
                "cadence": row.cadence,
            }
            for name in ("timeline_text", "description", "objectives", "responsible"):
                if name in row.present:
                    fields[name] = getattr(row, name)
            if "resources" in row.present and (
                action is None
                or row.resources_cell
                != resources_cell(action.resources_text, action.resources_amount, action.resources_currency)
            ):
                fields |= {
                    "resources_text": row.resources_text,
                    "resources_amount": row.resources_amount,
                    "resources_currency": row.resources_currency,
                }
            if action is None:
                position += 1
                action = Action(
                    plan_id=plan.id,
                    pillar=pillar,
                    position=position,
                    code=row.code,
                    status=row.status,
                    **fields,
                )
                session.add(action)
                note_change(action, _(IMPORT_NOTE))
                changed = True
                result.added += 1
                budgets = {year: hours for year, hours in row.planned.items() if hours}
            else:
                changed = False
                for name, value in fields.items():
                    changed |= _set(action, name, value)
                if action.pillar_id != pillar.id:
                    action.pillar = pillar
                    changed = True
                if action.status is not row.status:
                    action.status = row.status
                    note_change(action, _(IMPORT_NOTE))
                    changed = True
                budgets = {}
                if "planned" in row.present:
                    have = {budget.year for budget in action.planned_hours}
                    # An empty or 0 cell where there was no budget stays without one.
                    for year in plan.years:
                        hours = row.planned.get(year)
                        if year in have:
                            budgets[year] = hours if hours is not None else None
                        elif hours:
                            budgets[year] = hours
            changed |= set_planned_hours(session, action, budgets)
            if action in existing.values():
                if changed:
                    result.changed += 1
                else:
                    result.unchanged += 1
    result.not_in_file = len(set(existing) - {row.code for row in book.actions})
    try:
        flush(session, [plan], _("the plan"))
    except sa.exc.IntegrityError:
        # Someone added the same pillar, line or action code while the file was being read.
        session.rollback()
        raise Conflict(
            _("the plan was changed by someone else while the file was being imported; nothing was saved.")
        ) from None
    return result
