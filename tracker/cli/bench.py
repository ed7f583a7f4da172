"""``flask --app tracker bench``: build a large synthetic plan and measure the dashboard and API.

Only that command imports this module; it adds no route to any app.

Figures are printed, never asserted: they depend on the machine. The data goes into a temporary
SQLite database unless ``--database-url`` names one to build into and keep.
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import click
import openpyxl
import sqlalchemy as sa
from flask import Flask, g, render_template_string
from werkzeug.security import generate_password_hash

from tracker.accounts.models import Membership, Network, Organisation, Region, User
from tracker.core import cache
from tracker.core.database import counting_statements
from tracker.core.extensions import db
from tracker.core.permissions import Role
from tracker.history.models import HistoryEntry
from tracker.hours import summary
from tracker.hours.models import TimeEntry
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
    StatusChange,
)
from tracker.schema import metadata
from tracker.workbooks import build_plan_workbook

BENCH_PASSWORD = "benchmark password for one run"
STATUSES = [Status.COMPLETED, Status.ONGOING, Status.UPCOMING]
CADENCES = [Cadence.ONCE, Cadence.ONGOING, Cadence.YEARLY, Cadence.EVERY_TWO_YEARS]


def _hours(value) -> int:
    """Hundredths of an hour, as the Hours column stores them (bulk inserts bypass the type)."""
    return int(Decimal(str(value)) * 100)


def build(
    connection,
    *,
    title: str,
    actions: int,
    pillars: int,
    years: int,
    entries: int,
    people: int,
    changes: int,
    last_year: int,
    seed: int = 2025,
    org_name: str = "Benchmark organisation",
    region: Region = Region.NORTH_AMERICA_AND_EUROPE,
    sharing: Sharing = Sharing.PRIVATE,
) -> int:
    """Insert one synthetic plan with Core bulk inserts; its id."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    first_year = last_year - years + 1
    org_id = connection.scalar(sa.select(Organisation.id).where(Organisation.name == org_name))
    if org_id is None:
        org_id = connection.execute(
            sa.insert(Organisation)
            .values(
                name=org_name,
                country="Sweden",
                region=region,
                version=1,
                created_at=now,
            )
            .returning(Organisation.id)
        ).scalar_one()
    plan_id = connection.execute(
        sa.insert(Plan)
        .values(
            uid=os.urandom(16).hex(),
            organisation_id=org_id,
            title=title,
            start_year=first_year,
            end_year=last_year,
            sharing=sharing,
            version=1,
            created_at=now,
        )
        .returning(Plan.id)
    ).scalar_one()
    pillar_ids = [
        connection.execute(
            sa.insert(Pillar)
            .values(plan_id=plan_id, position=n + 1, name=f"Pillar {n + 1}", version=1, created_at=now)
            .returning(Pillar.id)
        ).scalar_one()
        for n in range(pillars)
    ]
    action_rows = []
    for n in range(actions):
        start = rng.randint(first_year, last_year)
        cadence = rng.choice(CADENCES)
        end = None if cadence in (Cadence.ONGOING, Cadence.YEARLY) else rng.randint(start, last_year)
        action_rows.append(
            {
                "plan_id": plan_id,
                "pillar_id": pillar_ids[n % pillars],
                "position": n + 1,
                "code": f"{n % pillars + 1}.{n // pillars + 1}",
                "title": f"Synthetic action {n + 1}",
                "description": "A synthetic action for the benchmark.",
                "objectives": "",
                "status": rng.choice(STATUSES),
                "start_year": start,
                "end_year": end,
                "cadence": cadence,
                "timeline_text": "",
                "resources_text": "",
                "responsible": f"Person {n % people + 1}",
                "version": 1,
                "created_at": now,
            }
        )
    connection.execute(sa.insert(Action), action_rows)
    action_ids = list(
        connection.scalars(sa.select(Action.id).where(Action.plan_id == plan_id).order_by(Action.id))
    )
    connection.execute(
        sa.insert(PlannedHours),
        [
            {
                "action_id": action_id,
                "year": year,
                "hours": _hours(rng.choice([0, 2, 5, 10, 20])),
                "version": 1,
                "created_at": now,
            }
            for action_id in action_ids
            for year in range(first_year, last_year + 1)
        ],
    )
    connection.execute(
        sa.insert(AllocationLine),
        [
            {
                "plan_id": plan_id,
                "year": year,
                "position": position,
                "kind": kind,
                "name": name,
                "description": "",
                "hours": _hours(hours),
                "version": 1,
                "created_at": now,
            }
            for year in range(first_year, last_year + 1)
            for position, kind, name, hours in (
                (1, AllocationKind.MANAGEMENT, "Overall management", 100),
                (2, AllocationKind.IMPLEMENTATION, "Implementation", 250),
            )
        ],
    )
    occurrences = [
        {
            "action_id": action_ids[n],
            "year": rng.randint(first_year, last_year),
            "done": rng.random() < 0.6,
            "note": "",
            "version": 1,
            "created_at": now,
        }
        for n in range(0, actions, 7)
    ]
    seen = set()
    unique = []
    for row in occurrences:
        if (row["action_id"], row["year"]) not in seen:
            seen.add((row["action_id"], row["year"]))
            unique.append(row)
    if unique:
        connection.execute(sa.insert(Occurrence), unique)
    user_ids = []
    for n in range(people):
        email = f"person{n + 1}.{plan_id}@bench.example"
        user_ids.append(
            connection.execute(
                sa.insert(User)
                .values(
                    organisation_id=org_id,
                    email=email,
                    name=f"Person {n + 1}",
                    role=Role.EDITOR,
                    password_hash="!",
                    active=True,
                    session_nonce=os.urandom(12).hex(),
                    version=1,
                    created_at=now,
                )
                .returning(User.id)
            ).scalar_one()
        )
    span = (date(last_year, 12, 31) - date(first_year, 1, 1)).days
    batch = []
    for n in range(entries):
        batch.append(
            {
                "plan_id": plan_id,
                "action_id": None if n % 5 == 0 else rng.choice(action_ids),
                "user_id": rng.choice(user_ids),
                "spent_on": date(first_year, 1, 1) + timedelta(days=rng.randint(0, span)),
                "hours": _hours(rng.choice(["0.5", "1", "1.5", "2", "3"])),
                "note": "",
                "version": 1,
                "created_at": now,
            }
        )
        if len(batch) == 20_000:
            connection.execute(sa.insert(TimeEntry), batch)
            batch = []
    if batch:
        connection.execute(sa.insert(TimeEntry), batch)
    status_rows, history_rows = [], []
    for n in range(changes):
        action_id = rng.choice(action_ids)
        before, after = rng.sample(STATUSES, 2)
        at = now - timedelta(days=rng.randint(0, span), seconds=n)
        status_rows.append(
            {
                "action_id": action_id,
                "at": at,
                "effective_on": at.date(),
                "user_id": rng.choice(user_ids),
                "from_status": before,
                "to_status": after,
                "note": "Synthetic change",
            }
        )
        history_rows.append(
            {
                "at": at,
                "user_id": status_rows[-1]["user_id"],
                "organisation_id": None,
                "plan_id": plan_id,
                "entity": "action",
                "entity_id": action_id,
                "kind": "updated",
                "field": "status",
                "before": json.dumps(before.value),
                "after": json.dumps(after.value),
                "note": "Synthetic change",
            }
        )
    for start in range(0, changes, 20_000):
        connection.execute(sa.insert(StatusChange), status_rows[start : start + 20_000])
        connection.execute(sa.insert(HistoryEntry), history_rows[start : start + 20_000])
    # Bulk inserts bypass the session hook that keeps the summary: sum this plan's entries once.
    summary.rebuild(connection, plan_id)
    return plan_id


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def p95_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 2)


