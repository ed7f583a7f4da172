"""Charts as SVG, drawn with matplotlib's object-oriented API (never pyplot) on Agg.

Colours come from the Okabe-Ito palette, which colour-blind readers tell apart; each status also
has its own hatch and its word in the legend, so every chart reads in greyscale too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from tracker.core.i18n import text_direction
from tracker.dashboard.figures import PillarStatus
from tracker.hours.rollup import YearHours
from tracker.plans.models import STATUSES, Pillar, Plan, Status
from tracker.tracking.lines import ActionLine

# Text stays text in the SVG (searchable, and its size readable). Set once for the process, at
# import: rc_context is global state, and charts are drawn by several threads at once.
matplotlib.rcParams["svg.fonttype"] = "none"

STATUS_STYLE = {
    Status.COMPLETED: {"color": "#009E73", "hatch": ""},
    Status.ONGOING: {"color": "#E69F00", "hatch": "///"},
    Status.UPCOMING: {"color": "#D55E00", "hatch": "..."},
}
# Charts are drawn at the width they are shown at (a phone's, so they need no shrinking), with text
# of FONT_PT points: 9 pt is 12 CSS px, above the 11 px a chart's text must keep as displayed.
WIDTH_IN = 3.6
FONT_PT = 9
LATE_COLOUR = "#000000"
HOURS_STYLE = {
    "allocated": {"color": "#0072B2", "hatch": ""},
    "planned": {"color": "#56B4E9", "hatch": "\\\\\\"},
    "logged": {"color": "#CC79A7", "hatch": "xx"},
}


def plain(text: str) -> str:
    """``text`` drawn as it is: matplotlib reads text between two ``$`` as mathtext.

    A pillar called "$x^$" made every chart fail (a 500, and a broken chart in a report published
    meanwhile). Each ``$`` escaped as ``\\$`` is drawn as a dollar sign, and no text is math.
    Category labels (the pillars of a bar chart) are not Text objects that take
    ``parse_math=False``, so escaping is the one rule for every label.
    """
    return str(text).replace("$", "\\$")


def new_figure(height: float) -> Figure:
    """A figure of the charts' width and ``height`` inches, its text FONT_PT points."""
    figure = Figure(figsize=(WIDTH_IN, height))
    return figure


def to_svg(figure: Figure) -> bytes:
    """The figure as SVG bytes, with its text kept as text (searchable, scalable, and its size
    readable by a test). In a right-to-left language the chart is mirrored: its horizontal axis
    runs from right to left and the vertical axis stands on the right, as the page reads."""
    if text_direction() == "rtl":
        for axes in figure.axes:
            axes.invert_xaxis()
            axes.yaxis.tick_right()
            axes.yaxis.set_label_position("right")
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def legible(axes) -> None:
    """Every text of ``axes`` at FONT_PT (given to each artist: rcParams are shared by threads)."""
    axes.tick_params(labelsize=FONT_PT)
    axes.xaxis.label.set_fontsize(FONT_PT)
    axes.yaxis.label.set_fontsize(FONT_PT)
    legend = axes.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            text.set_fontsize(FONT_PT)


def stacked_statuses(axes, names: list[str], counts: Sequence[dict[Status, int]], labels: dict) -> None:
    """One horizontal bar per name, its actions stacked by status in the statuses' colours and
    hatches (the same look wherever statuses are counted: a plan's pillars, a network's regions)."""
    left = [0] * len(names)
    for status in STATUSES:
        values = [row[status] for row in counts]
        style = STATUS_STYLE[status]
        axes.barh(
            names,
            values,
            left=left,
            color=style["color"],
            hatch=style["hatch"],
            edgecolor="#222222",
            linewidth=0.6,
            label=plain(labels[status]),
        )
        left = [a + b for a, b in zip(left, values, strict=True)]


def status_by_pillar(rows: Sequence[PillarStatus], labels: dict[Status, str]) -> bytes:
    """Horizontal stacked bars: how many actions of each pillar are in each status."""
    return _status_by_pillar(rows, labels)


def _status_by_pillar(rows: Sequence[PillarStatus], labels: dict[Status, str]) -> bytes:
    figure = new_figure(0.45 * max(len(rows), 1) + 1.3)
    axes = figure.add_subplot()
    # The pillars by number: their names are in the table beside, at a legible size.
    names = [plain(str(row.pillar.position)) for row in rows][::-1]
    stacked_statuses(axes, names, [row.counts for row in rows][::-1], labels)
    axes.set_xlabel(plain(labels["actions"]))
    axes.set_ylabel(plain(labels["pillar"]))
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=3,
        frameon=False,
        handlelength=1.2,
        columnspacing=0.8,
    )
    axes.spines[["top", "right"]].set_visible(False)
    legible(axes)
    return to_svg(figure)


def hours_by_year(rows: Sequence[YearHours], labels: dict[str, str]) -> bytes:
    """Grouped bars for every year of the plan: allocated, planned and logged hours."""
    return _hours_by_year(rows, labels)


