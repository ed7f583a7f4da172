"""Loading a plan from a seed file, and demo data to try the app with.

A seed file is validated whole before anything is written; every problem is reported with the
file, the action and the field. Loading is idempotent: what exists already is left as it is, so a
second run duplicates nothing and overwrites nobody's updates.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.accounts.models import Network, Organisation, Region, User
from tracker.accounts.networks import add_member, create_network, create_organisation
from tracker.accounts.services import create_user, hash_password, normalise_email
from tracker.assessments.report import (
    AssessmentTexts,
    IndicatorInput,
    create_assessment,
    default_period,
    update_assessment,
)
from tracker.core.paths import resource_dir
from tracker.core.permissions import Role
from tracker.history.recording import note_change, set_actor, set_clock
from tracker.hours.models import TimeEntry
from tracker.plans import rules
from tracker.plans.history import take_effect_on
from tracker.plans.models import (
    Action,
    AllocationKind,
    AllocationLine,
    Cadence,
    Occurrence,
    Pillar,
    Plan,
    PlannedHours,
    Sharing,
    Status,
)
from tracker.plans.sharing import set_sharing

SEED_DIR = resource_dir("seed")
ICLEI_SEED = SEED_DIR / "iclei.toml"
MAX_TITLE = 300
MAX_TEXT = 20_000


class SeedError(Exception):
    """A seed file that does not validate; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class SeedResult:
    """What a seed run added, and what it found already there."""

    plan: Plan
    added: dict[str, int] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, added: bool) -> None:
        bucket = self.added if added else self.present
        bucket[what] = bucket.get(what, 0) + 1


