"""Organisations, the people who sign in with their roles and API tokens, and security events."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from tracker.core.db import Base, Timestamped, UTCDateTime, Versioned, enum_column, utcnow
from tracker.core.extensions import db
from tracker.core.i18n import N_
from tracker.core.permissions import Role

if TYPE_CHECKING:
    from tracker.plans.models import Plan

__all__ = [
    "ApiToken",
    "Membership",
    "Network",
    "Organisation",
    "Region",
    "Role",
    "SecurityEvent",
    "SecurityEventKind",
    "User",
]


class Region(enum.StrEnum):
    """The six global regions of the UCLG CIB network."""

    LATIN_AMERICA = "Latin America"
    WEST_AND_CENTRAL_AFRICA = "West and Central Africa"
    EAST_AND_SOUTHERN_AFRICA = "East and Southern Africa"
    NORTH_AFRICA_AND_MIDDLE_EAST = "North Africa and Middle East"
    ASIA_PACIFIC = "Asia Pacific"
    NORTH_AMERICA_AND_EUROPE = "North America & Europe"


# The regions' names for the catalogue: shown as ``_(region.value)``.
REGION_WORDS = (
    N_("Latin America"),
    N_("West and Central Africa"),
    N_("East and Southern Africa"),
    N_("North Africa and Middle East"),
    N_("Asia Pacific"),
    N_("North America & Europe"),
)


class Organisation(Versioned, Timestamped, Base):
    """An LGA, a city or a secretariat. Nobody sees another organisation's records."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    country: Mapped[str] = mapped_column(sa.String(100))
    region: Mapped[Region] = mapped_column(enum_column(Region, "region"))
    # The language of its people who chose none and whose browser asks for none we offer.
    language: Mapped[str | None] = mapped_column(sa.String(16))

    plans: Mapped[list[Plan]] = relationship(back_populates="organisation")
    users: Mapped[list[User]] = relationship(back_populates="organisation")
    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Organisations ``scope`` reaches."""
        return scope.organisations(cls.id)

    @staticmethod
    def history_organisation_id(organisation: Organisation) -> int:
        """An organisation's own changes belong to it."""
        return organisation.id

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"


class Network(Versioned, Timestamped, Base):
    """Organisations that work together (UCLG's CIB working group, ICLD's municipalities).

    Its members stay in charge of their records: the network reads only the plans each member
    shares with it (``Plan.sharing``), through its coordinators and the other members' people.
    """

    __tablename__ = "network"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)

    memberships: Mapped[list[Membership]] = relationship(back_populates="network")
    coordinators: Mapped[list[User]] = relationship(back_populates="network")

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Networks ``scope`` reaches: those one coordinates or one's organisation belongs to."""
        return scope.networks(cls.id)

    @staticmethod
    def history_organisation_id(network: Network) -> None:
        """A network belongs to no one organisation."""
        return None

    def __repr__(self) -> str:
        return f"<Network {self.name!r}>"


