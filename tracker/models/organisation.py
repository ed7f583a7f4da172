"""Organisations: the owners of plans and users."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, Timestamped, Versioned, enum_column

if TYPE_CHECKING:
    from tracker.models.plan import Plan
    from tracker.models.user import User


class Region(enum.StrEnum):
    """The six global regions of the UCLG CIB network."""

    LATIN_AMERICA = "Latin America"
    WEST_AND_CENTRAL_AFRICA = "West and Central Africa"
    EAST_AND_SOUTHERN_AFRICA = "East and Southern Africa"
    NORTH_AFRICA_AND_MIDDLE_EAST = "North Africa and Middle East"
    ASIA_PACIFIC = "Asia Pacific"
    NORTH_AMERICA_AND_EUROPE = "North America & Europe"


class Organisation(Versioned, Timestamped, Base):
    """An LGA, a city or a secretariat. Nobody sees another organisation's records."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    country: Mapped[str] = mapped_column(sa.String(100))
    region: Mapped[Region] = mapped_column(enum_column(Region, "region"))

    plans: Mapped[list[Plan]] = relationship(back_populates="organisation")
    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"