class _Checker:
    """Collects problems as ``FILE: WHERE: field 'F': message``."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def problem(self, where: str, field_name: str, message: str) -> None:
        self.problems.append(f"{self.path}: {where}: field '{field_name}': {message}")

    def text(self, record, where, name, *, required=True, limit=MAX_TEXT):
        value = record.get(name)
        if value is None:
            if required:
                self.problem(where, name, "is missing")
            return ""
        if not isinstance(value, str):
            self.problem(where, name, "must be text")
            return ""
        if required and not value.strip():
            self.problem(where, name, "must not be empty")
        if len(value) > limit:
            self.problem(where, name, f"is longer than {limit} characters")
        return value.strip()

    def year(self, record, where, name, *, required=True):
        value = record.get(name)
        if value is None:
            if required:
                self.problem(where, name, "is missing")
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 1900 <= value <= 2200:
            self.problem(where, name, f"{value!r} is not a year")
            return None
        return value

    def day(self, record, where, name, *, years: range, latest: date | None, default: date | None):
        """A TOML date (``2023-12-31``, unquoted) within ``years`` and not after ``latest``."""
        value = record.get(name)
        if value is None:
            return default
        if not isinstance(value, date) or isinstance(value, datetime):
            self.problem(where, name, f"{value!r} is not a date such as 2023-12-31 (unquoted)")
            return None
        if years and value.year not in years:
            self.problem(where, name, f"{value} is outside the plan's period {years[0]}-{years[-1]}")
            return None
        if latest is not None and value > latest:
            self.problem(where, name, f"{value} is after the statuses were published ({latest})")
            return None
        return value

    def choice(self, record, where, name, enum_cls):
        value = record.get(name)
        try:
            return enum_cls(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum_cls)
            self.problem(where, name, f"{value!r} is not one of {allowed}")
            return None

    def hours(self, record, where, name):
        value = record.get(name)
        try:
            hours = Decimal(str(value))
        except InvalidOperation:
            hours = None
        if value is None or isinstance(value, bool) or hours is None or not hours.is_finite():
            self.problem(where, name, f"{value!r} is not a number of hours")
            return None
        if hours < 0 or hours != hours.quantize(Decimal("0.01")):
            self.problem(where, name, f"{value!r} must be zero or more, with at most two decimals")
            return None
        return hours


def read_seed(path: Path) -> dict:
    """Parse and validate a seed file; raise :class:`SeedError` listing every problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedError([f"{path}: no such file"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SeedError([f"{path}: not a valid TOML file: {error}"]) from None
    check = _Checker(path)
    org = raw.get("organisation") or {}
    plan = raw.get("plan") or {}
    data = {
        "organisation": {
            "name": check.text(org, "organisation", "name", limit=200),
            "country": check.text(org, "organisation", "country", limit=100),
            "region": check.choice(org, "organisation", "region", Region),
        },
        "plan": {
            "title": check.text(plan, "plan", "title", limit=MAX_TITLE),
            "start_year": check.year(plan, "plan", "start_year"),
            "end_year": check.year(plan, "plan", "end_year"),
        },
        "pillars": [],
        "allocation": [],
        "actions": [],
        "recorded_at": None,
    }
    publication_year = (raw.get("source") or {}).get("publication_year")
    if publication_year is not None:
        if not isinstance(publication_year, int) or not 1900 <= publication_year <= 2200:
            check.problem("source", "publication_year", f"{publication_year!r} is not a year")
        else:
            # The statuses are those the document published. The history dates them mid-year of
            # its publication (the month is not given), so that reports over a period read the
            # plan as it stood then rather than on the day the seed ran.
            data["recorded_at"] = datetime(publication_year, 7, 1, 9, 0, tzinfo=UTC)
    start, end = data["plan"]["start_year"], data["plan"]["end_year"]
    if start and end and end < start:
        check.problem("plan", "end_year", f"{end} is before the start year {start}")
    plan_years = range(start, end + 1) if start and end and end >= start else range(0)

    positions = set()
    for index, pillar in enumerate(raw.get("pillars") or [], start=1):
        where = f"pillar {pillar.get('position', index)}"
        position = pillar.get("position")
        if not isinstance(position, int) or position < 1:
            check.problem(where, "position", f"{position!r} is not a whole number from 1")
        elif position in positions:
            check.problem(where, "position", f"pillar {position} is listed twice")
        positions.add(position)
        data["pillars"].append({"position": position, "name": check.text(pillar, where, "name", limit=200)})
    if not data["pillars"]:
        check.problem("plan", "pillars", "the plan has no pillars")

    for line in raw.get("allocation") or []:
        where = f"allocation {line.get('year')} {line.get('name', '?')!r}"
        year = check.year(line, where, "year")
        if year and plan_years and year not in plan_years:
            check.problem(where, "year", f"{year} is outside the plan's period")
        data["allocation"].append(
            {
                "year": year,
                "kind": check.choice(line, where, "kind", AllocationKind),
                "name": check.text(line, where, "name", limit=200),
                "description": check.text(line, where, "description", required=False),
                "hours": check.hours(line, where, "hours"),
            }
        )

    codes = set()
    for index, action in enumerate(raw.get("actions") or [], start=1):
        code = action.get("code")
        where = f"action {code}" if isinstance(code, str) and code else f"action #{index}"
        if not isinstance(code, str) or not rules.CODE_PATTERN.match(code):
            check.problem(where, "code", f"{code!r} is not a code such as 3.1.1")
        elif code in codes:
            check.problem(where, "code", f"{code} is listed twice")
        codes.add(code)
        pillar = action.get("pillar")
        if pillar not in positions:
            check.problem(where, "pillar", f"{pillar!r} is not one of the plan's pillars")
        start_year = check.year(action, where, "start_year")
        end_year = check.year(action, where, "end_year", required=False)
        if start_year and end_year and end_year < start_year:
            check.problem(where, "end_year", f"{end_year} is before the start year {start_year}")
        occurrences = []
        for mark in action.get("occurrences") or []:
            mark_where = f"{where}, occurrence {mark.get('year', '?')}"
            year = check.year(mark, mark_where, "year")
            if year and plan_years and year not in plan_years:
                check.problem(mark_where, "year", f"{year} is outside the plan's period")
            done = mark.get("done")
            if not isinstance(done, bool):
                check.problem(mark_where, "done", "must be true or false")
            occurrences.append(
                {
                    "year": year,
                    "done": bool(done),
                    "note": check.text(mark, mark_where, "note", required=False),
                }
            )
        data["actions"].append(
            {
                "code": code,
                "pillar": pillar,
                "position": index,
                "title": check.text(action, where, "title", limit=MAX_TITLE),
                "description": check.text(action, where, "description", required=False),
                "objectives": check.text(action, where, "objectives", required=False),
                "timeline_text": check.text(action, where, "timeline_text", limit=300),
                "start_year": start_year,
                "end_year": end_year,
                "cadence": check.choice(action, where, "cadence", Cadence),
                "status": check.choice(action, where, "status", Status),
                "status_reason": check.text(action, where, "status_reason"),
                "effective_on": check.day(
                    action,
                    where,
                    "effective_on",
                    years=plan_years,
                    latest=data["recorded_at"].date() if data["recorded_at"] else None,
                    default=date(start, 1, 1) if plan_years else None,
                ),
                "resources_text": check.text(action, where, "resources_text", required=False),
                "responsible": check.text(action, where, "responsible", required=False),
                "occurrences": occurrences,
            }
        )
    if not data["actions"]:
        check.problem("plan", "actions", "the plan has no actions")
    if check.problems:
        raise SeedError(check.problems)
    return data


def load_plan(session: Session, path: Path = ICLEI_SEED) -> SeedResult:
    """Load the plan of a seed file; the caller commits. Existing records are left untouched."""
    data = read_seed(path)
    clock = session.info.get("clock")
    if clock is None and data["recorded_at"] is not None:
        set_clock(session, data["recorded_at"])
    org_data = data["organisation"]
    organisation = session.scalar(sa.select(Organisation).where(Organisation.name == org_data["name"]))
    if organisation is None:
        organisation = Organisation(**org_data)
        session.add(organisation)
    plan = session.scalar(
        sa.select(Plan).where(
            Plan.organisation_id == organisation.id if organisation.id else sa.false(),
            Plan.title == data["plan"]["title"],
        )
    )
    created = plan is None
    if plan is None:
        plan = Plan(organisation=organisation, **data["plan"])
        session.add(plan)
        session.flush()
    result = SeedResult(plan=plan)
    result.count("plan", created)

    pillars = {pillar.position: pillar for pillar in plan.pillars}
    for pillar_data in data["pillars"]:
        exists = pillar_data["position"] in pillars
        if not exists:
            pillars[pillar_data["position"]] = Pillar(plan=plan, **pillar_data)
            session.add(pillars[pillar_data["position"]])
        result.count("pillars", not exists)

    existing_lines = {(line.year, line.name) for line in plan.allocation_lines}
    for position, line in enumerate(data["allocation"], start=1):
        exists = (line["year"], line["name"]) in existing_lines
        if not exists:
            session.add(AllocationLine(plan=plan, position=position, **line))
        result.count("allocation lines", not exists)
    session.flush()

    actions = {
        action.code: action for action in session.scalars(sa.select(Action).where(Action.plan_id == plan.id))
    }
    for action_data in data["actions"]:
        exists = action_data["code"] in actions
        result.count("actions", not exists)
        if exists:
            continue
        fields = {
            key: value
            for key, value in action_data.items()
            if key not in {"pillar", "occurrences", "status_reason", "effective_on"}
        }
        action = Action(plan_id=plan.id, pillar=pillars[action_data["pillar"]], **fields)
        action.occurrences = [Occurrence(**mark) for mark in action_data["occurrences"]]
        session.add(action)
        note_change(action, action_data["status_reason"])
        # The status as the document gives it, in effect from the day its wording dates it.
        take_effect_on(action, action_data["effective_on"])
    session.flush()
    set_clock(session, clock)
    return result


# Demo data ----------------------------------------------------------------------------------

DEMO_PASSWORD = "gender-equality-demo"
DEMO_USERS = [
    ("admin@example.org", "Amira Haddad", Role.ADMIN),
    ("editor@example.org", "Elena Rossi", Role.EDITOR),
    ("editor2@example.org", "Jonas Berg", Role.EDITOR),
    ("viewer@example.org", "Victor Mensah", Role.VIEWER),
]


def load_demo(
    session: Session, plan: Plan, today: date, password: str = DEMO_PASSWORD
) -> list[tuple[str, str]]:
    """Demo users of each role, budgets, logged hours and some history; the caller commits.

    Idempotent: the users' passwords are reset to ``password`` on every run (so the printed
    accounts always work); hours and history are added only the first time.
    """
    password_hash = hash_password(password)
    accounts = []
    users = []
    first_run = False
    for email, name, role in DEMO_USERS:
        user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
        if user is None:
            first_run = True
            user = create_user(
                session,
                email=email,
                name=name,
                role=role,
                password="",
                organisation=plan.organisation,
                password_hash=password_hash,
            )
        else:
            user.password_hash = password_hash
            user.active = True
        users.append(user)
        accounts.append((email, role.value))
    session.flush()
    if first_run:
        _demo_activity(session, plan, users, today)
        _demo_assessment(session, plan, users[1])
    return accounts


def _demo_assessment(session: Session, plan: Plan, editor: User) -> None:
    """A draft of the 2024-2025 assessment report, with an invented survey summary to try it with."""
    set_actor(session, editor.id)
    start, end = default_period(2025)
    assessment = create_assessment(session, plan, start=start, end=end)
    update_assessment(
        session,
        assessment,
        AssessmentTexts(
            title=assessment.title,
            respondents=41,
            response_rate=Decimal("68.3"),
            achievements="Demo text: the follow-up staff survey ran in 2025, and the GEP draft was discussed "
            "in a workshop with staff and management.",
            improvements="Demo text: more hours for training on gender-sensitive communication.",
            next_steps="Demo text: adopt the GEP and publish this report.",
        ),
        [
            IndicatorInput("Staff who know the action plan (demo)", Decimal(78), Decimal(52), "%"),
            IndicatorInput("Staff who feel working relations are fair (demo)", Decimal(71), Decimal(64), "%"),
            IndicatorInput("Staff who want gender training (demo)", Decimal(58), None, "%"),
        ],
        version=assessment.version,
    )
    set_actor(session, None)


def _demo_activity(session: Session, plan: Plan, users: list[User], today: date) -> None:
    rng = random.Random(2025)
    admin, editor, editor2, _viewer = users
    actions = session.scalars(
        sa.select(Action).where(Action.plan_id == plan.id).order_by(Action.position)
    ).all()
    by_code = {action.code: action for action in actions}
    set_actor(session, admin.id)
    # The document gives 2025's allocation only; the demo repeats it for the following year.
    for line in [line for line in plan.allocation_lines if line.year == 2025]:
        if 2026 in plan.years and not any(
            other.year == 2026 and other.name == line.name for other in plan.allocation_lines
        ):
            session.add(
                AllocationLine(
                    plan=plan,
                    year=2026,
                    position=line.position,
                    kind=line.kind,
                    name=line.name,
                    description=line.description,
                    hours=line.hours,
                )
            )

    def active_in(year: int) -> list[Action]:
        return [
            action for action in actions if action.start_year <= year <= (action.end_year or plan.end_year)
        ]

    # Budgets for the actions active in 2025 and 2026.
    for year in (2025, 2026):
        for action in active_in(year):
            hours = Decimal(rng.choice([5, 10, 10, 15, 20, 20, 25, 30]))
            session.add(PlannedHours(action=action, year=year, hours=hours))
    session.flush()

    # Logged hours: a few entries a month by the two gender group members, up to today.
    people = [editor, editor2, admin]
    day = date(2025, 1, 6)
    while day <= today and day.year in plan.years:
        for person in people:
            if rng.random() < 0.45:
                action = rng.choice([*active_in(day.year), None, None])
                session.add(
                    TimeEntry(
                        plan_id=plan.id,
                        action_id=action.id if action else None,
                        user_id=person.id,
                        spent_on=day,
                        hours=Decimal(rng.choice(["0.5", "1", "1.5", "2", "2.5", "3"])),
                        note=rng.choice(["Meeting", "Drafting", "Preparation", "Follow-up", "Review", ""]),
                    )
                )
        day += timedelta(days=rng.choice([3, 4, 5]))

    # History: the 2025 webinar happened, and the 2026 work has moved.
    def at(year, month, day_):
        return datetime(year, month, day_, 10, 0, tzinfo=UTC)

    history = [
        (at(2025, 11, 18), editor, "3.2.6", "occurrence", 2025, "Webinar held with 3 member cities."),
        (at(2026, 2, 10), editor2, "3.1.6", Status.ONGOING, None, "Horizon Europe call found."),
        (at(2026, 4, 2), editor, "3.2.4", Status.ONGOING, None, "Drafting started with graphic design."),
        (at(2026, 6, 15), editor, "3.2.5", Status.ONGOING, None, "RexCom testimonials being collected."),
    ]
    for moment, person, code, change, year, note in history:
        if code not in by_code or moment.date() > today:
            continue
        action = by_code[code]
        set_actor(session, person.id)
        set_clock(session, moment)
        if change == "occurrence":
            mark = Occurrence(action=action, year=year, done=True, note=note)
            session.add(mark)
            note_change(mark, note)
        else:
            action.status = change
            note_change(action, note)
        session.flush()
    set_clock(session, None)
    set_actor(session, None)


DEMO_NETWORK = "UCLG CIB Working Group (demo)"
DEMO_COORDINATOR = ("coordinator@example.org", "Carmen Ortega", Role.COORDINATOR)
# Three LGAs in three regions; the last shares nothing, and its admin can try sharing.
DEMO_LGAS = [
    ("Asociación de Municipios del Valle (demo)", "Chile", Region.LATIN_AMERICA, Sharing.NETWORK),
    (
        "Association of Local Authorities of the Lakes (demo)",
        "Kenya",
        Region.EAST_AND_SOUTHERN_AFRICA,
        Sharing.NETWORK,
    ),
    ("League of Coastal Cities (demo)", "Philippines", Region.ASIA_PACIFIC, Sharing.PRIVATE),
]
DEMO_LGA_ADMIN = ("lga-admin@example.org", "Lea Santos")
DEMO_LGA_ACTIONS = [
    ("1.1", "Appoint a gender focal point", Status.COMPLETED, 10),
    ("1.2", "Adopt a gender equality policy", Status.ONGOING, 20),
    ("2.1", "Collect staff data by gender", Status.ONGOING, 15),
    ("2.2", "Train the leadership on gender budgeting", Status.UPCOMING, 25),
]


def load_demo_network(
    session: Session, iclei: Plan, today: date, password_hash: str
) -> list[tuple[str, str]]:
    """A demo network: ICLEI and three LGAs in three regions (one sharing nothing), each LGA
    with a small plan, a coordinator, and an admin of the LGA that shares nothing. Idempotent;
    the caller commits. The accounts, as (email, role)."""
    network = session.scalar(sa.select(Network).where(Network.name == DEMO_NETWORK))
    first_run = network is None
    if first_run:
        network = create_network(session, DEMO_NETWORK)
        add_member(session, network, iclei.organisation)
        session.flush()
        set_sharing(session, iclei, Sharing.NETWORK, organisation=iclei.organisation, path="flask seed demo")
    accounts = []
    email, name, role = DEMO_COORDINATOR
    coordinator = session.scalar(sa.select(User).where(User.email == email))
    if coordinator is None:
        coordinator = create_user(
            session,
            email=email,
            name=name,
            role=role,
            password="",
            network=network,
            password_hash=password_hash,
        )
    coordinator.password_hash, coordinator.active = password_hash, True
    accounts.append((email, role.value))
    year = today.year
    for n, (org_name, country, region, sharing) in enumerate(DEMO_LGAS):
        organisation = session.scalar(sa.select(Organisation).where(Organisation.name == org_name))
        if organisation is None:
            organisation = create_organisation(
                session, org_name, country=country, region=region, network=network
            )
            session.flush()
            _demo_lga_plan(session, organisation, year, sharing, seed=n)
        if sharing is Sharing.PRIVATE:
            email, name = DEMO_LGA_ADMIN
            admin = session.scalar(sa.select(User).where(User.email == email))
            if admin is None:
                admin = create_user(
                    session,
                    email=email,
                    name=name,
                    role=Role.ADMIN,
                    password="",
                    organisation=organisation,
                    password_hash=password_hash,
                )
            admin.password_hash, admin.active = password_hash, True
            accounts.append((email, f"admin of {org_name}"))
    session.flush()
    return accounts


def _demo_lga_plan(
    session: Session, organisation: Organisation, year: int, sharing: Sharing, seed: int
) -> None:
    """A small plan of an LGA for the years around ``year``, with budgets and allocations."""
    rng = random.Random(seed)
    plan = Plan(
        organisation=organisation, title="Gender Mainstreaming Plan", start_year=year - 1, end_year=year + 2
    )
    session.add(plan)
    pillars = [
        Pillar(plan=plan, position=1, name="Governance and Staff"),
        Pillar(plan=plan, position=2, name="Internal Operations"),
    ]
    session.add_all(pillars)
    session.flush()
    for position, (code, title, status, hours) in enumerate(DEMO_LGA_ACTIONS, start=1):
        action = Action(
            plan_id=plan.id,
            pillar=pillars[int(code[0]) - 1],
            position=position,
            code=code,
            title=title,
            status=status,
            start_year=year - 1 if status is not Status.UPCOMING else year,
            end_year=year + 1,
            cadence=Cadence.ONCE,
        )
        session.add(action)
        session.add(PlannedHours(action=action, year=year, hours=Decimal(hours + rng.choice([0, 5]))))
    for position, kind, name, hours in (
        (1, AllocationKind.MANAGEMENT, "Overall management", 40),
        (2, AllocationKind.IMPLEMENTATION, "Implementation", 80 + 10 * seed),
    ):
        session.add(
            AllocationLine(
                plan=plan, year=year, position=position, kind=kind, name=name, hours=Decimal(hours)
            )
        )
    session.flush()
    if sharing is not Sharing.PRIVATE:
        set_sharing(session, plan, sharing, organisation=organisation, path="flask seed demo")
