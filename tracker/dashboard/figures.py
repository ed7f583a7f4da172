"""What management sees: where the plan stands in one year, in a fixed number of queries.

Everything here is derived with the same rules as the rest of the tracker: late from
:mod:`tracker.plans.late`, occurrences from :mod:`tracker.plans.timeline`, hours from
:func:`tracker.hours.rollup.hour_rollup`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.accounts.models import User
from tracker.history.models import HistoryEntry
from tracker.hours.rollup import HourRollup, hour_rollups
from tracker.plans.history import data_version as plan_data_version
from tracker.plans.models import (
    STATUSES,
    Action,
    Pillar,
    Plan,
    Status,
)
from tracker.plans.timeline import OccurrenceState
from tracker.tracking.lines import ActionLine, load_lines_of

# An action not completed whose record has not changed for this long is "not updated".
QUIET_DAYS = 90


@dataclass(frozen=True)
class PillarStatus:
    """How many actions of a pillar are in each status, and how many are late."""

    pillar: Pillar
    counts: dict[Status, int]
    late: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Change:
    """One recent change of the plan's records."""

    at: datetime
    user: str | None
    entity: str
    entity_id: int
    kind: str
    field: str | None
    note: str


@dataclass
class Dashboard:
    """The dashboard of one plan and year, as of one date."""

    plan: Plan
    year: int
    on: date
    pillars: list[Pillar]
    actions: list[ActionLine]
    rollup: HourRollup
    latest: list[Change]
    data_version: int
    by_pillar: list[PillarStatus] = field(default_factory=list)
    # Open actions, not completed, whose record has not changed in QUIET_DAYS days before ``on``.
    quiet: int = 0

    @property
    def counts(self) -> dict[Status, int]:
        counted = Counter(action.status for action in self.actions)
        return {status: counted.get(status, 0) for status in STATUSES}

    @property
    def late(self) -> list[ActionLine]:
        return [action for action in self.actions if action.late]

    @property
    def completed_share(self) -> float | None:
        """The share of the open actions that are completed (None when there are none)."""
        return self.counts[Status.COMPLETED] / len(self.actions) if self.actions else None

    @property
    def used_share(self) -> float | None:
        """The share of the year's allocated hours that are logged (None when none are allocated)."""
        allocated = self.rollup.allocated
        return float(self.rollup.logged / allocated) if allocated else None

    @property
    def due(self) -> list[tuple[ActionLine, OccurrenceState]]:
        """The occurrences of this year, done or not."""
        return [
            (action, occurrence)
            for action in self.actions
            for occurrence in action.occurrences
            if occurrence.year == self.year
        ]


def data_version(session: Session, plan: Plan) -> int:
    """A number that grows with every committed change of the plan's records, in commit order
    (the plan's counter, :func:`tracker.plans.history.data_version`), read fresh: figures cached
    under it hold every change it counts. The newest history id would not do: PostgreSQL hands
    ids out as transactions start writing, so a reader could cache figures under id N+1 without
    the change that holds id N, still uncommitted."""
    return plan_data_version(session, plan.id)


def build_dashboard(
    session: Session, plan: Plan, year: int, on: date, latest: int = 10, version: int | None = None
) -> Dashboard:
    """Everything the dashboard shows for ``plan`` in ``year``, late as of ``on``; ``version`` is
    the data version the caller read (the cache key), read here when not given."""
    board = build_dashboards(session, [plan], year, on)[plan.id]
    history = session.execute(
        sa.select(HistoryEntry, User.name)
        .outerjoin(User, User.id == HistoryEntry.user_id)
        .where(HistoryEntry.plan_id == plan.id)
        .order_by(HistoryEntry.id.desc())
        .limit(latest)
    ).all()
    board.latest = [
        Change(entry.at, name, entry.entity, entry.entity_id, entry.kind.value, entry.field, entry.note)
        for entry, name in history
    ]
    board.data_version = data_version(session, plan) if version is None else version
    return board


def build_dashboards(session: Session, plans: list[Plan], year: int, on: date) -> dict[int, Dashboard]:
    """The dashboards of several plans at once (by plan id), without their latest changes, in
    the same few queries however many plans: a network's roll-up reads its members' figures
    from these, so they are the figures each member's own dashboard shows."""
    loaded = load_lines_of(session, plans, on, hours=False)
    pillar_of = {action: pillar for lines in loaded.values() for action, pillar in lines.pillar_of.items()}
    rollups = hour_rollups(
        session,
        plans,
        year,
        pillars={plan_id: lines.pillars for plan_id, lines in loaded.items()},
        pillar_of=pillar_of,
    )
    changed = last_changed(session, plans)
    cutoff = datetime.combine(on, time.min, tzinfo=UTC) - timedelta(days=QUIET_DAYS)
    boards = {}
    for plan in plans:
        lines = loaded[plan.id]
        board = Dashboard(
            plan=plan,
            year=year,
            on=on,
            pillars=lines.pillars,
            actions=lines.open,
            rollup=rollups[plan.id],
            latest=[],
            data_version=0,  # the caller's: build_dashboard reads it, a network its plans'
        )
        board.by_pillar = status_by_pillar(lines.pillars, lines.open)
        board.quiet = sum(
            1
            for action in lines.open
            if action.status is not Status.COMPLETED and changed.get(action.id, cutoff) < cutoff
        )
        boards[plan.id] = board
    return boards


def last_changed(session: Session, plans: list[Plan]) -> dict[int, datetime]:
    """When each action of ``plans`` last changed: its newest history row, else its creation."""
    newest = (
        sa.select(sa.func.max(HistoryEntry.at))
        .where(HistoryEntry.entity == Action.__tablename__, HistoryEntry.entity_id == Action.id)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(Action.id, Action.created_at, sa.type_coerce(newest, HistoryEntry.at.type)).where(
            Action.plan_id.in_(sorted({plan.id for plan in plans})), Action.archived_at.is_(None)
        )
    )
    return {action_id: max(created, changed or created) for action_id, created, changed in rows}


def status_by_pillar(pillars: list[Pillar], actions: list[ActionLine]) -> list[PillarStatus]:
    """The number of actions of each pillar in each status, and how many are late."""
    counts: dict[int, Counter] = defaultdict(Counter)
    late: Counter = Counter()
    for action in actions:
        counts[action.pillar_id][action.status] += 1
        late[action.pillar_id] += bool(action.late)
    return [
        PillarStatus(
            pillar, {status: counts[pillar.id].get(status, 0) for status in STATUSES}, late[pillar.id]
        )
        for pillar in pillars
    ]


def timeline_summary(
    plan: Plan, pillars: list[Pillar], actions: list[ActionLine]
) -> list[tuple[Pillar, dict]]:
    """For each pillar and year, how many of its actions run then, by status: the timeline's table."""
    table = []
    for pillar in pillars:
        per_year = {year: Counter() for year in plan.years}
        for action in actions:
            if action.pillar_id != pillar.id:
                continue
            last = action.end_year or plan.end_year
            for year in range(max(action.start_year, plan.start_year), min(last, plan.end_year) + 1):
                per_year[year][action.status] += 1
        table.append((pillar, per_year))
    return table
