"""Helpers shared by repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection


async def insert_unless_duplicate(
    db: AsyncConnection, statement: Executable
) -> CursorResult[object] | None:
    """Run an insert in a savepoint; None if a unique constraint refused it.

    The savepoint keeps the caller's transaction usable after the refusal, on SQLite and
    PostgreSQL alike.
    """
    try:
        async with db.begin_nested():
            return await db.execute(statement)
    except IntegrityError:
        return None


def inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None, "insert without a primary key"
    return int(key[0])


def dialect_insert(db: AsyncConnection, table: Table) -> Any:
    """An INSERT that knows ON CONFLICT (SQLite and PostgreSQL spell it alike), so a
    duplicate is skipped or merged in one statement, without a savepoint."""
    if db.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
