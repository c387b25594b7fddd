"""Moments read in bulk as seconds since the epoch, without a datetime object per value.

A report reads tens of thousands of moments; going through `UtcDateTime` costs a parse and
two datetime objects each. `seconds(column, dialect)` has the database compute the number:
on SQLite from its stored text (naive UTC, as `UtcDateTime` writes it) by julianday, on
PostgreSQL by EXTRACT(EPOCH ...) as double precision; `epoch` takes whatever comes back (a
number, or for another database the stored text or a datetime) to seconds since the epoch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, String, cast, extract, func, type_coerce

_UNIX_JULIAN_DAY = 2440587.5
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as SQLite keeps it


_COMPUTED = ("sqlite", "postgresql")
"""The dialects where `seconds` has the database compute the number."""


def raw(column: Any) -> Any:
    return type_coerce(column, String)


def seconds(column: Any, dialect: str) -> Any:
    """`column` as seconds since the epoch, computed by the database where it can."""
    if dialect == "sqlite":
        return type_coerce((func.julianday(column) - _UNIX_JULIAN_DAY) * 86400.0, Float)
    if dialect == "postgresql":
        # EXTRACT gives numeric (PostgreSQL 14+), which the driver turns into a Decimal per
        # value: double precision comes back as a float, in half the time at 100,000 values.
        return cast(extract("epoch", column), Float)
    return raw(column)


def epochs(values: list[Any], dialect: str) -> list[Any]:
    """Values of one `seconds(column, dialect)` column as seconds since the epoch: kept as
    they are where the database computed them (None stays None), converted one by one
    elsewhere."""
    if dialect in _COMPUTED:
        return values
    return [epoch(value) for value in values]


def epoch(value: float | str | datetime | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return (value - _EPOCH).total_seconds()
        return value.astimezone(UTC).timestamp()
    return (datetime.fromisoformat(value) - _EPOCH).total_seconds()
