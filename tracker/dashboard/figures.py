"""What management sees: where the plan stands in one year, in a fixed number of queries.

Everything here is derived with the same rules as the rest of the tracker: late from
:mod:`tracker.plans.late`, occurrences from :mod:`tracker.plans.timeline`, hours from
:func:`tracker.hours.rollup.hour_rollup`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.accounts.models import User
from tracker.history.models import HistoryEntry
from tracker.hours.rollup import HourRollup, hour_rollup
from tracker.plans.history import data_version as plan_data_version
from tracker.plans.models import (
    STATUSES,
    Pillar,
    Plan,
    Status,
)
from tracker.plans.timeline import OccurrenceState
from tracker.tracking.lines import ActionLine, load_lines


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

    @property
    def counts(self) -> dict[Status, int]:
        counted = Counter(action.status for action in self.actions)
        return {status: counted.get(status, 0) for status in STATUSES}

    @property
    def late(self) -> list[ActionLine]:
        return [action for action in self.actions if action.late]

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
    loaded = load_lines(session, plan, on, hours=False)
    pillars, actions = loaded.pillars, loaded.open
    rollup = hour_rollup(session, plan, year, pillars=pillars, pillar_of=loaded.pillar_of)
    history = session.execute(
        sa.select(HistoryEntry, User.name)
        .outerjoin(User, User.id == HistoryEntry.user_id)
        .where(HistoryEntry.plan_id == plan.id)
        .order_by(HistoryEntry.id.desc())
        .limit(latest)
    ).all()
    changes = [
        Change(entry.at, name, entry.entity, entry.entity_id, entry.kind.value, entry.field, entry.note)
        for entry, name in history
    ]
    board = Dashboard(
        plan=plan,
        year=year,
        on=on,
        pillars=pillars,
        actions=actions,
        rollup=rollup,
        latest=changes,
        data_version=data_version(session, plan) if version is None else version,
    )
    board.by_pillar = status_by_pillar(pillars, actions)
    return board


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
