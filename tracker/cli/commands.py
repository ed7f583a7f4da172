"""Commands: ``flask --app tracker seed|user|token ...`` (``db`` comes from Flask-Migrate)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from tracker.accounts.events import record_event
from tracker.accounts.models import ApiToken, SecurityEventKind, User
from tracker.accounts.networks import add_member, create_network, create_organisation, find_network
from tracker.accounts.services import (
    AccountError,
    create_token,
    create_user,
    find_organisation,
    hash_password,
    revoke_token,
    tokens_of,
)
from tracker.assessments.models import Assessment
from tracker.assessments.report import report_data
from tracker.cli.seeding import DEMO_PASSWORD, ICLEI_SEED, SeedError, load_demo, load_demo_network, load_plan
from tracker.core import validation
from tracker.core.clock import today
from tracker.core.concurrency import Conflict
from tracker.core.database import describe_url
from tracker.core.extensions import db
from tracker.core.permissions import Role
from tracker.core.scope import Scope
from tracker.core.validation import Invalid
from tracker.history.recording import set_actor
from tracker.plans.models import Plan, Sharing
from tracker.plans.sharing import set_sharing
from tracker.workbooks import EXPORTS
from tracker.workbooks.assessment_workbook import build_assessment_workbook
from tracker.workbooks.importing import apply_import, read_plan_workbook
from tracker.workbooks.reading import ImportFailed

seed_cli = AppGroup("seed", help="Load the ICLEI plan, or demo data to try the app with.")
user_cli = AppGroup("user", help="Manage users.")
token_cli = AppGroup("token", help="Manage API tokens.")
export_cli = AppGroup("export", help="Export a plan.")
import_cli = AppGroup("import", help="Import a plan workbook.")
report_cli = AppGroup("report", help="Write report workbooks.")
network_cli = AppGroup("network", help="Manage networks and their members.")
organisation_cli = AppGroup("organisation", help="Manage organisations.")
plan_cli = AppGroup("plan", help="Manage plans.")


def needs_database(command):
    """Turn an unreachable database into one clear line and exit code 1, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except OperationalError as error:
            db.session.rollback()
            url = describe_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise click.ClickException(
                _(
                    "cannot use the database %(url)s: %(reason)s. "
                    "Check DATABASE_URL and run 'flask --app tracker db upgrade'.",
                    url=url,
                    reason=reason,
                )
            ) from None

    return wrapper


@seed_cli.command("iclei")
@click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=ICLEI_SEED,
    show_default=True,
    help="The seed file to load.",
)
@needs_database
def seed_iclei(path: Path) -> None:
    """Load ICLEI Europe's Gender Mainstreaming Action Plan 2023-2026 (idempotent)."""
    try:
        result = load_plan(db.session, path)
    except SeedError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(_("Error: %(problem)s", problem=problem), err=True)
        raise click.ClickException(
            ngettext(
                "%(path)s: nothing was loaded (%(num)d problem)",
                "%(path)s: nothing was loaded (%(num)d problems)",
                len(error.problems),
                path=path,
            )
        ) from None
    db.session.commit()
    added = ", ".join(f"{n} {what}" for what, n in result.added.items()) or _("nothing")
    present = ", ".join(f"{n} {what}" for what, n in result.present.items()) or _("nothing")
    click.echo(
        _(
            "Loaded '%(title)s' (plan id %(id)s): added %(added)s; already present: %(present)s.",
            title=result.plan.title,
            id=result.plan.id,
            added=added,
            present=present,
        )
    )


@seed_cli.command("demo")
@needs_database
def seed_demo() -> None:
    """Add demo users of each role, hours and history to the ICLEI plan (never in production)."""
    if current_app.config["TRACKER_ENV"] == "production":
        raise click.ClickException(_("refusing to add demo accounts in production (TRACKER_ENV=production)."))
    result = load_plan(db.session)

    password = os.environ.get("TRACKER_DEMO_PASSWORD") or DEMO_PASSWORD
    accounts = load_demo(db.session, result.plan, today(), password)
    accounts += load_demo_network(db.session, result.plan, today(), hash_password(password))
    db.session.commit()
    click.echo(_("Demo accounts (password for each: %(password)s):", password=password))
    for email, role in accounts:
        click.echo(f"  {role:<11} {email}")


