"""The round's network workbook: a summary sheet, then a sheet per region, one row per member.

Built only from the frozen submissions (their figures as submitted, checked against their
checksums) and the round itself, never from the plans as they are now: once a member has
submitted, changing its plan changes nothing here. The file is byte-for-byte the same for the
same submissions (its dates and the zip entries' times are fixed), so its checksum can be quoted.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from tracker.core.i18n import N_
from tracker.rounds.models import ReportingRound
from tracker.rounds.services import MemberState, MemberStatus, frozen_figures
from tracker.workbooks import cells

PERCENT_FORMAT = "0.00"
ACTION_KEYS = ("completed", "ongoing", "upcoming", "late")
HOUR_KEYS = ("allocated", "planned", "logged")
MEMBER_COLUMNS = [
    (N_("Organisation"), 34),
    (N_("Country"), 16),
    (N_("State"), 14),
    (N_("Submitted on"), 13),
    (N_("Submitted by"), 22),
    (N_("Plan"), 40),
    (N_("Completed"), 11),
    (N_("Ongoing"), 10),
    (N_("Upcoming"), 10),
    (N_("Late actions"), 10),
    (N_("Actions"), 9),
    (N_("Share completed (%)"), 12),
    (N_("Allocated h"), 12),
    (N_("Planned h"), 12),
    (N_("Logged h"), 12),
    (N_("Share used (%)"), 12),
    (N_("Figures SHA-256"), 20),
    (N_("Workbook SHA-256"), 20),
]
SUMMARY_COLUMNS = [
    (N_("Region"), 32),
    (N_("Members"), 10),
    (N_("Submitted"), 11),
    (N_("Late"), 8),
    (N_("Not submitted"), 13),
    (N_("Completed"), 11),
    (N_("Ongoing"), 10),
    (N_("Upcoming"), 10),
    (N_("Late actions"), 10),
    (N_("Allocated h"), 12),
    (N_("Planned h"), 12),
    (N_("Logged h"), 12),
]
# What a sheet's name may not hold (Excel), and its longest.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _Totals:
    def __init__(self):
        self.members = 0
        self.states: dict[MemberState, int] = defaultdict(int)
        self.actions: dict[str, int] = defaultdict(int)
        self.hours: dict[str, Decimal] = defaultdict(Decimal)

    def add(self, status: MemberStatus, figures: dict | None) -> None:
        self.members += 1
        self.states[status.state] += 1
        if figures is not None:
            for key in ACTION_KEYS:
                self.actions[key] += figures["actions"][key]
            for key in HOUR_KEYS:
                self.hours[key] += Decimal(figures["hours"][key])


def _row(sheet, status: MemberStatus, figures: dict | None) -> list:
    submission = status.submission
    if figures is None:
        organisation = status.organisation
        return [
            cells.text(sheet, organisation.name),
            cells.text(sheet, organisation.country),
            cells.text(sheet, _(status.state.value)),
        ]
    share_completed, share_used = figures["share_completed"], figures["share_used"]
    return [
        cells.text(sheet, figures["organisation"]["name"]),
        cells.text(sheet, figures["organisation"]["country"]),
        cells.text(sheet, _(status.state.value)),
        cells.when(sheet, submission.submitted_on),
        cells.text(sheet, figures.get("submitted_by", "")),
        cells.text(sheet, figures["plan"]["title"]),
        *(figures["actions"][key] for key in ACTION_KEYS),
        figures["actions"]["total"],
        cells.number(sheet, Decimal(share_completed), PERCENT_FORMAT) if share_completed else None,
        *(cells.number(sheet, Decimal(figures["hours"][key])) for key in HOUR_KEYS),
        cells.number(sheet, Decimal(share_used), PERCENT_FORMAT) if share_used else None,
        cells.text(sheet, submission.figures_sha256),
        cells.text(sheet, submission.workbook_sha256),
    ]


def _totals_row(sheet, label: str, totals: _Totals) -> list:
    return [
        cells.text(sheet, label),
        totals.members,
        totals.states[MemberState.SUBMITTED] + totals.states[MemberState.LATE],
        totals.states[MemberState.LATE],
        totals.states[MemberState.NOT_SUBMITTED],
        *(totals.actions[key] for key in ACTION_KEYS),
        *(cells.number(sheet, totals.hours[key]) for key in HOUR_KEYS),
    ]


def sheet_title(region: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: no []:*?/\\, at most 31 characters, unique in the book."""
    base = SHEET_FORBIDDEN.sub("-", region)[:31] or "Region"
    title, number = base, 2
    while title.casefold() in taken:
        suffix = f" {number}"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title.casefold())
    return title


