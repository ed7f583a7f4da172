"""What management sees: where the plan stands in one year, in a fixed number of queries.

Everything here is derived with the same rules as the rest of the tracker: late from
:mod:`tracker.plans.late`, occurrences from :mod:`tracker.plans.timeline`, hours from
:func:`tracker.hours.rollup.hour_rollup`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.hours.rollup import HourRollup, hour_rollups
from tracker.plans.changes import (
    PLAN_WORK,
    ChangeFilter,
    ChangeSentence,
    Published,
    count_changes,
    last_published_report,
    plan_changes,
)
from tracker.plans.history import data_version as plan_data_version
from tracker.plans.history import status_changes_by
from tracker.plans.late import is_late
from tracker.plans.models import (
    STATUSES,
    Pillar,
    Plan,
    Status,
)
from tracker.plans.status import status_on
from tracker.plans.timeline import OccurrenceState
from tracker.tracking.flags import Flag, FlagKind, flags_of, last_changed
from tracker.tracking.lines import ActionLine, load_lines_of


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
class HoursUsed:
    """One allocation kind or pillar: its budget, the hours logged, and the share used."""

    name: str
    budget: Decimal
    logged: Decimal
    over: bool

    @property
    def used(self) -> Decimal | None:
        """Logged as a percentage of the budget; ``None`` without a budget."""
        if not self.budget:
            return None
        return (self.logged * 100 / self.budget).quantize(Decimal("0.1"))


@dataclass
class Dashboard:
    """The dashboard of one plan and year, as of one date, compared with an earlier date."""

    plan: Plan
    year: int
    on: date
    pillars: list[Pillar]
    actions: list[ActionLine]
    rollup: HourRollup
    latest: list[ChangeSentence]
    data_version: int
    since: date | None = None
    report: Published | None = None
    then: dict[Status, int] = field(default_factory=dict)
    then_late: int = 0
    changes_since: int = 0
    flags: dict[int, list[Flag]] = field(default_factory=dict)
    by_pillar: list[PillarStatus] = field(default_factory=list)

    @property
    def counts(self) -> dict[Status, int]:
        counted = Counter(action.status for action in self.actions)
        return {status: counted.get(status, 0) for status in STATUSES}

    def change(self, status: Status | None) -> int:
        """How many more (or fewer) actions are in ``status`` (``None``: late) than on ``since``."""
        if status is None:
            return len(self.late) - self.then_late
        return self.counts[status] - self.then.get(status, 0)

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

    @property
    def due_open(self) -> list[tuple[ActionLine, OccurrenceState]]:
        """This year's occurrences not marked done yet."""
        return [(action, occurrence) for action, occurrence in self.due if not occurrence.done]

    @property
    def year_gone(self) -> Decimal:
        """The share of the year gone on ``on``, as a percentage (100 for a past year)."""
        if self.year < self.on.year:
            return Decimal(100)
        if self.year > self.on.year:
            return Decimal(0)
        days = (date(self.year, 12, 31) - date(self.year, 1, 1)).days + 1
        gone = (self.on - date(self.year, 1, 1)).days + 1
        return (Decimal(gone) * 100 / days).quantize(Decimal("0.1"))

    @property
    def hours_by_kind(self) -> list[HoursUsed]:
        """Each allocation kind that has hours, named by its lines."""
        rows = []
        for kind, figures in self.rollup.by_kind.items():
            names = [line.name for line in self.rollup.lines if line.kind is kind]
            if not names and not figures.logged:
                continue
            rows.append(
                HoursUsed(
                    ", ".join(names) or _(kind.value),
                    figures.allocated,
                    figures.logged,
                    figures.logged > figures.allocated,
                )
            )
        return rows

    @property
    def hours_by_pillar(self) -> list[HoursUsed]:
        """Each pillar's planned hours and hours logged."""
        return [
            HoursUsed(pillar.label, pillar.planned, pillar.logged, pillar.over_allocated)
            for pillar in self.rollup.by_pillar
        ]

    @property
    def hours_total(self) -> HoursUsed:
        r = self.rollup
        return HoursUsed(_("All hours"), r.allocated, r.logged, r.logged > r.allocated)

    @property
    def quiet(self) -> int:
        """How many open actions were not updated for long (the flags' one rule)."""
        return sum(1 for found in self.flags.values() if any(f.kind is FlagKind.STALE for f in found))

    def flagged(self, kind: FlagKind) -> list[tuple[ActionLine, Flag]]:
        """The actions with a flag of ``kind``, in the plan's order."""
        return [
            (action, flag)
            for action in self.actions
            for flag in self.flags.get(action.id, ())
            if flag.kind is kind
        ]


