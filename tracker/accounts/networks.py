"""Networks and their members: creating them, finding them by name, adding a member.

A network's coordinators are people (``tracker.accounts.services.create_user`` with the role
``coordinator``); what a network may read of its members is each plan's sharing
(``tracker.plans.sharing``) and the scope (``tracker.core.scope``).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.accounts.models import Membership, Network, Organisation, Region, Role, User
from tracker.accounts.services import AccountError, create_user

NAME_LIMIT = 200


def _name(field: str, value: str | None, limit: int = NAME_LIMIT) -> str:
    name = (value or "").strip()
    if not name:
        raise AccountError(field, _("must not be empty"))
    if len(name) > limit:
        raise AccountError(field, _("must be at most %(most)s characters", most=limit))
    return name


def region_of(value: str | None) -> Region:
    """One of the six global regions, by its name (case and spaces do not matter)."""
    wanted = " ".join((value or "").split()).casefold()
    for region in Region:
        if region.value.casefold() == wanted or region.name.casefold() == wanted.replace(" ", "_"):
            return region
    allowed = "; ".join(region.value for region in Region)
    raise AccountError(
        "region",
        _("%(typed)s is not a region: choose one of %(allowed)s", typed=repr(value), allowed=allowed),
    )


def find_network(session: Session, name: str | None) -> Network:
    """The network called ``name``."""
    if not (name or "").strip():
        raise AccountError("network", _("must be named"))
    network = session.scalar(sa.select(Network).where(Network.name == name.strip()))
    if network is None:
        raise AccountError("network", _("no network is called %(name)s", name=repr(name)))
    return network


def create_network(session: Session, name: str) -> Network:
    """A new network with no members yet; the caller commits."""
    name = _name("name", name)
    if session.scalar(sa.select(Network.id).where(Network.name == name)) is not None:
        raise AccountError("name", _("a network is already called %(name)s", name=repr(name)))
    network = Network(name=name)
    session.add(network)
    return network


def create_organisation(
    session: Session, name: str, *, country: str, region: str | Region, network: Network | None = None
) -> Organisation:
    """A new organisation in its country and region, a member of ``network`` if given; the
    caller commits. Every field is checked before anything is added."""
    name = _name("name", name)
    country = _name("country", country, 100)
    region = region if isinstance(region, Region) else region_of(region)
    if session.scalar(sa.select(Organisation.id).where(Organisation.name == name)) is not None:
        raise AccountError("name", _("an organisation is already called %(name)s", name=repr(name)))
    organisation = Organisation(name=name, country=country, region=region)
    session.add(organisation)
    if network is not None:
        session.add(Membership(network=network, organisation=organisation))
    return organisation


def add_member(session: Session, network: Network, organisation: Organisation) -> bool:
    """Make ``organisation`` a member of ``network``; False when it already was."""
    if is_member(session, network.id, organisation.id):
        return False
    session.add(Membership(network=network, organisation=organisation))
    return True


def is_member(session: Session, network_id: int, organisation_id: int) -> bool:
    """Whether the organisation belongs to the network."""
    return (
        session.scalar(
            sa.select(Membership.id).where(
                Membership.network_id == network_id, Membership.organisation_id == organisation_id
            )
        )
        is not None
    )


def add_member_with_admin(
    session: Session,
    network: Network,
    *,
    name: str,
    country: str,
    region: str,
    admin_name: str,
    admin_email: str,
    password: str,
) -> tuple[Organisation, User]:
    """A new member organisation of ``network`` and its first admin, who signs in with
    ``password`` (given to them by the coordinator, to change). Every field is checked before
    anything is written; the caller commits."""
    organisation = create_organisation(session, name, country=country, region=region, network=network)
    try:
        admin = create_user(
            session,
            email=admin_email,
            name=admin_name,
            role=Role.ADMIN,
            password=password,
            organisation=organisation,
        )
    except AccountError as error:  # the admin's fields, named as the form names them
        raise AccountError(f"admin_{error.field}", error.message) from None
    return organisation, admin
