"""The network view's charts by region, drawn like the dashboard's (matplotlib ``Figure``, never
pyplot; every name drawn as plain text; statuses and hours in the dashboard's colours and hatches)."""

from __future__ import annotations

from matplotlib.figure import Figure

from tracker.dashboard.charts import HOURS_STYLE, plain, stacked_statuses, to_svg
from tracker.networks.rollup import NetworkRollup


def status_by_region(rollup: NetworkRollup, labels: dict) -> bytes:
    """Horizontal stacked bars: the shared plans' actions of each region by status."""
    regions = rollup.regions[::-1]
    figure = Figure(figsize=(8, 0.6 * max(len(regions), 1) + 1.4))
    axes = figure.add_subplot()
    names = [plain(labels[region.region]) for region in regions]
    stacked_statuses(axes, names, [region.totals.counts for region in regions], labels)
    axes.set_xlabel(plain(labels["actions"]))
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return to_svg(figure)


def hours_by_region(rollup: NetworkRollup, labels: dict) -> bytes:
    """Grouped bars: hours allocated, planned and logged in each region."""
    regions = rollup.regions
    figure = Figure(figsize=(8, 4.2))
    axes = figure.add_subplot()
    width = 0.27
    positions = range(len(regions))
    for n, kind in enumerate(("allocated", "planned", "logged")):
        style = HOURS_STYLE[kind]
        axes.bar(
            [p + (n - 1) * width for p in positions],
            [float(getattr(region.totals, kind)) for region in regions],
            width=width,
            color=style["color"],
            hatch=style["hatch"],
            edgecolor="#222222",
            linewidth=0.6,
            label=plain(labels[kind]),
        )
    axes.set_xticks(
        list(positions), [plain(labels[region.region]) for region in regions], rotation=15, ha="right"
    )
    axes.set_ylabel(plain(labels["hours"]))
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return to_svg(figure)