def data_version(session: Session, plan: Plan) -> int:
    """A number that grows with every committed change of the plan's records, in commit order
    (the plan's counter, :func:`tracker.plans.history.data_version`), read fresh: figures cached
    under it hold every change it counts. The newest history id would not do: PostgreSQL hands
    ids out as transactions start writing, so a reader could cache figures under id N+1 without
    the change that holds id N, still uncommitted."""
    return plan_data_version(session, plan.id)


def default_since(session: Session, plan: Plan, year: int, on: date) -> tuple[date, Published | None]:
    """What "since" means when nobody chose a date: the last published report's day; without
    one, the first day of the year shown (or of this year)."""
    report = last_published_report(session, plan.id)
    if report is not None and report.on <= on:
        return report.on, report
    return date(min(year, on.year), 1, 1), None


def build_dashboard(
    session: Session,
    plan: Plan,
    year: int,
    on: date,
    latest: int = 6,
    version: int | None = None,
    since: date | None = None,
) -> Dashboard:
    """Everything the dashboard shows for ``plan`` in ``year``, late as of ``on``, compared with
    ``since`` (by default the last published report); ``version`` is the data version the
    caller read (the cache key), read here when not given."""
    board = build_dashboards(session, [plan], year, on)[plan.id]
    chosen, report = default_since(session, plan, year, on)
    if since is not None:
        chosen, report = since, (report if report is not None and report.on == since else None)
    board.since, board.report = chosen, report
    board.latest = plan_changes(
        session, plan.id, ChangeFilter(types=PLAN_WORK), per_page=latest, counted=False
    ).sentences
    board.changes_since = count_changes(session, plan.id, ChangeFilter(since=chosen, types=PLAN_WORK))
    board.then, board.then_late = standing_on(session, board.actions, chosen)
    board.data_version = data_version(session, plan) if version is None else version
    return board


def build_dashboards(session: Session, plans: list[Plan], year: int, on: date) -> dict[int, Dashboard]:
    """The dashboards of several plans at once (by plan id), without their history (latest
    changes, the comparison with an earlier date), in the same few queries however many plans:
    a network's roll-up reads its members' figures from these, so they are the figures each
    member's own dashboard shows."""
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
    boards = {}
    for plan in plans:
        lines = loaded[plan.id]
        rollup = rollups[plan.id]
        board = Dashboard(
            plan=plan,
            year=year,
            on=on,
            pillars=lines.pillars,
            actions=lines.open,
            rollup=rollup,
            latest=[],
            data_version=0,  # the caller's: build_dashboard reads it, a network its plans'
        )
        board.flags = {
            action.id: found
            for action in lines.open
            if (found := flags_of(action, rollup.action(action.id), year, on, changed.get(action.id)))
        }
        board.by_pillar = status_by_pillar(lines.pillars, lines.open)
        boards[plan.id] = board
    return boards


def standing_on(session: Session, actions: list[ActionLine], day: date) -> tuple[dict[Status, int], int]:
    """How many of ``actions`` were in each status at the end of ``day``, and how many were late
    then (by the one rule of :mod:`tracker.plans.late`, occurrence marks as they stand)."""
    changes = status_changes_by(session, [action.id for action in actions], day)
    counted: Counter = Counter()
    late = 0
    for action in actions:
        then = status_on(changes.get(action.id, ()), day)
        if then is None:
            continue
        counted[then] += 1
        late += is_late(then, action.start_year, action.end_year, action.occurrences, day)
    return {status: counted.get(status, 0) for status in STATUSES}, late


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
