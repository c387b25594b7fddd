"""An aiosqlite-shaped connection that runs SQLite calls inline, on the event loop's thread.

aiosqlite runs each call in a worker thread: opening a cursor, executing, fetching and
closing are four hand-overs and four wake-ups of the event loop per statement, which cost far
more than the statement itself when the database is a local file in WAL mode. The update path
(`SqlUnitOfWorkFactory.update_unit`) uses this driver instead: its statements are small
indexed reads and writes that take microseconds.

The one thing SQLite may wait for is a lock held by another connection (the outbox sender, a
scheduled job, another process). Such a wait must not block the loop, so the connection's
busy timeout is zero and a statement that finds the database locked outside a transaction (a
BEGIN) is retried after an asynchronous sleep, for up to `busy_timeout` seconds. Inside a
transaction SQLite reports a lock it cannot wait for anyway (a stale snapshot), so the error
is raised at once, as with the threaded driver.

Nor does the loop write the WAL back into the database file: SQLite's automatic checkpoint
runs inside the COMMIT that crosses its threshold (a thousand pages: every 25 or so intakes),
copying the pages and syncing the file, tens of milliseconds on the loop. The inline
connection turns it off (`wal_autocheckpoint=0`, see storage/db.py) and, every
`CHECKPOINT_EVERY` commits, a worker thread checkpoints on a connection of its own: a PASSIVE
pass copies the pages without stopping anyone, then a RESTART pass copies what was written
meanwhile and lets the next writer start the WAL from its beginning, so it does not grow.
While that second pass holds the write lock, an update's BEGIN waits asynchronously as for
any other lock. The threaded engine's connections keep SQLite's default.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

RETRY_FIRST = 0.001
RETRY_MAX = 0.05
CHECKPOINT_EVERY = 100
"""Commits of the inline connection between two checkpoints run off the loop."""
CHECKPOINT_WAIT = 2.0
"""Seconds the checkpoint's RESTART pass waits for other connections' transactions."""

log = logging.getLogger(__name__)


def _locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class InlineCursor:
    def __init__(self, connection: InlineConnection) -> None:
        self._owner = connection
        self._cursor = connection._conn.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        args: Sequence[Any] = () if parameters is None else parameters
        await self._owner._retry(lambda: self._cursor.execute(sql, args))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)
        await self._owner._retry(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set the isolation
    level: the request runs at once."""

    def __init__(self) -> None:
        self.closed = False

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class Checkpointer:
    """Writes the WAL back into the database file in a worker thread, one pass at a time."""

    def __init__(self, path: str, every: int = CHECKPOINT_EVERY) -> None:
        self._path = path
        self._every = every
        self._commits = 0
        self._running: asyncio.Future[None] | None = None

    def committed(self) -> None:
        self._commits += 1
        if self._commits < self._every or self._running is not None:
            return
        self._commits = 0
        running = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        running.add_done_callback(self._done)
        self._running = running

    def _checkpoint(self) -> None:
        connection = sqlite3.connect(self._path, timeout=CHECKPOINT_WAIT)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        finally:
            connection.close()

    def _done(self, future: asyncio.Future[None]) -> None:
        self._running = None
        if not future.cancelled() and future.exception() is not None:
            # A busy or locked database: the next pass, or another connection, does it.
            log.debug("WAL checkpoint skipped: %s", future.exception())


class InlineConnection:
    def __init__(
        self,
        connection: sqlite3.Connection,
        busy_timeout: float,
        checkpointer: Checkpointer | None = None,
    ) -> None:
        self._conn = connection
        self._connection = connection
        self._tx = _RunNow()
        self._busy_timeout = busy_timeout
        self._checkpointer = checkpointer

    async def _retry(self, call: Callable[[], object]) -> None:
        deadline = time.monotonic() + self._busy_timeout
        delay = RETRY_FIRST
        while True:
            try:
                call()
                return
            except sqlite3.OperationalError as exc:
                waiting = not self._conn.in_transaction and _locked(exc)
                if not waiting or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value  # type: ignore[assignment]

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        await self._retry(self._conn.commit)
        if self._checkpointer is not None:
            self._checkpointer.committed()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()


def connector(
    path: str, busy_timeout: float = 30.0, checkpoint_every: int = CHECKPOINT_EVERY
) -> Callable[[], Any]:
    """An `async_creator` for SQLAlchemy's aiosqlite dialect."""

    checkpointer = Checkpointer(path, checkpoint_every)

    async def connect() -> InlineConnection:
        # Opened and used on the loop's thread; SQLAlchemy may close it from a finalizer.
        connection = sqlite3.connect(path, timeout=0, check_same_thread=False)
        return InlineConnection(connection, busy_timeout, checkpointer)

    return connect
