"""Helpers shared by repositories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Column, Executable, Table, select, update
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


async def move_chat_rows(
    db: AsyncConnection,
    table: Table,
    unique_with_chat: Column[Any],
    old_chat_id: int,
    new_chat_id: int,
) -> int:
    """Move a chat's rows to the chat's new id (a group became a supergroup), but for the rows
    whose `unique_with_chat` value the new id already has (a second chat claiming to migrate
    to the same id): those stay where they were, rather than break the unique key."""
    chat_id = table.c.chat_id
    taken = select(unique_with_chat).where(chat_id == new_chat_id)
    result = await db.execute(
        update(table)
        .where(chat_id == old_chat_id, unique_with_chat.not_in(taken))
        .values(chat_id=new_chat_id)
    )
    return int(result.rowcount)


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


async def upsert(
    db: AsyncConnection,
    table: Table,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
) -> None:
    """Insert the row `key` + `values`, or set `values` on the row that has `key` already.

    One INSERT … ON CONFLICT (key) DO UPDATE: two sessions writing the same new key at once
    both succeed (the second waits for the first and updates its row), where an UPDATE
    followed by an INSERT when it changed nothing fails the second with a unique-key error.
    The key's columns must be the table's primary key or carry a unique constraint.
    """
    statement = dialect_insert(db, table).values({**key, **values})
    if values:
        statement = statement.on_conflict_do_update(
            index_elements=[table.c[name] for name in key],
            set_={name: statement.excluded[name] for name in values},
        )
    else:
        statement = statement.on_conflict_do_nothing(
            index_elements=[table.c[name] for name in key]
        )
    await db.execute(statement)
