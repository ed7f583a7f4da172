"""The assessment report workbook: Summary, Actions, Hours, Changes and Survey sheets.

Built from the report's data (see :mod:`tracker.domain.assessment`), so that a draft, the
``report biennial`` command and a frozen published report all give the same sheets.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from tracker.core.formatting import (
    HOURS_NUMBER_FORMAT,
    PERCENT_NUMBER_FORMAT,
    PERCENT_UNITS,
    POINTS_NUMBER_FORMAT,
)
from tracker.plans.models import STATUSES, Status
from tracker.workbooks import cells

SECTIONS = (
    ("achievements", _l("Achievements")),
    ("improvements", _l("Areas for improvement")),
    ("next_steps", _l("Next steps")),
)


def _status(sheet, value: str | None):
    if value is None:
        return cells.text(sheet, _("not yet in the tracker"))
    return cells.status(sheet, Status(value), value)


def _yes(sheet, flag: bool):
    return cells.text(sheet, _("yes") if flag else _("no"))


def _hours(sheet, value: str | None):
    return cells.number(sheet, Decimal(value)) if value is not None else cells.text(sheet, "")


def build_assessment_workbook(data: dict) -> bytes:
    """The report workbook of ``data`` as .xlsx bytes."""
    workbook = Workbook(write_only=True)
    _summary(workbook, data)
    _actions(workbook, data)
    _hours_sheet(workbook, data)
    _changes(workbook, data)
    _survey(workbook, data)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary(workbook, data) -> None:
    sheet = cells.create_sheet(workbook, _("Summary"))
    cells.columns(sheet, [28, 60, 12, 12, 12, 12, 12, 12])
    t, n = cells.text, cells.number
    summary = data["summary"]
    rows = [
        [cells.header(sheet, [_("Report")])[0], t(sheet, data["title"])],
        [t(sheet, _("Plan")), t(sheet, data["plan"]["title"])],
        [t(sheet, _("Organisation")), t(sheet, data["plan"]["organisation"])],
        [t(sheet, _("Plan identifier")), t(sheet, data["plan"]["identifier"])],
        [t(sheet, _("Period from")), cells.when(sheet, date.fromisoformat(data["period"]["start"]))],
        [t(sheet, _("Period to")), cells.when(sheet, date.fromisoformat(data["period"]["end"]))],
        [t(sheet, _("Figures as of")), cells.when(sheet, date.fromisoformat(data["as_of"]))],
    ]
    published = data.get("published")
    if published:
        rows.append([t(sheet, _("Published")), cells.when(sheet, datetime.fromisoformat(published["at"]))])
        rows.append([t(sheet, _("Published by")), t(sheet, published["by"])])
        if published.get("period_ended") is False:
            rows.append([t(sheet, _("Published before the period ended")), t(sheet, _("yes"))])
    rows += [
        [],
        cells.header(sheet, [_("In the period"), _("Actions")]),
        [t(sheet, _("Actions")), n(sheet, summary["actions"], "0")],
        [t(sheet, _("Completed in the period")), n(sheet, summary["completed"], "0")],
        [t(sheet, _("Started in the period")), n(sheet, summary["started"], "0")],
        [t(sheet, _("Became late in the period")), n(sheet, summary["became_late"], "0")],
        [t(sheet, _("Late at the end")), n(sheet, summary["late_at_end"], "0")],
        [t(sheet, _("Status changes")), n(sheet, summary["changes"], "0")],
        [],
        cells.header(sheet, [_("Status"), _("At the start"), _("At the end")]),
    ]
    for status in STATUSES:
        rows.append(
            [
                cells.status(sheet, status, status.value),
                n(sheet, summary["status_start"][status.value], "0"),
                n(sheet, summary["status_end"][status.value], "0"),
            ]
        )
    rows.append([])
    header_row = len(rows) + 1
    rows.append(
        cells.header(
            sheet,
            [
                _("Pillar"),
                *(_("%(status)s at the start", status=_(s.value)) for s in STATUSES),
                *(_("%(status)s at the end", status=_(s.value)) for s in STATUSES),
            ],
        )
    )
    for pillar in data["by_pillar"]:
        rows.append(
            [
                t(sheet, pillar["pillar"]),
                *(n(sheet, pillar["start"][s.value], "0") for s in STATUSES),
                *(n(sheet, pillar["end"][s.value], "0") for s in STATUSES),
            ]
        )
    last_pillar = len(rows)
    rows.append([])
    for key, title in SECTIONS:
        rows.append([cells.header(sheet, [str(title)])[0], t(sheet, data["sections"][key], wrap=True)])
    for row in rows:
        sheet.append(row)
    if data["by_pillar"]:
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
        chart.title, chart.y_axis.title = _("Status by pillar at the end of the period"), _("Actions")
        chart.add_data(
            Reference(sheet, min_col=5, max_col=7, min_row=header_row, max_row=last_pillar),
            titles_from_data=True,
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_pillar))
        for series, colour in zip(chart.series, ("00B050", "FFC000", "FF0000"), strict=True):
            series.graphicalProperties.solidFill = colour
        chart.width, chart.height = 18, 9
        sheet.add_chart(chart, "J2")


def _actions(workbook, data) -> None:
    sheet = cells.create_sheet(workbook, _("Actions"))
    titles = [
        _("Code"),
        _("Pillar"),
        _("Title"),
        _("Status at the start"),
        _("Status at the end"),
        _("Late at the start"),
        _("Late at the end"),
        _("Completed in the period"),
        _("Started in the period"),
        _("Became late in the period"),
    ]
    cells.columns(sheet, [10, 32, 60, 16, 16, 12, 12, 14, 14, 14])
    sheet.freeze_panes = "B2"
    sheet.append(cells.header(sheet, titles))
    t = cells.text
    for row in data["actions"]:
        sheet.append(
            [
                t(sheet, row["code"]),
                t(sheet, row["pillar"]),
                t(sheet, row["title"], wrap=True),
                _status(sheet, row["status_start"]),
                _status(sheet, row["status_end"]),
                _yes(sheet, row["late_start"]),
                _yes(sheet, row["late_end"]),
                _yes(sheet, row["completed"]),
                _yes(sheet, row["started"]),
                _yes(sheet, row["became_late"]),
            ]
        )
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{len(data['actions']) + 1}"


def _hours_sheet(workbook, data) -> None:
    sheet = cells.hours_sheet(workbook)
    t, n = cells.text, cells.number
    count = 0
    for year in data["hours"]:
        kinds = {kind["kind"]: kind for kind in year["kinds"]}
        for line in year["lines"]:
            kind = kinds[line["kind"]]
            sheet.append(
                [
                    n(sheet, year["year"], "0"),
                    t(sheet, line["name"]),
                    t(sheet, _(line["kind"])),
                    _hours(sheet, line["allocated"]),
                    _hours(sheet, kind["planned"]) if line["kind"] == "implementation" else t(sheet, ""),
                    _hours(sheet, kind["logged"]),
                    _hours(sheet, kind["remaining"]),
                    _yes(sheet, kind["over"]),
                ]
            )
            count += 1
        for pillar in year["pillars"]:
            sheet.append(
                [
                    n(sheet, year["year"], "0"),
                    t(sheet, pillar["pillar"]),
                    t(sheet, _("pillar")),
                    t(sheet, ""),
                    _hours(sheet, pillar["planned"]),
                    _hours(sheet, pillar["logged"]),
                    _hours(sheet, pillar["remaining"]),
                    _yes(sheet, pillar["over"]),
                ]
            )
            count += 1
        sheet.append(
            [
                n(sheet, year["year"], "0"),
                t(sheet, _("Total")),
                t(sheet, _("total")),
                _hours(sheet, year["allocated"]),
                _hours(sheet, year["planned"]),
                _hours(sheet, year["logged"]),
                _hours(sheet, year["remaining"]),
                _yes(sheet, year["over"]),
            ]
        )
        count += 1
    sheet.auto_filter.ref = f"A1:H{count + 1}"
    if not data["hours"]:
        return
    sheet.append([])
    first = count + 3
    sheet.append(cells.header(sheet, [_("Year"), "_(", ")_(", ")Allocated_(", ")Planned_(", ")Logged"]))
    for year in data["hours"]:
        sheet.append(
            [
                t(sheet, str(year["year"])),
                None,
                None,
                _hours(sheet, year["allocated"]),
                _hours(sheet, year["planned"]),
                _hours(sheet, year["logged"]),
            ]
        )
    chart = BarChart()
    chart.title, chart.y_axis.title = _("Hours by year"), _("Hours")
    last = first + len(data["hours"])
    chart.add_data(Reference(sheet, min_col=4, max_col=6, min_row=first, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first + 1, max_row=last))
    chart.width, chart.height = 18, 9
    sheet.add_chart(chart, "J2")


def _changes(workbook, data) -> None:
    sheet = cells.create_sheet(workbook, _("Changes"))
    cells.columns(sheet, [14, 10, 12, 12, 24, 60, 18])
    sheet.freeze_panes = "A2"
    sheet.append(
        cells.header(
            sheet, [_("Took effect on"), _("Action"), _("From"), _("To"), _("Who"), _("Note"), _("Recorded")]
        )
    )
    t = cells.text
    for change in data["changes"]:
        recorded = datetime.fromisoformat(change["at"])
        # Reports published before changes had a day of their own took effect when recorded.
        effective = change.get("effective_on") or recorded.date().isoformat()
        sheet.append(
            [
                cells.when(sheet, date.fromisoformat(effective)),
                t(sheet, change["code"]),
                _status(sheet, change["from"]),
                _status(sheet, change["to"]),
                t(sheet, change["who"]),
                t(sheet, change["note"], wrap=True),
                cells.when(sheet, recorded),
            ]
        )
    sheet.auto_filter.ref = f"A1:G{len(data['changes']) + 1}"


def _survey(workbook, data) -> None:
    sheet = cells.create_sheet(workbook, _("Survey"))
    cells.columns(sheet, [40, 12, 12, 12, 12])
    survey = data["survey"]
    t, n = cells.text, cells.number
    respondents = survey["respondents"]
    rate = survey["response_rate"]
    sheet.append(
        [t(sheet, _("Respondents")), n(sheet, respondents, "0") if respondents is not None else t(sheet, "")]
    )
    sheet.append(
        [
            t(sheet, _("Response rate")),
            n(sheet, Decimal(rate), PERCENT_NUMBER_FORMAT) if rate is not None else t(sheet, ""),
        ]
    )
    sheet.append([])
    sheet.append(
        cells.header(sheet, [_("Indicator"), _("Value"), _("Unit"), _("Previous survey"), _("Change")])
    )
    for indicator in survey["indicators"]:
        # Percentages and their change in percentage points by the pages' rules.
        percent = indicator["unit"].strip() in PERCENT_UNITS
        value_format = PERCENT_NUMBER_FORMAT if percent else HOURS_NUMBER_FORMAT
        change_format = POINTS_NUMBER_FORMAT if percent else "+#,##0.0#;-#,##0.0#;0.0"
        sheet.append(
            [
                t(sheet, indicator["name"], wrap=True),
                n(sheet, Decimal(indicator["value"]), value_format),
                t(sheet, indicator["unit"]),
                n(sheet, Decimal(indicator["previous"]), value_format)
                if indicator["previous"] is not None
                else t(sheet, ""),
                n(sheet, Decimal(indicator["change"]), change_format)
                if indicator["change"] is not None
                else t(sheet, ""),
            ]
        )