def timed(client, url: str, runs: int, before=None) -> list[float]:
    samples = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise click.ClickException(f"{url} answered {response.status_code}")
    return samples


def measure_export(session, plan, runs: int = 3) -> dict:
    """The plan workbook's time (median of ``runs``) and peak memory, and the floor: the same
    cells, unstyled, in openpyxl's write-only mode, also the median of ``runs``."""
    today = date.today()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        data = build_plan_workbook(session, plan, today)
        samples.append(time.perf_counter() - started)
    export_s = statistics.median(samples)
    tracemalloc.start()
    build_plan_workbook(session, plan, today)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    values = {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    }
    floors = []
    for _ in range(runs):
        started = time.perf_counter()
        floor = openpyxl.Workbook(write_only=True)
        for title, rows in values.items():
            sheet = floor.create_sheet(title)
            for row in rows:
                sheet.append(row)
        floor.save(io.BytesIO())
        floors.append(time.perf_counter() - started)
    floor_s = statistics.median(floors)
    return {
        "export_xlsx_s": round(export_s, 3),
        "export_peak_mb": round(peak / 2**20, 1),
        "export_floor_s": round(floor_s, 3),
        "export_floor_ratio": round(export_s / floor_s, 2),
        "export_bytes": len(data),
    }


def floor_app(engine) -> Flask:
    """The floor every timing is read against: a bare Flask app on the same machine and database
    that runs one query and renders one template. The served app gains no route for it."""
    bare = Flask("tracker-bench-floor")

    @bare.get("/")
    def floor():
        with engine.connect() as connection:
            value = connection.execute(sa.text("SELECT 1")).scalar()
        return render_template_string("<p>{{ value }}</p>", value=value)

    return bare


