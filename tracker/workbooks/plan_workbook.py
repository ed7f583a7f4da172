"""The plan workbook management downloads: Plan, Actions, Hours and History sheets.

Built in openpyxl's write-only mode (rows are streamed, not held), with styled cells, frozen
headers, filters, fitted widths, status colours that carry their word, and native Excel charts.
Its figures come from the same functions as the dashboard and the API.
"""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from tracker.accounts.models import User
from tracker.core.i18n import N_
from tracker.dashboard.figures import status_by_pillar
from tracker.hours.rollup import ZERO, hour_rollup
from tracker.plans.models import STATUSES, Action, AllocationKind, AllocationLine, Plan, StatusChange
from tracker.tracking.lines import load_lines
from tracker.workbooks import cells

# The columns by their English titles (the import's keys); the sheet shows them translated.
ACTION_COLUMNS = [
    N_("Code"),
    N_("Pillar"),
    N_("Title"),
    N_("Status"),
    N_("Late"),
    N_("Start year"),
    N_("End year"),
    N_("Cadence"),
    N_("Timeline"),
    N_("Description"),
    N_("Objectives"),
    N_("Other resources"),
    N_("Responsible"),
]
PLANNED_TITLE = N_("Planned hours %(year)s")
WIDE = {"Title", "Description", "Objectives", "Other resources"}


def _width(values, title: str) -> float:
    longest = max([len(title), *(len(str(v)) for v in values if v is not None)], default=len(title))
    return min(max(longest + 2, 8), 60 if title in WIDE else 40)


def resources_cell(text: str | None, amount, currency: str | None) -> str:
    """The text, then the money in brackets: ``Venue (1500.00 EUR)``; the import reads it back.

    The amount always has two decimals (it is stored in hundredths).
    """
    money = f" ({amount} {currency})" if amount is not None else ""
    return ((text or "") + money).strip()


def build_plan_workbook(session: Session, plan: Plan, on: date) -> bytes:
    """The workbook of ``plan``, late as of ``on``, as .xlsx bytes."""
    workbook = Workbook(write_only=True)
    loaded = load_lines(session, plan, on)
    pillars, lines = loaded.pillars, loaded.open
    _plan_sheet(workbook, session, plan, pillars, lines)
    _actions_sheet(workbook, session, plan, pillars, lines)
    _hours_sheet(workbook, session, plan, pillars, loaded.pillar_of)
    _history_sheet(workbook, session, plan)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _plan_sheet(workbook, session, plan, pillars, lines) -> None:
    sheet = cells.create_sheet(workbook, _("Plan"))
    cells.columns(sheet, [26, 44, 14, 14, 14, 14])
    t = cells.text
    rows = [
        [cells.header(sheet, [_("Plan")])[0], t(sheet, plan.title)],
        [t(sheet, _("Organisation")), t(sheet, plan.organisation.name)],
        [t(sheet, _("Period")), t(sheet, f"{plan.start_year}-{plan.end_year}")],
        [t(sheet, _("Identifier")), t(sheet, plan.uid)],
        [],
        cells.header(sheet, [_("Pillar"), _("Name"), _("completed"), _("ongoing"), _("upcoming"), _("late")]),
    ]
    for row in rows:
        sheet.append(row)
    first = len(rows) + 1
    for figures in status_by_pillar(pillars, lines):
        sheet.append(
            [
                cells.number(sheet, figures.pillar.position, "0"),
                t(sheet, figures.pillar.name),
                *(cells.number(sheet, figures.counts[s], "0") for s in STATUSES),
                cells.number(sheet, figures.late, "0"),
            ]
        )
    last = first + len(pillars) - 1
    allocation = session.scalars(
        sa.select(AllocationLine)
        .where(AllocationLine.plan_id == plan.id)
        .order_by(AllocationLine.year, AllocationLine.position, AllocationLine.id)
    ).all()
    sheet.append([])
    sheet.append(cells.header(sheet, [_("Allocation year"), _("Line"), _("Kind"), _("Hours")]))
    for line in allocation:
        sheet.append(
            [
                cells.number(sheet, line.year, "0"),
                t(sheet, line.name),
                t(sheet, _(line.kind.value)),
                cells.number(sheet, line.hours),
            ]
        )
    if pillars:
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
        chart.title, chart.y_axis.title = _("Actions by pillar and status"), _("Actions")
        chart.add_data(
            Reference(sheet, min_col=3, max_col=5, min_row=first - 1, max_row=last), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=2, min_row=first, max_row=last))
        for series, colour in zip(chart.series, ("00B050", "FFC000", "FF0000"), strict=True):
            series.graphicalProperties.solidFill = colour
        chart.width, chart.height = 18, 9
        sheet.add_chart(chart, "H2")


