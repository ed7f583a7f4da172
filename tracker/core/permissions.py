"""Who may do what: the one place that decides, for pages, forms, downloads and the API alike.

Every view declares what it needs with :func:`requires`; one ``before_request`` hook enforces it.
A route that declares nothing is refused (403) and fails the route-matrix test, so a new route
cannot be forgotten open.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from flask import Flask, abort, current_app, request
from flask_login import current_user


class Role(enum.StrEnum):
    """What a person may do: read (viewer), keep the plan current (editor), administer (admin);
    or, belonging to a network rather than an organisation, read what its members share with it
    (coordinator)."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"
    COORDINATOR = "coordinator"

    @property
    def of_network(self) -> bool:
        """Whether a person of this role belongs to a network (else to an organisation)."""
        return self is Role.COORDINATOR


# The roles of an organisation's people, in the order forms offer them.
ORGANISATION_ROLES = (Role.ADMIN, Role.EDITOR, Role.VIEWER)


class Need(enum.StrEnum):
    """What a route needs of the person asking."""

    PUBLIC = "public"  # anyone, signed in or not
    ACCOUNT = "account"  # anyone signed in, about their own account (password, two-step, sign out)
    NETWORK = "network"  # the networks one coordinates or one's organisation belongs to
    # a network's coordinators: new member organisations and their admins; open and close rounds
    COORDINATE = "coordinate"
    READ = "read"  # an organisation's people: management reads everything of it
    EDIT = "edit"  # gender group members and admins change actions, statuses, hours
    ADMIN = "admin"  # users, plans, pillars, allocations, tokens


GRANTS: dict[Role, frozenset[Need]] = {
    Role.VIEWER: frozenset({Need.PUBLIC, Need.ACCOUNT, Need.NETWORK, Need.READ}),
    Role.EDITOR: frozenset({Need.PUBLIC, Need.ACCOUNT, Need.NETWORK, Need.READ, Need.EDIT}),
    Role.ADMIN: frozenset({Need.PUBLIC, Need.ACCOUNT, Need.NETWORK, Need.READ, Need.EDIT, Need.ADMIN}),
    # Reads what members share with its network; never an organisation's own pages, never a change.
    Role.COORDINATOR: frozenset({Need.PUBLIC, Need.ACCOUNT, Need.NETWORK, Need.COORDINATE}),
}
# Routes Flask registers itself.
BUILT_IN = {"static": Need.PUBLIC}


def can(user, need: Need) -> bool:
    """Whether ``user`` (possibly anonymous) may do what ``need`` names."""
    if need is Need.PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return need in GRANTS[user.role]


def requires(need: Need) -> Callable:
    """Declare what a view needs; :func:`enforce` checks it before the view runs."""

    def decorate(view):
        view.required = need
        return view

    return decorate


def required(app: Flask, endpoint: str) -> Need | None:
    """What ``endpoint`` declared, or ``None`` when it declared nothing."""
    if endpoint in BUILT_IN:
        return BUILT_IN[endpoint]
    return getattr(app.view_functions.get(endpoint), "required", None)


def enforce():
    """Refuse the request unless the person may use the route."""
    if request.endpoint is None:  # no route matched: let routing answer 404 / 405
        return None
    need = required(current_app, request.endpoint)
    if need is None:
        abort(403)
    if need is Need.PUBLIC:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not can(current_user, need):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    """Check every request against its route's declared need; templates ask the same rule."""
    app.before_request(enforce)
    app.jinja_env.globals.update(can=can, Need=Need)
