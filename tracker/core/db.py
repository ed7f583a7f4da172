"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

# Alembic's SQLite batch mode recreates tables; named constraints keep their names on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; its metadata carries the naming convention."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, PostgreSQL does; without this the same row would compare differently
    on the two backends.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class FixedPoint(TypeDecorator):
    """An exact decimal with two places, stored as a whole number of hundredths.

    Hours (1.25 h) and money both use it: integer sums agree to the last digit on SQLite and
    PostgreSQL alike, where SQLite would turn a NUMERIC into a binary float.
    """

    impl = sa.BigInteger
    cache_ok = True
    QUANTUM = Decimal("0.01")

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        hundredths = value * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"{value} has more than two decimals")
        return int(hundredths)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # scaleb keeps exactly two decimals, and is much cheaper than dividing and quantizing.
        return Decimal(int(value)).scaleb(-2)

    @property
    def python_type(self):
        return Decimal


def enum_column(enum_cls: type[enum.StrEnum], name: str) -> sa.Enum:
    """A ``StrEnum`` stored by value as text with a CHECK constraint, the same on every backend."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_cls),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Versioned:
    """A version number bumped on every update; an UPDATE from a stale copy matches no row.

    SQLAlchemy raises ``StaleDataError`` then, so two people editing one record can never
    overwrite each other silently.
    """

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls):  # noqa: N805 - SQLAlchemy passes the class
        return {"version_id_col": cls.__table__.c.version}


class Timestamped:
    """When a row was created."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