class Membership(Timestamped, Base):
    """An organisation belongs to a network (and may belong to several)."""

    __tablename__ = "membership"
    __table_args__ = (sa.UniqueConstraint("network_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(sa.ForeignKey("network.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)

    network: Mapped[Network] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Memberships of the networks ``scope`` reaches."""
        return scope.networks(cls.network_id)


def new_session_nonce() -> str:
    """A fresh random value; changing it ends every session signed with the old one."""
    return secrets.token_urlsafe(24)


class User(UserMixin, Versioned, Timestamped, Base):
    """A person of one organisation (admin, editor, viewer) or of one network (coordinator).

    Exactly one of ``organisation_id`` and ``network_id`` is set, and it is the network exactly
    when the role is ``coordinator``: a coordinator's row names no organisation, so nothing that
    reaches an organisation's records through its people ever reaches a coordinator.
    """

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'coordinator' AND network_id IS NOT NULL AND organisation_id IS NULL)"
            " OR (role <> 'coordinator' AND network_id IS NULL AND organisation_id IS NOT NULL)",
            name="home",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    network_id: Mapped[int | None] = mapped_column(sa.ForeignKey("network.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The language they chose on their account page (None: their browser's, else the organisation's).
    language: Mapped[str | None] = mapped_column(sa.String(16))
    # Part of the session cookie's user id: rotating it signs the user out everywhere.
    session_nonce: Mapped[str] = mapped_column(sa.String(64), default=new_session_nonce)
    # Two-step sign-in: the authenticator secret, sealed (None: not enrolled), and the last
    # accepted code's time step.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    network: Mapped[Network | None] = relationship(back_populates="coordinators")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """People of the organisations ``scope`` reaches."""
        return scope.organisations(cls.organisation_id)

    @property
    def network_ids(self) -> frozenset[int]:
        """The networks this person reads shared plans of: the one a coordinator coordinates, or
        every network of the person's organisation."""
        if self.network_id is not None:
            return frozenset({self.network_id})
        if self.organisation_id is None:
            return frozenset()
        # Read by id, not through relationships: the signed-in user may belong to no session.
        session = object_session(self) or db.session
        return frozenset(
            session.scalars(
                sa.select(Membership.network_id).where(Membership.organisation_id == self.organisation_id)
            )
        )

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.active

    @property
    def two_step(self) -> bool:
        """Whether signing in asks for a code from an authenticator app."""
        return self.totp_secret is not None

    def get_id(self) -> str:
        """The value Flask-Login keeps in the session: the id and the current nonce."""
        return f"{self.id}:{self.session_nonce}"

    def __repr__(self) -> str:
        return f"<User {self.email!r} {self.role.value}>"


class ApiToken(Timestamped, Base):
    """A bearer token for the JSON API. Only its SHA-256 digest is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Tokens of people ``scope`` reaches."""
        return cls.user_id.in_(sa.select(User.id).where(User.in_scope(scope)))


class SecurityEventKind(enum.StrEnum):
    """What happened."""

    SIGNIN_SUCCEEDED = "signin_succeeded"
    SIGNIN_FAILED = "signin_failed"
    SIGNIN_THROTTLED = "signin_throttled"
    SIGNED_OUT = "signed_out"
    SESSION_EXPIRED = "session_expired"
    USER_CREATED = "user_created"
    ROLE_CHANGED = "role_changed"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGED = "password_changed"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    FORBIDDEN = "forbidden"
    TWO_STEP_ENABLED = "two_step_enabled"
    TWO_STEP_RESET = "two_step_reset"
    CONFIRMED = "confirmed"
    REPORT_MADE_PUBLIC = "report_public"
    REPORT_MADE_PRIVATE = "report_private"
    # A plan's sharing changed (private, network or public); the detail says from what to what.
    PLAN_SHARING_CHANGED = "plan_sharing"


class SecurityEvent(Base):
    """One security event: who (if known), from where, and what."""

    __tablename__ = "security_event"
    __table_args__ = (sa.Index("ix_security_event_organisation_at", "organisation_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[SecurityEventKind] = mapped_column(enum_column(SecurityEventKind, "security_event_kind"))
    # The account the event is about.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Who was signed in and acted, when that was someone (an admin changing another's account).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    # The email typed at a failed sign-in, which may belong to nobody.
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    client: Mapped[str] = mapped_column(sa.String(64), default="")
    path: Mapped[str] = mapped_column(sa.String(300), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    @property
    def acted_by_another(self) -> bool:
        """Whether someone other than the account's own person did it (an admin)."""
        return self.actor_id is not None and self.actor_id != self.user_id

    @classmethod
    def in_scope(cls, scope) -> sa.ColumnElement[bool]:
        """Events recorded against the organisations ``scope`` reaches."""
        return scope.organisations(cls.organisation_id)
