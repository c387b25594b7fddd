"""The issue counter (migration 0020_counters) on both backends: it starts after every number
already handed out, and the intake takes numbers from it without gaps."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from storage import db
from storage.uow import SqlUnitOfWorkFactory
from tests.database import fresh_database
from tests.storage.test_storage import add_issue


async def test_an_upgraded_database_numbers_on_after_its_highest_number(
    tmp_path: Path,
) -> None:
    database = await fresh_database(tmp_path, migrated=False)
    engine = db.create_engine(database.url)
    try:
        await db.upgrade(engine, "0019_report_speed")
        factory = SqlUnitOfWorkFactory(engine)
        # Issues 1-3 filed before the upgrade, the last one deleted: 3 is never given again.
        async with engine.begin() as connection:
            for message_id in (10, 11, 12):
                await connection.execute(
                    sa.text(
                        "INSERT INTO issues (chat_id, thread_id, message_id, author_id,"
                        " author_name, text, tag, attachments, status, created_at, updated_at,"
                        " contacts, not_resolved_count, private)"
                        " VALUES (-1001, 0, :m, 1, 'Анна', 'x', '', '[]', 'new',"
                        " '2026-11-25 00:00:00', '2026-11-25 00:00:00', 0, 0, false)"
                    ),
                    {"m": message_id},
                )
            await connection.execute(sa.text("DELETE FROM issues WHERE number = 3"))
        await db.upgrade(engine)

        issue = await add_issue(factory, 13)
        assert issue is not None and issue.number == 4
        assert await add_issue(factory, 13) is None  # a duplicate takes no number
        again = await add_issue(factory, 14)
        assert again is not None and again.number == 5
    finally:
        await engine.dispose()
        await database.drop()
