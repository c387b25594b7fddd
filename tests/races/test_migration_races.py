"""Two processes start at once on an empty database: both migrate it, one after the other."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from storage import db
from tests.database import fresh_database
from tests.races.sessions import together


async def test_two_upgrades_of_one_empty_database_both_succeed(tmp_path: Path) -> None:
    database = await fresh_database(tmp_path, migrated=False)
    first, second = db.create_engine(database.url), db.create_engine(database.url)
    try:
        results = await together(lambda: db.upgrade(first), lambda: db.upgrade(second))

        assert results == [None, None]
        assert await db.current_revisions(first) == db.head_revisions()
        async with second.connect() as connection:  # the schema is whole: a table of the head
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert {"issues", "chats", "outbox", "alembic_version"} <= set(tables)
    finally:
        await first.dispose()
        await second.dispose()
        await database.drop()
