"""Charts as SVG, drawn with matplotlib's object-oriented API (never pyplot) on Agg.

Colours come from the Okabe-Ito palette, which colour-blind readers tell apart; each status also
has its own hatch and its word in the legend, so every chart reads in greyscale too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from tracker.dashboard.figures import PillarStatus
from tracker.hours.rollup import YearHours
from tracker.plans.models import STATUSES, Pillar, Plan, Status
from tracker.tracking.lines import ActionLine

STATUS_STYLE = {
    Status.COMPLETED: {"color": "#009E73", "hatch": ""},
    Status.ONGOING: {"color": "#E69F00", "hatch": "///"},
    Status.UPCOMING: {"color": "#D55E00", "hatch": "..."},
}
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


def to_svg(figure: Figure) -> bytes:
    """The figure as SVG bytes, with its text kept as text (searchable, scalable)."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def status_by_pillar(rows: Sequence[PillarStatus], labels: dict[Status, str]) -> bytes:
    """Horizontal stacked bars: how many actions of each pillar are in each status."""
    figure = Figure(figsize=(8, 0.55 * max(len(rows), 1) + 1.4))
    axes = figure.add_subplot()
    names = [plain(row.pillar.label) for row in rows][::-1]
    left = [0] * len(rows)
    for status in STATUSES:
        values = [row.counts[status] for row in rows][::-1]
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
    axes.set_xlabel(plain(labels["actions"]))
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return to_svg(figure)


def hours_by_year(rows: Sequence[YearHours], labels: dict[str, str]) -> bytes:
    """Grouped bars for every year of the plan: allocated, planned and logged hours."""
    figure = Figure(figsize=(8, 3.6))
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
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return to_svg(figure)


def timeline(plan: Plan, pillars: Sequence[Pillar], actions: Sequence[ActionLine], labels: dict) -> bytes:
    """Every action across the plan's years, grouped by pillar, each bar marked with its status."""
    order = {pillar.id: index for index, pillar in enumerate(pillars)}
    ordered = sorted(actions, key=lambda a: (order.get(a.pillar_id, 0), a.id))
    height = 0.22 * max(len(ordered), 1) + 1.6
    figure = Figure(figsize=(9, min(height, 300)))
    axes = figure.add_subplot()
    spans: dict[Status, list[tuple[float, float]]] = {status: [] for status in STATUSES}
    rows: dict[Status, list[int]] = {status: [] for status in STATUSES}
    for index, action in enumerate(ordered):
        start = max(action.start_year, plan.start_year)
        end = min(action.end_year or plan.end_year, plan.end_year)
        spans[action.status].append((start, end - start + 1))
        rows[action.status].append(index)
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
    axes.set_ylim(len(ordered) - 0.5, -0.5)
    if len(ordered) <= 150:
        axes.set_yticks(range(len(ordered)), [plain(action.code) for action in ordered], fontsize=8)
    else:
        axes.set_yticks([])
    # A line under each pillar's last action.
    seen = 0
    for pillar in pillars:
        count = sum(1 for action in ordered if action.pillar_id == pillar.id)
        if count:
            axes.axhline(seen + count - 0.5, color="#555555", linewidth=0.8)
            axes.text(
                plan.end_year + 1.05,
                seen + count / 2 - 0.5,
                plain(pillar.label),
                va="center",
                fontsize=8,
            )
        seen += count
    axes.set_xlim(plan.start_year, plan.end_year + 1)
    axes.set_xticks([year + 0.5 for year in plan.years], [str(year) for year in plan.years])
    axes.legend(
        handles=[
            Patch(
                facecolor=STATUS_STYLE[s]["color"],
                hatch=STATUS_STYLE[s]["hatch"],
                edgecolor="#222222",
                label=plain(labels[s]),
            )
            for s in STATUSES
        ],
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=3,
        frameon=False,
    )
    axes.spines[["top", "right"]].set_visible(False)
    return to_svg(figure)