@user_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's name as others see it.")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--organisation", default=None, help="Needed when the instance holds several.")
@click.option("--network", default=None, help="The network a coordinator coordinates (coordinators only).")
@needs_database
def user_create(email: str, name: str, role: str, organisation: str | None, network: str | None) -> None:
    """Create a user. The password comes from TRACKER_PASSWORD, or from a prompt.

    A coordinator belongs to a network (--network) and to no organisation."""
    coordinator = Role(role).of_network
    try:
        # Checked before the password is asked for: a missing network is a mistake to say at once.
        if coordinator and not (network or "").strip():
            raise AccountError(
                "network", _("is required for a coordinator: name the network they coordinate")
            )
        home = (
            find_network(db.session, network) if coordinator else find_organisation(db.session, organisation)
        )
        if coordinator and organisation:
            raise AccountError(
                "organisation", _("must not be given for a coordinator, who belongs to a network")
            )
        if not coordinator and network:
            raise AccountError(
                "network", _("is only for coordinators; use 'network add' for an organisation")
            )
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    password = os.environ.get("TRACKER_PASSWORD")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            db.session,
            email=email,
            name=name,
            role=role,
            password=password,
            organisation=None if coordinator else home,
            network=home if coordinator else None,
        )
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(
        _("Created %(role)s %(email)s in %(home)s.", role=user.role.value, email=user.email, home=home.name)
    )


@network_cli.command("create")
@click.argument("name")
@needs_database
def network_create(name: str) -> None:
    """Create a network (members are added with 'network add' or 'organisation create --network')."""
    try:
        network = create_network(db.session, name)
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(_("Created network %(name)s (id %(id)s).", name=network.name, id=network.id))


@network_cli.command("add")
@click.argument("network")
@click.argument("organisation")
@needs_database
def network_add(network: str, organisation: str) -> None:
    """Make ORGANISATION a member of NETWORK (an organisation may belong to several)."""
    try:
        found = find_network(db.session, network)
        member = find_organisation(db.session, organisation)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    if not add_member(db.session, found, member):
        click.echo(_("%(member)s already belongs to %(network)s.", member=member.name, network=found.name))
        return
    db.session.commit()
    click.echo(_("Added %(member)s to %(network)s.", member=member.name, network=found.name))


@organisation_cli.command("create")
@click.argument("name")
@click.option("--country", required=True, help="The organisation's country.")
@click.option("--region", required=True, help="One of the six global regions, e.g. 'Latin America'.")
@click.option("--network", default=None, help="A network it joins at once.")
@needs_database
def organisation_create(name: str, country: str, region: str, network: str | None) -> None:
    """Create an organisation in its country and global region."""
    try:
        found = find_network(db.session, network) if network else None
        organisation = create_organisation(db.session, name, country=country, region=region, network=found)
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    joined = _(", a member of %(network)s", network=found.name) if found else ""
    click.echo(
        _(
            "Created organisation %(name)s (id %(id)s) in %(country)s, %(region)s%(joined)s.",
            name=organisation.name,
            id=organisation.id,
            country=organisation.country,
            region=_(organisation.region.value),
            joined=joined,
        )
    )


@plan_cli.command("share")
@click.argument("plan_id", type=int)
@click.argument("sharing", type=click.Choice([sharing.value for sharing in Sharing]))
@click.option(
    "--organisation",
    default=None,
    help="The organisation you act for; the plan must be one of its own.",
)
@needs_database
def plan_share(plan_id: int, sharing: str, organisation: str | None) -> None:
    """Share a plan: private (its organisation only), network (its networks) or public (a link)."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise click.ClickException(_("plan: there is no plan %(id)s", id=plan_id))
    try:
        owner = find_organisation(db.session, organisation) if organisation else None
        changed = set_sharing(db.session, plan, sharing, organisation=owner, path="flask plan share")
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except Invalid as error:
        db.session.rollback()
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in error.errors.items())) from None
    if not changed:
        click.echo(
            _(
                "Plan %(id)s (%(title)s) is already %(sharing)s.",
                id=plan.id,
                title=plan.title,
                sharing=plan.sharing.value,
            )
        )
        return
    db.session.commit()
    click.echo(
        _(
            "Plan %(id)s (%(title)s) is now %(sharing)s.",
            id=plan.id,
            title=plan.title,
            sharing=plan.sharing.value,
        )
    )
    if plan.public_token:
        click.echo(_("Its public page: %(path)s", path=f"/public/plans/{plan.public_token}"))


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
@needs_database
def token_create(email: str, name: str) -> None:
    """Create an API token; it is printed once, on the last line, and stored hashed."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(_("email: no user has the email %(email)s", email=email))
    row, token = create_token(db.session, user, name)
    db.session.flush()
    record_event(db.session, SecurityEventKind.TOKEN_CREATED, user=user, detail=f"token {row.id} (command)")
    db.session.commit()
    click.echo(_("API token for %(email)s (shown once; keep it secret):", email=user.email))
    click.echo(token)


