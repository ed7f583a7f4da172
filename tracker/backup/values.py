"""Column values to JSON and back, decided by each column's type, for every table alike.

A dump must carry tables that do not exist yet when this is written, so nothing here names a
table or a column: a value is written by what it is (an exact decimal as a string, a timestamp
in ISO 8601, bytes in base64, an enum by its stored value, JSON as JSON) and read back by what
its column's type says it must be. Reading also checks that the value fits the column, since
SQLite would store a word in an integer column without a murmur.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class BadValue(ValueError):
    """A value that does not fit its column; the message says what was expected."""


def encode(value):
    """A column value as JSON can hold it."""
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"cannot write a {type(value).__name__} to a dump")


def _python_type(column_type) -> type:
    try:
        return column_type.python_type
    except NotImplementedError:
        return object


def _integer(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue("a whole number")
    return value


def _boolean(value):
    if not isinstance(value, bool):
        raise BadValue("true or false")
    return value


def _decimal(value):
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise BadValue("a decimal number written as a string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadValue("a decimal number written as a string") from None
    if not number.is_finite():
        raise BadValue("a finite decimal number")
    return number


def _float(value):
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise BadValue("a number")
    return float(value)


def _parsed(parse, what: str):
    def read(value):
        if not isinstance(value, str):
            raise BadValue(what)
        try:
            return parse(value)
        except ValueError:
            raise BadValue(what) from None

    return read


def _aware(parse):
    def read(text: str) -> datetime:
        moment = parse(text)
        if moment.tzinfo is None:
            raise ValueError("no timezone")
        return moment

    return read


def _binary(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _text(length: int | None):
    def read(value):
        if not isinstance(value, str):
            raise BadValue("text")
        if length is not None and len(value) > length:
            raise BadValue(f"text of at most {length} characters")
        return value

    return read


def _enum(enum_class, allowed: list[str]):
    def read(value):
        if value not in allowed:
            raise BadValue(f"one of {', '.join(allowed)}")
        return enum_class(value) if enum_class is not None else value

    return read


def _same(value):
    return value


def decoder(column: sa.Column) -> Callable:
    """The function that reads ``column``'s JSON value back into what the column takes.

    ``None`` passes through; whether the column may be empty is checked by the caller. A type of
    our own (``FixedPoint``, ``UTCDateTime``) also checks the value as it would on its way into
    the database, so that a load refuses it by row and column instead of failing mid-batch.
    """
    read = _base_decoder(column)
    declared = column.type
    if not isinstance(declared, TypeDecorator):
        return read

    def checked(value):
        result = read(value)
        try:
            declared.process_bind_param(result, None)
        except (ValueError, TypeError, ArithmeticError) as error:
            raise BadValue(f"a value this column takes ({error})") from None
        return result

    return checked


def _base_decoder(column: sa.Column) -> Callable:
    declared = column.type
    base = declared.impl_instance if isinstance(declared, TypeDecorator) else declared
    python = _python_type(declared)
    if isinstance(base, sa.JSON):
        return _same
    if isinstance(base, sa.Enum):
        return _enum(base.enum_class, list(base.enums))
    if python is Decimal:
        return _decimal
    if isinstance(base, sa.Float):
        return _float
    if isinstance(base, sa.Boolean):
        return _boolean
    if isinstance(base, sa.Integer):
        return _integer
    if isinstance(base, sa.DateTime):
        if base.timezone:
            return _parsed(_aware(datetime.fromisoformat), "a date and time with its timezone (ISO 8601)")
        return _parsed(datetime.fromisoformat, "a date and time (ISO 8601)")
    if isinstance(base, sa.Date):
        return _parsed(date.fromisoformat, "a date (YYYY-MM-DD)")
    if isinstance(base, sa.Time):
        return _parsed(time.fromisoformat, "a time of day (ISO 8601)")
    if isinstance(base, sa.LargeBinary):
        return _parsed(_binary, "bytes in base64")
    if isinstance(base, sa.Interval):
        return lambda value: timedelta(seconds=_float(value))
    if isinstance(base, sa.String):
        return _text(base.length)
    return _same