def build_network(connection, *, organisations: int, actions: int, entries: int, last_year: int) -> dict:
    """A network of ``organisations`` members spread over the six regions, each sharing one plan
    of ``actions`` actions and ``entries`` time entries; and a second network of its first
    tenth (at least one), to count the statements of a small network against a large one. The
    ids of both networks and the coordinator's email."""
    now = datetime.now(UTC)
    stamp = time.time_ns()
    regions = list(Region)
    plan_ids = []
    for n in range(organisations):
        plan_ids.append(
            build(
                connection,
                title=f"Shared plan {n + 1}",
                actions=actions,
                pillars=5,
                years=4,
                entries=entries,
                people=5,
                changes=50,
                last_year=last_year,
                seed=n,
                org_name=f"Member {n + 1} of network {stamp}",
                region=regions[n % len(regions)],
                sharing=Sharing.NETWORK,
            )
        )
    org_ids = list(
        connection.scalars(sa.select(Plan.organisation_id).where(Plan.id.in_(plan_ids)).order_by(Plan.id))
    )
    networks = {}
    for key, members in (("large", org_ids), ("small", org_ids[: max(1, len(org_ids) // 10)])):
        network_id = connection.execute(
            sa.insert(Network)
            .values(name=f"Benchmark network {key} {stamp}", version=1, created_at=now)
            .returning(Network.id)
        ).scalar_one()
        connection.execute(
            sa.insert(Membership),
            [{"network_id": network_id, "organisation_id": org, "created_at": now} for org in members],
        )
        networks[key] = (network_id, len(members))
    email = f"coordinator.{stamp}@bench.example"
    connection.execute(
        sa.insert(User).values(
            network_id=networks["large"][0],
            email=email,
            name="Bench coordinator",
            role=Role.COORDINATOR,
            password_hash=generate_password_hash(BENCH_PASSWORD),
            active=True,
            session_nonce=os.urandom(12).hex(),
            version=1,
            created_at=now,
        )
    )
    return {"networks": networks, "email": email}


def measure_network(app, engine, built: dict, year: int, runs: int, floor_ms: float) -> dict:
    """The network view's timings (cold: the cache emptied before each request; warm), and its
    statements for the small and the large network (the coordinator is shown both)."""

    def fresh() -> None:
        # The benchmark's requests share its one app context: forget the person it remembers.
        g.pop("_login_user", None)
        db.session.expire_all()

    fresh()
    client = app.test_client()
    client.post("/signin", data={"email": built["email"], "password": BENCH_PASSWORD})
    fresh()
    (large, members), (small, few) = built["networks"]["large"], built["networks"]["small"]
    url = f"/networks/{large}?year={year}"
    results = {"network_organisations": members, "network_small_organisations": few}
    results["network_cold_ms"] = median_ms(timed(client, url, 5, before=cache.clear))
    timed(client, url, 3)
    warm = timed(client, url, runs)
    results["network_warm_ms"] = median_ms(warm)
    results["network_warm_p95_ms"] = p95_ms(warm)
    results["network_floor_ratio"] = round(results["network_warm_ms"] / floor_ms, 2)
    # The app's own floor: its lightest signed-in page (the list of one's networks), which pays
    # what every page pays (session, sign-in, headers, the layout) and reads no figure.
    timed(client, "/networks", 3)
    results["app_floor_ms"] = median_ms(timed(client, "/networks", runs))
    results["network_app_floor_ratio"] = round(results["network_warm_ms"] / results["app_floor_ms"], 2)
    # The coordinator is moved to the small network and back: the same person, counted on both.
    for key, network_id in (("network_sql_statements_small", small), ("network_sql_statements_large", large)):
        db.session.execute(sa.update(User).where(User.email == built["email"]).values(network_id=network_id))
        db.session.commit()
        fresh()
        cache.clear()
        with counting_statements(engine) as seen:
            response = client.get(f"/networks/{network_id}?year={year}")
        if response.status_code != 200:
            raise click.ClickException(f"/networks/{network_id} answered {response.status_code}")
        results[key] = len(seen)
    return results


def run(
    actions,
    pillars,
    years,
    entries,
    people,
    changes,
    runs,
    database_url,
    as_json,
    network_organisations=200,
    network_actions=50,
    network_entries=5000,
):
    """Build a synthetic plan and print the dashboard's and the API's timings."""
    from tracker import create_app

    keep = database_url is not None
    folder = tempfile.mkdtemp(prefix="tracker-bench-")
    url = database_url or f"sqlite:///{folder}/bench.sqlite"
    environ = {**os.environ, "TRACKER_ENV": "development", "DATABASE_URL": url}
    app = create_app({"CACHE_DIR": os.path.join(folder, "cache"), "WTF_CSRF_ENABLED": False}, environ=environ)

    with app.app_context():
        engine = db.engine
        metadata.create_all(engine)
        click.echo(f"Building into {engine.url.render_as_string(hide_password=True)} ...", err=True)
        started = time.perf_counter()
        last_year = date.today().year
        with engine.begin() as connection:
            large = build(
                connection,
                title=f"Benchmark plan {time.time_ns()}",
                actions=actions,
                pillars=pillars,
                years=years,
                entries=entries,
                people=people,
                changes=changes,
                last_year=last_year,
            )
            small = build(
                connection,
                title=f"Benchmark small plan {time.time_ns()}",
                actions=20,
                pillars=4,
                years=years,
                entries=2000,
                people=5,
                changes=200,
                last_year=last_year,
                seed=7,
            )
            org_id = connection.scalar(sa.select(Plan.organisation_id).where(Plan.id == large))
            email = f"viewer.{large}@bench.example"
            connection.execute(
                sa.insert(User).values(
                    organisation_id=org_id,
                    email=email,
                    name="Bench viewer",
                    role=Role.VIEWER,
                    password_hash=generate_password_hash(BENCH_PASSWORD),
                    active=True,
                    session_nonce=os.urandom(12).hex(),
                    version=1,
                    created_at=datetime.now(UTC),
                )
            )
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        build_s = time.perf_counter() - started
        click.echo(f"Built in {build_s:.1f} s. Measuring ...", err=True)

        client = app.test_client()
        client.post("/signin", data={"email": email, "password": BENCH_PASSWORD})
        year = last_year
        dashboard = f"/plans/{large}/dashboard?year={year}"
        results: dict = {
            "database": engine.dialect.name,
            "actions": actions,
            "time_entries": entries,
            "status_changes": changes,
            "build_s": round(build_s, 1),
        }
        bare = floor_app(engine).test_client()
        timed(bare, "/", 5)
        results["floor_ms"] = median_ms(timed(bare, "/", runs))
        results["dashboard_cold_ms"] = median_ms(
            timed(client, dashboard, max(5, runs // 6), before=cache.clear)
        )
        timed(client, dashboard, 3)
        warm = timed(client, dashboard, runs)
        results["dashboard_warm_ms"] = median_ms(warm)
        results["dashboard_warm_p95_ms"] = p95_ms(warm)
        results["dashboard_floor_ratio"] = round(results["dashboard_warm_ms"] / results["floor_ms"], 2)
        for key, plan_id in (("sql_statements_small", small), ("sql_statements_large", large)):
            cache.clear()
            with counting_statements(engine) as seen:
                client.get(f"/plans/{plan_id}/dashboard?year={year}")
            results[key] = len(seen)
        with counting_statements(engine) as seen:
            client.get(dashboard)
        results["sql_statements_warm"] = len(seen)
        results["chart_render_ms"] = {}
        for name in ("status-by-pillar", "hours-by-year", "timeline"):
            chart = f"/plans/{large}/charts/{name}.svg?year={year}"
            results["chart_render_ms"][name] = median_ms(timed(client, chart, 3, before=cache.clear))
        api_actions = f"/api/v1/plans/{large}/actions"
        results["api_actions_cold_ms"] = median_ms(timed(client, api_actions, 5, before=cache.clear))
        timed(client, api_actions, 2)
        results["api_actions_ms"] = median_ms(timed(client, api_actions, runs))
        results["api_hours_ms"] = median_ms(timed(client, f"/api/v1/plans/{large}/hours?year={year}", runs))
        results.update(measure_export(db.session, db.session.get(Plan, large)))
        db.session.remove()
        if network_organisations:
            click.echo(f"Building a network of {network_organisations} organisations ...", err=True)
            started = time.perf_counter()
            with engine.begin() as connection:
                built = build_network(
                    connection,
                    organisations=network_organisations,
                    actions=network_actions,
                    entries=network_entries,
                    last_year=last_year,
                )
            if engine.dialect.name == "postgresql":
                with engine.begin() as connection:
                    connection.exec_driver_sql("ANALYZE")
            results["network_build_s"] = round(time.perf_counter() - started, 1)
            results.update(measure_network(app, engine, built, year, runs, results["floor_ms"]))
            db.session.remove()
        if not keep:
            engine.dispose()

    width = max(len(key) for key in results)
    for key, value in results.items():
        if isinstance(value, dict):
            for name, figure in value.items():
                click.echo(f"{key + '.' + name:<{width + 18}} {figure}")
        else:
            click.echo(f"{key:<{width + 18}} {value}")
    if as_json:
        click.echo(json.dumps(results))
