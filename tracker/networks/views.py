"""The network pages: the networks one reaches, a network's roll-up for a year with its charts,
a member's shared plan, and a public plan at its secret link.

Who reaches what is the scope's: a network through ``Network.in_scope``, a plan through
``Plan.shared_in_scope`` (read-only; nothing here changes anything). Outsiders get 404.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from tracker.accounts.events import record_event
from tracker.accounts.models import Membership, Network, Organisation, Region, SecurityEventKind
from tracker.accounts.networks import add_member_with_admin
from tracker.accounts.services import AccountError
from tracker.core import scope as scopes
from tracker.core.cache import cached_bytes, cached_json
from tracker.core.clock import today
from tracker.core.extensions import db
from tracker.core.permissions import Need, requires
from tracker.core.scope import current_scope, get_or_404, scoped
from tracker.dashboard.figures import build_dashboards
from tracker.networks import charts
from tracker.networks.loaders import requested_year
from tracker.networks.rollup import Medians, network_rollup, own_figures
from tracker.plans.models import SHARED_WITH_NETWORKS, STATUSES, Plan, Status
from tracker.plans.rules import status_labels
from tracker.plans.sharing import public_plan as find_public_plan
from tracker.tracking.flags import STALE_AFTER_DAYS

bp = Blueprint("networks", __name__)
CHARTS = ("status-by-region", "hours-by-region")


def region_labels() -> dict:
    """Each region's name, and the words the charts draw."""
    return {
        **{region: _(region.value) for region in Region},
        **status_labels(),
        "allocated": _("allocated"),
        "planned": _("planned"),
        "logged": _("logged"),
        "hours": _("Hours"),
    }


def data_key(network: Network, year: int) -> str:
    """A digest of everything the network's roll-up is built from: its members (their names,
    countries, regions) and the plans they share for the year (their sharing and the version of
    their data). One query; any change gives a new key, so a cached page is never stale."""
    rows = db.session.execute(
        sa.select(
            Membership.id,
            Organisation.id,
            Organisation.version,
            Plan.id,
            Plan.version,
            Plan.data_version,
        )
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .outerjoin(
            Plan,
            sa.and_(
                Plan.organisation_id == Organisation.id,
                Plan.sharing.in_(SHARED_WITH_NETWORKS),
                Plan.start_year <= year,
                Plan.end_year >= year,
            ),
        )
        .where(Membership.network_id == network.id)
        .order_by(Membership.id, Plan.id)
    ).all()
    digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()[:32]
    return f"network:{network.id}:{network.version}:{digest}:{year}:{today().isoformat()}:{get_locale()}"


@bp.get("/networks")
@requires(Need.NETWORK)
def index():
    """The networks one coordinates, or one's organisation belongs to."""
    networks = db.session.scalars(
        scoped(sa.select(Network), Network, current_scope()).order_by(Network.name)
    ).all()
    return render_template("networks/index.html", networks=networks, scope=current_scope())


@bp.get("/networks/<int:network_id>")
@requires(Need.NETWORK)
def show(network_id: int, status: int = 200, problems: dict | None = None):
    """The network's roll-up for a year, by region and organisation, with its charts. The body
    holds nothing of the person asking, so it is built once per version of the data; a member's
    own figures beside the medians are added for them."""
    network = get_or_404(db.session, Network, network_id)
    year = requested_year(request.args.get("year"))
    key = data_key(network, year)
    body = cached_bytes(f"{key}:page", lambda: render_body(network, year, key).encode(), ".html")
    mine = None
    organisation = (
        None
        if current_user.organisation_id is None
        else db.session.get(Organisation, current_user.organisation_id)
    )
    if organisation is not None:
        medians = cached_json(f"{key}:medians", lambda: medians_json(network, year))
        mine = {
            "organisation": organisation,
            "figures": own_figures(db.session, organisation, year, today()),
            "region": Medians(*medians["regions"].get(organisation.region.value, [None] * 4)),
            "network": Medians(*medians["network"]),
        }
    return render_template(
        "networks/show.html",
        network=network,
        year=year,
        body=Markup(body.decode()),
        mine=mine,
        coordinates=current_scope().coordinates(network.id),
        regions=list(Region),
        problems=problems or {},
        # Never the password back into the page.
        posted={name: value for name, value in request.form.items() if name != "admin_password"}
        if problems
        else {},
    ), status