def fixed_times(data: bytes) -> bytes:
    """The same .xlsx with every zip entry dated 1980-01-01: openpyxl stamps them with the time
    of writing, which would make two builds of the same figures differ."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return buffer.getvalue()


def build_round_workbook(round_: ReportingRound, network_name: str, statuses: list[MemberStatus]) -> bytes:
    """The round's workbook from its members' frozen submissions, as .xlsx bytes.

    Raises :class:`~tracker.rounds.services.Damaged` when a submission fails its checksum.
    """
    figures = {
        status.organisation.id: frozen_figures(status.submission) if status.submission else None
        for status in statuses
    }
    by_region: dict[str, list[MemberStatus]] = defaultdict(list)
    for status in statuses:
        frozen = figures[status.organisation.id]
        region = frozen["organisation"]["region"] if frozen else status.organisation.region.value
        by_region[region].append(status)
    regions = sorted(by_region)

    workbook = Workbook(write_only=True)
    # The round's own moment, not the time of building: the same submissions give the same file.
    stamp = round_.created_at.replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.title = round_.title
    workbook.properties.creator = "Gender Action Plan Tracker"

    summary = cells.create_sheet(workbook, _("Summary"))
    cells.columns(summary, [width for _title, width in SUMMARY_COLUMNS])
    summary.append([cells.text(summary, _("Round")), cells.text(summary, round_.title)])
    summary.append([cells.text(summary, _("Network")), cells.text(summary, network_name)])
    summary.append([cells.text(summary, _("Year")), round_.year])
    summary.append([cells.text(summary, _("Due date")), cells.when(summary, round_.due_on)])
    summary.append(
        [
            cells.text(summary, _("Figures")),
            cells.text(
                summary,
                _(
                    "As each member submitted them (frozen, with SHA-256 checksums); "
                    "a member's region is the one it had when it submitted."
                ),
            ),
        ]
    )
    summary.append([])
    summary.append(cells.header(summary, [_(title) for title, _width in SUMMARY_COLUMNS]))
    network = _Totals()
    region_totals = {}
    for region in regions:
        totals = _Totals()
        for status in by_region[region]:
            totals.add(status, figures[status.organisation.id])
            network.add(status, figures[status.organisation.id])
        region_totals[region] = totals
        summary.append(_totals_row(summary, _(region), totals))
    summary.append(_totals_row(summary, _("Network total"), network))

    taken = {_("Summary").casefold()}
    for region in regions:
        sheet = cells.create_sheet(workbook, sheet_title(_(region), taken))
        cells.columns(sheet, [width for _title, width in MEMBER_COLUMNS])
        sheet.freeze_panes = "A2"
        sheet.append(cells.header(sheet, [_(title) for title, _width in MEMBER_COLUMNS]))
        for status in by_region[region]:
            sheet.append(_row(sheet, status, figures[status.organisation.id]))
        totals = region_totals[region]
        sheet.append(
            [
                cells.text(sheet, _("%(region)s: total", region=_(region))),
                None,
                None,
                None,
                None,
                None,
                *(totals.actions[key] for key in ACTION_KEYS),
                None,
                None,
                *(cells.number(sheet, totals.hours[key]) for key in HOUR_KEYS),
            ]
        )
    # openpyxl's own save stamps the file with the time of saving; its writer does not.
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return fixed_times(buffer.getvalue())