def _hours_by_year(rows: Sequence[YearHours], labels: dict[str, str]) -> bytes:
    figure = new_figure(2.6)
    axes = figure.add_subplot()
    width = 0.27
    positions = list(range(len(rows)))
    for offset, key in zip((-width, 0, width), ("allocated", "planned", "logged"), strict=True):
        style = HOURS_STYLE[key]
        axes.bar(
            [p + offset for p in positions],
            [float(getattr(row, key)) for row in rows],
            width,
            color=style["color"],
            hatch=style["hatch"],
            edgecolor="#222222",
            linewidth=0.6,
            label=plain(labels[key]),
        )
    axes.set_xticks(positions, [str(row.year) for row in rows])
    axes.set_ylabel(plain(labels["hours"]))
    axes.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=3,
        frameon=False,
        handlelength=1.2,
        columnspacing=0.8,
    )
    axes.spines[["top", "right"]].set_visible(False)
    legible(axes)
    return to_svg(figure)


def timeline(
    plan: Plan, pillars: Sequence[Pillar], actions: Sequence[ActionLine], labels: dict, on: date
) -> bytes:
    """Every action across the plan's years, grouped by pillar, each bar marked with its status;
    a line marks ``on`` (today) and late actions are outlined and labelled "late"."""
    return _timeline(plan, pillars, actions, labels, on)


def year_position(plan: Plan, on: date) -> float | None:
    """Where ``on`` falls on the timeline's axis (a year runs from ``year`` to ``year + 1``)."""
    if on.year < plan.start_year or on.year > plan.end_year:
        return None
    days = (date(on.year, 12, 31) - date(on.year, 1, 1)).days + 1
    return on.year + ((on - date(on.year, 1, 1)).days + 0.5) / days


def _timeline(
    plan: Plan, pillars: Sequence[Pillar], actions: Sequence[ActionLine], labels: dict, on: date
) -> bytes:
    order = {pillar.id: index for index, pillar in enumerate(pillars)}
    ordered = sorted(actions, key=lambda a: (order.get(a.pillar_id, 0), a.position, a.id))
    height = 0.2 * max(len(ordered), 1) + 1.3
    figure = new_figure(min(height, 300))
    axes = figure.add_subplot()
    spans: dict[Status, list[tuple[float, float]]] = {status: [] for status in STATUSES}
    rows: dict[Status, list[int]] = {status: [] for status in STATUSES}
    late_bars = []
    for index, action in enumerate(ordered):
        start = max(action.start_year, plan.start_year)
        end = min(action.end_year or plan.end_year, plan.end_year)
        spans[action.status].append((start, end - start + 1))
        rows[action.status].append(index)
        if action.late:
            top = index - 0.4
            late_bars.append([(start, top), (end + 1, top), (end + 1, top + 0.8), (start, top + 0.8)])
    # One collection a status, not one a bar: 2,000 actions drew in seconds as single artists.
    for status in STATUSES:
        style = STATUS_STYLE[status]
        bars = [
            [(start, top), (start + length, top), (start + length, top + 0.8), (start, top + 0.8)]
            for (start, length), top in zip(spans[status], (i - 0.4 for i in rows[status]), strict=True)
        ]
        if bars:
            axes.add_collection(
                PolyCollection(
                    bars,
                    facecolors=style["color"],
                    hatch=style["hatch"],
                    edgecolors="#222222",
                    linewidths=0.4,
                )
            )
    if late_bars:
        # Late actions: a heavy outline, and "late" after their code.
        axes.add_collection(
            PolyCollection(late_bars, facecolors="none", edgecolors=LATE_COLOUR, linewidths=2.0)
        )
    axes.set_ylim(len(ordered) - 0.5, -0.5)
    if len(ordered) <= 150:
        axes.set_yticks(
            range(len(ordered)),
            [plain(f"{action.code} {labels['late']}" if action.late else action.code) for action in ordered],
        )
        for tick, action in zip(axes.get_yticklabels(), ordered, strict=True):
            if action.late:
                tick.set_fontweight("bold")
    else:
        axes.set_yticks([])
    # A line under each pillar's last action, and the pillar's number at the right (its name is
    # in the table beside).
    seen = 0
    for pillar in pillars:
        count = sum(1 for action in ordered if action.pillar_id == pillar.id)
        if count:
            axes.axhline(seen + count - 0.5, color="#555555", linewidth=0.8)
            axes.text(
                plan.end_year + 1.05,
                seen + count / 2 - 0.5,
                plain(str(pillar.position)),
                va="center",
                fontsize=FONT_PT,
            )
        seen += count
    axes.set_xlim(plan.start_year, plan.end_year + 1)
    axes.set_xticks([year + 0.5 for year in plan.years], [str(year) for year in plan.years])
    axes.tick_params(axis="x", length=0)
    for year in plan.years[1:]:
        axes.axvline(year, color="#bbbbbb", linewidth=0.5, zorder=0)
    handles = [
        Patch(
            facecolor=STATUS_STYLE[s]["color"],
            hatch=STATUS_STYLE[s]["hatch"],
            edgecolor="#222222",
            label=plain(labels[s]),
        )
        for s in STATUSES
    ]
    handles.append(
        Patch(facecolor="white", edgecolor=LATE_COLOUR, linewidth=2.0, label=plain(labels["late"]))
    )
    now = year_position(plan, on)
    if now is not None:
        axes.axvline(now, color="#0072B2", linewidth=1.6, linestyle="--", zorder=3)
        handles.append(
            Line2D([0], [0], color="#0072B2", linewidth=1.6, linestyle="--", label=plain(labels["today"]))
        )
    axes.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=3,
        frameon=False,
        handlelength=1.2,
        columnspacing=0.8,
    )
    axes.spines[["top", "right"]].set_visible(False)
    legible(axes)
    return to_svg(figure)
