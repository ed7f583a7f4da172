"""Which records a signed-in person or an API token may reach: the one place that decides.

:func:`scope_of` turns whoever asks into a :class:`Scope`; every model that belongs to an
organisation says, once, how its rows relate to one (``in_scope``). Loaders, lists and API
answers all filter through these two, so a record out of scope is absent: 404, never 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Scope:
    """The organisations whose records someone may read or change (by role, see permissions),
    and the networks whose members' shared plans they may read.

    ``organisation_ids`` are one's own: every loader of every route, reading or changing, asks
    them. ``network_ids`` reach only what members chose to share with those networks, and only
    on read-only pages (``Plan.shared_in_scope``); a coordinator has no organisation at all.
    """

    organisation_ids: frozenset[int]
    # The networks, or how to find them: read on first use, so that the many requests that
    # never look at a network cost no query for them.
    network_source: frozenset[int] | Callable[[], Iterable[int]] = frozenset()
    # The networks one coordinates (a subset of network_ids): rounds, new members.
    coordinated_ids: frozenset[int] = frozenset()

    @cached_property
    def network_ids(self) -> frozenset[int]:
        """The networks whose members' shared plans are within reach."""
        source = self.network_source
        return frozenset(source() if callable(source) else source)

    def reaches(self, organisation_id: int | None) -> bool:
        """Whether a record of ``organisation_id`` is within reach."""
        return organisation_id in self.organisation_ids

    def organisations(self, column) -> sa.ColumnElement[bool]:
        """A SQL condition: ``column`` (an organisation id) is within reach."""
        return column.in_(sorted(self.organisation_ids))

    def networks(self, column) -> sa.ColumnElement[bool]:
        """A SQL condition: ``column`` (a network id) is one of the networks within reach."""
        return column.in_(sorted(self.network_ids))

    def coordinates(self, network_id: int | None) -> bool:
        """Whether the person coordinates network ``network_id``."""
        return network_id in self.coordinated_ids


NOBODY = Scope(frozenset())


def scope_of(person) -> Scope:
    """What ``person`` (a user signed in by session or by token; or anonymous) may reach.

    An organisation's people: its records, and the plans other members of its networks share
    with them. A coordinator: no organisation's records, and the plans the members of the
    network they coordinate share with it. Anyone else: nothing (public links are not scope).
    """
    if person is None or not getattr(person, "is_authenticated", False):
        return NOBODY
    own = frozenset() if person.organisation_id is None else frozenset({person.organisation_id})
    coordinated = frozenset() if person.network_id is None else frozenset({person.network_id})
    return Scope(own, lambda: person.network_ids, coordinated)


def current_scope() -> Scope:
    """The scope of whoever makes this request."""
    return scope_of(current_user)


def scoped(query: sa.Select, model, scope: Scope) -> sa.Select:
    """``query`` narrowed to the rows of ``model`` within ``scope``."""
    return query.where(model.in_scope(scope))


def reachable(session: Session, model, record_id: int, scope: Scope, *options):
    """The record of ``model`` with ``record_id`` if ``scope`` reaches it, else ``None``."""
    return session.scalar(
        sa.select(model).where(model.id == record_id, model.in_scope(scope)).options(*options)
    )


def get_or_404(session: Session, model, record_id: int, *options):
    """The record if the person asking may reach it; anything else (absent or another
    organisation's) is 404."""
    record = reachable(session, model, record_id, current_scope(), *options)
    if record is None:
        abort(404)
    return record