def _actions_sheet(workbook, session, plan, pillars, lines) -> None:
    sheet = cells.create_sheet(workbook, _("Actions"))
    texts = {
        row.id: row
        for row in session.execute(
            sa.select(
                Action.id,
                Action.description,
                Action.objectives,
                Action.resources_text,
                Action.resources_amount,
                Action.resources_currency,
                Action.responsible,
            ).where(Action.plan_id == plan.id)
        )
    }
    labels = {pillar.id: pillar.label for pillar in pillars}
    years = list(plan.years)
    titles = [
        *(_(title) for title in ACTION_COLUMNS),
        *(_(PLANNED_TITLE, year=y) for y in years),
        *(_("Logged hours %(year)s", year=y) for y in years),
    ]
    sample = lines[:500]
    widths = [
        _width([line.code for line in sample], "Code"),
        _width([labels[line.pillar_id] for line in sample], "Pillar"),
        _width([line.title for line in sample], "Title"),
        12,
        8,
        10,
        10,
        15,
        _width([line.timeline_text for line in sample], "Timeline"),
        60,
        50,
        40,
        _width([texts[line.id].responsible for line in sample], "Responsible"),
        *([14] * (2 * len(years))),
    ]
    cells.columns(sheet, widths)
    sheet.freeze_panes = "C2"
    sheet.append(cells.header(sheet, titles))
    t, n = cells.text, cells.number
    for line in lines:
        more = texts[line.id]
        budgets, spent = line.planned, line.logged
        # Each styled cell is reused column by column (slot): the row is written on append.
        row = [
            t(sheet, line.code, slot=1),
            t(sheet, labels[line.pillar_id], slot=2),
            t(sheet, line.title, wrap=True, slot=3),
            cells.status(sheet, line.status, line.status.value, slot=4),
            _("yes") if line.late else _("no"),
            n(sheet, line.start_year, "0", slot=6),
            n(sheet, line.end_year, "0", slot=7) if line.end_year else "",
            _(line.cadence.value),
            t(sheet, line.timeline_text, slot=9),
            t(sheet, more.description, wrap=True, slot=10),
            t(sheet, more.objectives, wrap=True, slot=11),
            t(
                sheet,
                resources_cell(more.resources_text, more.resources_amount, more.resources_currency),
                wrap=True,
                slot=12,
            ),
            t(sheet, more.responsible, slot=13),
            *(n(sheet, budgets.get(y, ZERO), slot=14 + i) for i, y in enumerate(years)),
            *(n(sheet, spent.get(y, ZERO), slot=14 + len(years) + i) for i, y in enumerate(years)),
        ]
        sheet.append(row)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{len(lines) + 1}"


def _hours_sheet(workbook, session, plan, pillars, pillar_of) -> None:
    sheet = cells.hours_sheet(workbook)
    t, n = cells.text, cells.number
    totals = []
    count = 0
    for year in plan.years:
        rollup = hour_rollup(session, plan, year, pillars=pillars, pillar_of=pillar_of)
        for line in rollup.lines:
            kind = rollup.by_kind[line.kind]
            sheet.append(
                [
                    n(sheet, year, "0"),
                    t(sheet, line.name),
                    t(sheet, _(line.kind.value)),
                    n(sheet, line.hours),
                    n(sheet, kind.planned) if line.kind is AllocationKind.IMPLEMENTATION else t(sheet, ""),
                    n(sheet, kind.logged),
                    n(sheet, kind.remaining),
                    t(sheet, _("yes") if kind.over_allocated else _("no")),
                ]
            )
            count += 1
        for pillar in rollup.by_pillar:
            sheet.append(
                [
                    n(sheet, year, "0"),
                    t(sheet, pillar.label),
                    t(sheet, _("pillar")),
                    t(sheet, ""),
                    n(sheet, pillar.planned),
                    n(sheet, pillar.logged),
                    n(sheet, pillar.remaining),
                    t(sheet, _("yes") if pillar.over_allocated else _("no")),
                ]
            )
            count += 1
        sheet.append(
            [
                n(sheet, year, "0"),
                t(sheet, _("Total")),
                t(sheet, _("total")),
                n(sheet, rollup.allocated),
                n(sheet, rollup.planned),
                n(sheet, rollup.logged),
                n(sheet, rollup.remaining),
                t(sheet, _("yes") if rollup.over_allocated else _("no")),
            ]
        )
        count += 1
        totals.append((year, rollup))
    sheet.auto_filter.ref = f"A1:H{count + 1}"
    # The year totals again, side by side, for the chart.
    sheet.append([])
    first = count + 3
    sheet.append(cells.header(sheet, [_("Year"), "_(", ")_(", ")Allocated_(", ")Planned_(", ")Logged"]))
    for year, rollup in totals:
        sheet.append(
            [
                t(sheet, str(year)),
                None,
                None,
                n(sheet, rollup.allocated),
                n(sheet, rollup.planned),
                n(sheet, rollup.logged),
            ]
        )
    last = first + len(totals)
    chart = BarChart()
    chart.title, chart.y_axis.title = _("Hours by year"), _("Hours")
    chart.add_data(Reference(sheet, min_col=4, max_col=6, min_row=first, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first + 1, max_row=last))
    chart.width, chart.height = 18, 9
    sheet.add_chart(chart, "J2")


def _history_sheet(workbook, session, plan) -> None:
    sheet = cells.create_sheet(workbook, _("History"))
    cells.columns(sheet, [18, 10, 12, 12, 24, 60, 14])
    sheet.freeze_panes = "A2"
    # Date is when the change was recorded; a change recorded "as of" an earlier day says so.
    sheet.append(
        cells.header(
            sheet, [_("Date"), _("Action"), _("From"), _("To"), _("Who"), _("Note"), _("Took effect on")]
        )
    )
    t = cells.text
    count = 0
    for at, code, before, after, who, note, effective_on in session.execute(
        sa.select(
            StatusChange.at,
            Action.code,
            StatusChange.from_status,
            StatusChange.to_status,
            User.name,
            StatusChange.note,
            StatusChange.effective_on,
        )
        .join(Action, Action.id == StatusChange.action_id)
        .outerjoin(User, User.id == StatusChange.user_id)
        .where(Action.plan_id == plan.id)
        .order_by(StatusChange.at, StatusChange.id)
    ):
        sheet.append(
            [
                cells.when(sheet, at, slot=1),
                t(sheet, code, slot=2),
                cells.status(sheet, before, before.value, slot=3) if before else "",
                cells.status(sheet, after, after.value, slot=4),
                t(sheet, who or _("system"), slot=5),
                t(sheet, note, wrap=True, slot=6),
                cells.when(sheet, effective_on, slot=7),
            ]
        )
        count += 1
    sheet.auto_filter.ref = f"A1:G{count + 1}"
