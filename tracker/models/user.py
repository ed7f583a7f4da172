"""People who sign in, their roles and their API tokens."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, Timestamped, UTCDateTime, Versioned, enum_column
from tracker.models.organisation import Organisation


class Role(enum.StrEnum):
    """What a person may do: read (viewer), keep the plan current (editor), administer (admin)."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


def new_session_nonce() -> str:
    """A fresh random value; changing it ends every session signed with the old one."""
    return secrets.token_urlsafe(24)


class User(UserMixin, Versioned, Timestamped, Base):
    """A member of one organisation."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Part of the session cookie's user id: rotating it signs the user out everywhere.
    session_nonce: Mapped[str] = mapped_column(sa.String(64), default=new_session_nonce)
    # Two-step sign-in: the authenticator secret, sealed (None: not enrolled), and the last
    # accepted code's time step.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    organisation: Mapped[Organisation] = relationship(back_populates="users")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

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