@token_cli.command("list")
@click.option("--email", default=None, help="Only this user's tokens.")
@click.option("--organisation", default=None, help="Needed when the instance holds several.")
@needs_database
def token_list(email: str | None, organisation: str | None) -> None:
    """List API tokens: id, user, name, created, last used, and whether revoked."""
    try:
        org = find_organisation(db.session, organisation)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    rows = tokens_of(db.session, Scope(frozenset({org.id})), email)
    if not rows:
        click.echo(_("No tokens."))
    for row in rows:
        state = _("revoked %(day)s", day=f"{row.revoked_at:%Y-%m-%d}") if row.revoked_at else _("active")
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else _("never")
        click.echo(
            f"{row.id:>5}  {row.user.email:<30} {row.name or '-':<20} "
            + _(
                "created %(day)s  last used %(used)s  %(state)s",
                day=f"{row.created_at:%Y-%m-%d}",
                used=used,
                state=state,
            )
        )


@token_cli.command("revoke")
@click.argument("token_id", type=int)
@needs_database
def token_revoke(token_id: int) -> None:
    """Revoke the token with this id (see `token list`): calls with it get 401 from now on."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise click.ClickException(_("token: there is no token %(id)s", id=token_id))
    if not revoke_token(row):
        click.echo(_("Token %(id)s was already revoked.", id=token_id))
        return
    detail = f"token {row.id} (command)"
    record_event(db.session, SecurityEventKind.TOKEN_REVOKED, user=row.user, detail=detail)
    db.session.commit()
    click.echo(_("Revoked token %(id)s of %(email)s.", id=token_id, email=row.user.email))


@export_cli.command("xlsx")
@click.option("--plan", "plan_id", type=int, required=True, help="The plan's id.")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@needs_database
def export_xlsx(plan_id: int, path: Path) -> None:
    """Write the plan workbook (Plan, Actions, Hours, History) to PATH."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise click.ClickException(_("plan: there is no plan %(id)s", id=plan_id))
    data = EXPORTS["plan"](db.session, plan, today())
    try:
        path.write_bytes(data)
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror}") from None
    click.echo(_("Wrote %(path)s (%(size)s bytes).", path=path, size=format_decimal(len(data))))