@bp.post("/networks/<int:network_id>/members")
@requires(Need.COORDINATE)
def add_member(network_id: int):
    """A coordinator adds a member organisation and its first admin, who signs in with the first
    password the coordinator gives them. Only the network's own coordinators: others get 404."""
    network = get_or_404(db.session, Network, network_id)
    if not current_scope().coordinates(network.id):
        abort(404)
    form = request.form
    try:
        organisation, admin = add_member_with_admin(
            db.session,
            network,
            name=form.get("name", ""),
            country=form.get("country", ""),
            region=form.get("region", ""),
            admin_name=form.get("admin_name", ""),
            admin_email=form.get("admin_email", ""),
            password=form.get("admin_password", ""),
        )
        db.session.flush()
    except AccountError as error:
        db.session.rollback()
        field = {"name": "name", "email": "admin_email", "password": "admin_password"}.get(
            error.field, error.field
        )
        if (
            error.field == "name"
            and "organisation" not in error.message
            and not form.get("admin_name", "").strip()
        ):
            field = "admin_name"
        return show(network_id, 422, {field: error.message})
    record_event(
        db.session,
        SecurityEventKind.USER_CREATED,
        user=admin,
        actor=current_user._get_current_object(),
        client=request.remote_addr or "",
        path=request.path,
        detail=f"role=admin, first admin of a new member of {network.name}",
    )
    db.session.commit()
    flash(
        _(
            "%(organisation)s is a member now; %(name)s can sign in as its admin.",
            organisation=organisation.name,
            name=admin.name,
        ),
        "info",
    )
    return redirect(url_for("networks.show", network_id=network.id), 303)


def medians_json(network: Network, year: int) -> dict:
    """The network's medians and each region's, as JSON can hold them."""
    rollup = network_rollup(db.session, network, year, today())

    def values(medians: Medians) -> list:
        return [medians.completed_share, medians.late, medians.quiet, medians.used_share]

    return {
        "network": values(rollup.medians),
        "regions": {region.region.value: values(region.medians) for region in rollup.regions},
    }


def render_body(network: Network, year: int, key: str) -> str:
    rollup = network_rollup(db.session, network, year, today())
    digest = key.split(":")[3]
    return render_template(
        "networks/body.html",
        rollup=rollup,
        statuses=STATUSES,
        quiet_days=STALE_AFTER_DAYS,
        labels=region_labels(),
        charts={
            name: url_for("networks.chart", network_id=network.id, chart_name=name, year=year, v=digest)
            for name in CHARTS
        },
    )


@bp.get("/networks/<int:network_id>/charts/<chart_name>.svg")
@requires(Need.NETWORK)
def chart(network_id: int, chart_name: str):
    """One chart by region as SVG, drawn once per version of the network's data."""
    name = chart_name
    if name not in CHARTS:
        abort(404)
    network = get_or_404(db.session, Network, network_id)
    year = requested_year(request.args.get("year"))
    key = data_key(network, year)

    def draw() -> bytes:
        rollup = network_rollup(db.session, network, year, today())
        if name == "status-by-region":
            return charts.status_by_region(rollup, region_labels())
        return charts.hours_by_region(rollup, region_labels())

    return Response(cached_bytes(f"{key}:chart-{name}", draw, ".svg"), mimetype="image/svg+xml")


@bp.get("/networks/<int:network_id>/plans/<int:plan_id>")
@requires(Need.NETWORK)
def plan(network_id: int, plan_id: int):
    """A plan a member shares with the network: its actions, statuses and hour figures."""
    network = get_or_404(db.session, Network, network_id)
    scope = scopes.current_scope()
    members = sa.select(Membership.organisation_id).where(Membership.network_id == network.id)
    found = db.session.scalar(
        sa.select(Plan).where(
            Plan.id == plan_id, Plan.shared_in_scope(scope), Plan.organisation_id.in_(members)
        )
    )
    if found is None:
        abort(404)
    return plan_page(found, network=network)


@bp.get("/public/plans/<plan_token>")
@requires(Need.PUBLIC)
def public_plan(plan_token: str):
    """A public plan, read-only, by its secret link; no sign-in."""
    found = find_public_plan(db.session, plan_token)
    if found is None:
        abort(404)
    return plan_page(found, network=None)


def plan_page(plan: Plan, network: Network | None):
    """The read-only page of a shared or public plan, for a year of its period."""
    raw = request.args.get("year")
    year = requested_year(raw) if raw else min(max(today().year, plan.start_year), plan.end_year)
    if year not in plan.years:
        abort(
            400,
            _(
                "year: %(year)s is outside the plan's period %(start)s-%(end)s.",
                year=year,
                start=plan.start_year,
                end=plan.end_year,
            ),
        )
    board = build_dashboards(db.session, [plan], year, today())[plan.id]
    pillars = {pillar.id: pillar for pillar in board.pillars}
    return render_template(
        "networks/plan.html",
        plan=plan,
        network=network,
        year=year,
        board=board,
        pillars=pillars,
        statuses=STATUSES,
        completed=Status.COMPLETED,
        quiet_days=STALE_AFTER_DAYS,
    )
