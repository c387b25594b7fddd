"""Moments read in bulk as seconds since the epoch, without a datetime object per value.

A report reads tens of thousands of moments; going through `UtcDateTime` costs a parse and
two datetime objects each. `raw(column)` selects a moment column as the driver returns it:
SQLite's stored text (naive UTC, as `UtcDateTime` writes it), or PostgreSQL's aware datetime.
`epoch` turns either into seconds since the epoch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, type_coerce

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as SQLite keeps it


def raw(column: Any) -> Any:
    return type_coerce(column, String)


def epoch(value: str | datetime | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return (value - _EPOCH).total_seconds()
        return value.astimezone(UTC).timestamp()
    return (datetime.fromisoformat(value) - _EPOCH).total_seconds()
