"""A network's roll-up for a year: per region and organisation, from each plan's own dashboard.

Every figure of a member's plan comes from :func:`tracker.dashboard.figures.build_dashboards`,
the dashboard's own definition (statuses and late from ``tracker.plans.late``, hours from
``tracker.hours.rollup``), so the network view and each member's dashboard agree to the
hundredth. Only plans whose member shares them with the network (``network`` or ``public``)
count, and only those whose period holds the year. The queries are the same few however many
members the network has.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from tracker.accounts.models import Membership, Network, Organisation, Region
from tracker.dashboard.figures import Dashboard, build_dashboards
from tracker.hours.rollup import ZERO
from tracker.plans.models import SHARED_WITH_NETWORKS, STATUSES, Plan, Status


@dataclass
class Figures:
    """Summed figures of some plans: actions by status, late, not updated, hours."""

    plans: int = 0
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    late: int = 0
    quiet: int = 0
    allocated: Decimal = ZERO
    planned: Decimal = ZERO
    logged: Decimal = ZERO

    @property
    def actions(self) -> int:
        return sum(self.counts.values())

    @property
    def completed_share(self) -> float | None:
        """Completed actions over all open actions (None without actions)."""
        return self.counts[Status.COMPLETED] / self.actions if self.actions else None

    @property
    def used_share(self) -> float | None:
        """Logged hours over allocated hours (None when none are allocated)."""
        return float(self.logged / self.allocated) if self.allocated else None

    def add_board(self, board: Dashboard) -> None:
        """Count one plan's dashboard in."""
        self.plans += 1
        for status, count in board.counts.items():
            self.counts[status] += count
        self.late += len(board.late)
        self.quiet += board.quiet
        self.allocated += board.rollup.allocated
        self.planned += board.rollup.planned
        self.logged += board.rollup.logged

    def add(self, other: Figures) -> None:
        """Count another group's figures in (subtotals and totals)."""
        self.plans += other.plans
        for status in STATUSES:
            self.counts[status] += other.counts[status]
        self.late += other.late
        self.quiet += other.quiet
        self.allocated += other.allocated
        self.planned += other.planned
        self.logged += other.logged


@dataclass
class MemberFigures:
    """One member organisation and the figures of the plans it shares."""

    organisation: Organisation
    figures: Figures
    boards: list[Dashboard]


@dataclass(frozen=True)
class Medians:
    """The middle member of a group (members that share a plan), figure by figure."""

    completed_share: float | None
    late: float | None
    quiet: float | None
    used_share: float | None

    @classmethod
    def of(cls, members: Iterable[MemberFigures]) -> Medians:
        shared = [member.figures for member in members if member.figures.plans]

        def middle(values) -> float | None:
            values = [value for value in values if value is not None]
            return statistics.median(values) if values else None

        return cls(
            completed_share=middle(f.completed_share for f in shared),
            late=middle(f.late for f in shared),
            quiet=middle(f.quiet for f in shared),
            used_share=middle(f.used_share for f in shared),
        )


@dataclass
class RegionFigures:
    """A region's members and their subtotal."""

    region: Region
    members: list[MemberFigures]
    totals: Figures
    medians: Medians


@dataclass
class NetworkRollup:
    """A network's figures for one year, late as of one day."""

    network: Network
    year: int
    on: date
    regions: list[RegionFigures]
    totals: Figures
    medians: Medians

    @property
    def members(self) -> list[MemberFigures]:
        return [member for region in self.regions for member in region.members]


def members_of(session: Session, network: Network) -> list[Organisation]:
    """The network's member organisations, by region (in the regions' order) and name."""
    organisations = session.scalars(
        sa.select(Organisation)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.network_id == network.id)
        .order_by(Organisation.name)
    ).all()
    order = {region: n for n, region in enumerate(Region)}
    return sorted(organisations, key=lambda org: (order[org.region], org.name.casefold()))


def shared_plans(session: Session, network: Network, year: int) -> list[Plan]:
    """The plans members share with the network whose period holds ``year``."""
    members = sa.select(Membership.organisation_id).where(Membership.network_id == network.id)
    return list(
        session.scalars(
            sa.select(Plan)
            .options(joinedload(Plan.organisation))
            .where(
                Plan.organisation_id.in_(members),
                Plan.sharing.in_(SHARED_WITH_NETWORKS),
                Plan.start_year <= year,
                Plan.end_year >= year,
            )
            .order_by(Plan.organisation_id, Plan.title, Plan.id)
        )
    )


def network_rollup(session: Session, network: Network, year: int, on: date) -> NetworkRollup:
    """The network's roll-up for ``year``: every member, with or without shared plans."""
    organisations = members_of(session, network)
    plans = shared_plans(session, network, year)
    boards = build_dashboards(session, plans, year, on) if plans else {}
    by_member: dict[int, list[Dashboard]] = {org.id: [] for org in organisations}
    for plan in plans:
        by_member[plan.organisation_id].append(boards[plan.id])
    regions: list[RegionFigures] = []
    totals = Figures()
    for region in Region:
        members = []
        for organisation in organisations:
            if organisation.region is not region:
                continue
            figures = Figures()
            for board in by_member[organisation.id]:
                figures.add_board(board)
            members.append(MemberFigures(organisation, figures, by_member[organisation.id]))
        if not members:
            continue
        subtotal = Figures()
        for member in members:
            subtotal.add(member.figures)
        totals.add(subtotal)
        regions.append(RegionFigures(region, members, subtotal, Medians.of(members)))
    everyone = [member for region in regions for member in region.members]
    return NetworkRollup(network, year, on, regions, totals, Medians.of(everyone))


def own_figures(session: Session, organisation: Organisation, year: int, on: date) -> Figures:
    """An organisation's own figures for ``year``, from all of its plans whose period holds it:
    what its own dashboards show, shared or not (it is its own)."""
    plans = list(
        session.scalars(
            sa.select(Plan).where(
                Plan.organisation_id == organisation.id, Plan.start_year <= year, Plan.end_year >= year
            )
        )
    )
    figures = Figures()
    for board in build_dashboards(session, plans, year, on).values() if plans else []:
        figures.add_board(board)
    return figures


def figures_json(figures: Figures) -> dict:
    """The API's ``actions`` and ``hours`` of some figures; hours as JSON numbers."""
    return {
        "actions": {
            "completed": figures.counts[Status.COMPLETED],
            "ongoing": figures.counts[Status.ONGOING],
            "upcoming": figures.counts[Status.UPCOMING],
            "late": figures.late,
        },
        "hours": {
            "allocated": float(figures.allocated),
            "planned": float(figures.planned),
            "logged": float(figures.logged),
        },
    }


def rollup_json(rollup: NetworkRollup) -> dict:
    """The roll-up as ``GET /api/v1/networks/<id>/rollup`` answers it. A member that shares
    nothing with the network appears with ``"plans": 0`` and no figures."""
    regions = []
    for region in rollup.regions:
        organisations = []
        for member in region.members:
            row = {
                "organisation": member.organisation.name,
                "country": member.organisation.country,
                "plans": member.figures.plans,
            }
            if member.figures.plans:
                row.update(figures_json(member.figures))
            organisations.append(row)
        regions.append(
            {
                "region": region.region.value,
                "organisations": organisations,
                "totals": figures_json(region.totals),
            }
        )
    return {
        "network": rollup.network.name,
        "year": rollup.year,
        "regions": regions,
        "totals": figures_json(rollup.totals),
    }