@import_cli.command("xlsx")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--organisation", default=None, help="Needed when the instance holds several.")
@needs_database
def import_xlsx(path: Path, organisation: str | None) -> None:
    """Update the plan a workbook was exported from, or create a new one: all or nothing."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror}") from None
    try:
        book = read_plan_workbook(data)
        known = db.session.scalar(sa.select(Plan).where(Plan.uid == book.uid)) if book.uid else None
        try:
            owner = (
                known.organisation
                if known and not organisation
                else find_organisation(db.session, organisation)
            )
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        set_actor(db.session, None)
        result = apply_import(db.session, owner, book)
    except Conflict as conflict:
        db.session.rollback()
        raise click.ClickException(f"{path}: {conflict.message}") from None
    except ImportFailed as failure:
        db.session.rollback()
        click.echo(_("%(path)s: nothing was imported, because:", path=path), err=True)
        for problem in failure.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    message = (
        _(
            "Created plan %(id)s (%(title)s): %(added)s actions added, %(changed)s changed, "
            "%(unchanged)s unchanged, %(missing)s not in the file."
        )
        if result.created
        else _(
            "Updated plan %(id)s (%(title)s): %(added)s actions added, %(changed)s changed, "
            "%(unchanged)s unchanged, %(missing)s not in the file."
        )
    )
    click.echo(
        message
        % {
            "id": result.plan.id,
            "title": result.plan.title,
            "added": result.added,
            "changed": result.changed,
            "unchanged": result.unchanged,
            "missing": result.not_in_file,
        }
    )


@report_cli.command("biennial")
@click.option("--plan", "plan_id", type=int, required=True, help="The plan's id.")
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day, YYYY-MM-DD."
)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last day, YYYY-MM-DD.")
@click.option("--xlsx", "path", type=click.Path(path_type=Path, dir_okay=False), required=True)
@needs_database
def report_biennial(plan_id: int, start, end, path: Path) -> None:
    """Write the assessment workbook of a period (Summary, Actions, Hours, Changes, Survey).

    Nothing is published. A draft assessment of the same plan and period lends its survey and
    written sections.
    """
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise click.ClickException(_("plan: there is no plan %(id)s", id=plan_id))
    start, end = start.date(), end.date()
    for option, day in (("from", start), ("to", end)):
        try:
            validation.period_day(option, day)
        except validation.Invalid as error:
            raise click.ClickException(f"{option}: {error.errors[option]}") from None
    if end < start:
        raise click.ClickException(
            _("to: %(end)s is before --from %(start)s", end=end.isoformat(), start=start.isoformat())
        )
    draft = db.session.scalar(
        sa.select(Assessment)
        .where(Assessment.plan_id == plan.id, Assessment.period_start == start, Assessment.period_end == end)
        .order_by(Assessment.id.desc())
    )
    data = report_data(db.session, plan, start, end, today(), draft)
    content = build_assessment_workbook(data)
    try:
        path.write_bytes(content)
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror}") from None
    summary = data["summary"]
    click.echo(
        _(
            "Wrote %(path)s (%(size)s bytes): %(actions)s actions, %(completed)s completed, "
            "%(started)s started and %(late)s became late in %(start)s..%(end)s.",
            path=path,
            size=format_decimal(len(content)),
            actions=summary["actions"],
            completed=summary["completed"],
            started=summary["started"],
            late=summary["became_late"],
            start=start,
            end=end,
        )
    )


@click.command("bench")
@click.option("--actions", default=2000, show_default=True)
@click.option("--pillars", default=8, show_default=True)
@click.option("--years", default=10, show_default=True)
@click.option("--entries", default=200_000, show_default=True, help="Time entries.")
@click.option("--people", default=50, show_default=True)
@click.option("--changes", default=20_000, show_default=True, help="Status changes.")
@click.option("--runs", default=30, show_default=True, help="Requests per warm measurement.")
@click.option("--database-url", default=None, help="Build into this database and keep it.")
@click.option("--json", "as_json", is_flag=True, help="End with one line of JSON.")
@click.option(
    "--network-organisations",
    default=200,
    show_default=True,
    help="Members of the network case, over six regions (0: no network case).",
)
@click.option(
    "--network-actions", default=50, show_default=True, help="Actions of each member's shared plan."
)
@click.option("--network-entries", default=5000, show_default=True, help="Time entries of each shared plan.")
def bench_command(**options) -> None:
    """Build a synthetic plan and print the dashboard's and the API's timings."""
    # Imported here, so that the served app never loads the benchmark.
    from tracker.cli import bench

    bench.run(**options)


@click.command("loadtest")
@click.option("--url", required=True, help="The running server, e.g. http://127.0.0.1:8000")
@click.option("--plan", type=int, default=None, help="The plan's id (default: the one with most actions).")
@click.option(
    "--editors",
    default=20,
    show_default=True,
    type=click.IntRange(min=0),
    help="Editors writing through the API.",
)
@click.option(
    "--viewers",
    default=16,
    show_default=True,
    type=click.IntRange(min=0),
    help="Viewers loading the dashboard.",
)
@click.option(
    "--seconds",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="How long the load lasts.",
)
@click.option(
    "--rate",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="API writes a second, all editors together.",
)
@click.option(
    "--floor-seconds",
    default=5.0,
    type=click.FloatRange(min=0),
    show_default=True,
    help="How long /healthz is loaded, half before and half after.",
)
@click.option("--json", "as_json", is_flag=True, help="End with one line of JSON.")
@with_appcontext
def loadtest_command(**options) -> None:
    """Load a running server (editors write, viewers read the dashboard), then check that the
    database holds exactly what was accepted; exit 1 when a check fails."""
    # Imported here, so that the served app never loads the load test.
    from tracker.cli import loadtest

    loadtest.run(**options)


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(seed_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(token_cli)
    app.cli.add_command(bench_command)
    app.cli.add_command(loadtest_command)
    app.cli.add_command(export_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(report_cli)
    app.cli.add_command(network_cli)
    app.cli.add_command(organisation_cli)
    app.cli.add_command(plan_cli)
