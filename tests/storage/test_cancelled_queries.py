"""A unit cancelled mid-query on a SQLite file (a lost lease stopping the sender, a timeout, a
stop cutting short a task already cancelled) lets go of the database as soon as its statement
ends, logs no error and leaves no thread behind."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import create_engine

# About a second of SQLite counting in the connection's thread, while the cancellations come.
SLOW_QUERY = text(
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3000000) "
    "SELECT count(*) FROM r"
)


@pytest.mark.parametrize("cancellations", [1, 2])
async def test_a_cancelled_query_lets_go_of_the_database_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, cancellations: int
) -> None:
    # A writer waits at most this long for the lock; a connection that kept it until Python
    # freed its cursor made the write below fail "database is locked".
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'civicbot.db'}", busy_timeout=10.0)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (body TEXT)"))
    threads_before = set(threading.enumerate())

    async def count() -> None:
        async with engine.begin() as connection:  # a writer's unit: it holds the write lock
            await connection.execute(SLOW_QUERY)

    caplog.set_level(logging.DEBUG, logger="sqlalchemy.pool")
    try:
        task = asyncio.create_task(count())
        await asyncio.sleep(0.05)  # the query runs in the connection's thread
        task.cancel()
        if cancellations == 2:
            await asyncio.sleep(0.01)  # SQLAlchemy is closing the connection, shielded
            task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes VALUES ('после отмены')"))
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT body FROM notes"))).scalars().all() == [
                "после отмены"
            ]
    finally:
        await engine.dispose()

    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    for _ in range(200):  # the cancelled connection's thread ends once its statement has
        left = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
        if not left:
            break
        await asyncio.sleep(0.05)
    assert left == []
