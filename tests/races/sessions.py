"""Two sessions that really overlap: the tools of the race tests.

Each session is a unit-of-work factory on an engine of its own, as two bot processes have.
A `Meeting` holds each session at a chosen point (after it read an issue, before it commits)
until the other session has reached that point too, so both have read before either writes.
A session that cannot reach the point because it waits for a lock the first one holds (a row
lock, a unique index entry) releases the meeting instead: that wait is the fix at work, and the
first session must go on and commit for it to end.

On SQLite every writer begins IMMEDIATE, so the second session waits at BEGIN, where nothing
can be observed; there the meeting holds nobody and the tests check the outcome only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.database import TestDatabase, migrated_engine

PATIENCE = 60.0  # seconds; generous for a loaded 2-core machine, never reached when correct

_LOCK_WAITERS = text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


class Meeting:
    """Holds the first `parties` sessions that arrive until all have, or one waits on a lock."""

    def __init__(self, probe: AsyncEngine | None, parties: int = 2) -> None:
        self._probe = probe
        self._parties = parties
        self.arrived = 0
        self.lock_waits_seen = 0
        self._open = asyncio.Event()
        if probe is None:
            self._open.set()

    async def arrive(self) -> None:
        self.arrived += 1
        if self.arrived >= self._parties:
            self._open.set()
        deadline = asyncio.get_running_loop().time() + PATIENCE
        while not self._open.is_set():
            waiting = await self._lock_waiters()
            if waiting:
                self.lock_waits_seen += 1
                self._open.set()
                break
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the other session neither arrived nor waited for a lock")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._open.wait(), 0.02)

    async def _lock_waiters(self) -> int:
        assert self._probe is not None
        async with self._probe.connect() as connection:
            return int((await connection.execute(_LOCK_WAITERS)).scalar_one())


class _Held:
    """A repository whose named methods stop at the meeting once they have answered."""

    def __init__(self, inner: Any, methods: frozenset[str], meeting: Meeting) -> None:
        self._inner = inner
        self._methods = methods
        self._meeting = meeting

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if name not in self._methods:
            return found

        async def held(*args: Any, **kwargs: Any) -> Any:
            result = await found(*args, **kwargs)
            await self._meeting.arrive()
            return result

        return held


class _HeldUnit(SqlUnitOfWork):
    meeting: Meeting
    hold_after: dict[str, frozenset[str]]
    hold_before_commit: bool

    def _build(self, connection: Any) -> None:
        super()._build(connection)
        for repository, methods in self.hold_after.items():
            setattr(self, repository, _Held(getattr(self, repository), methods, self.meeting))

    async def commit(self) -> None:
        if self.hold_before_commit:
            await self.meeting.arrive()
        await super().commit()


class Session(SqlUnitOfWorkFactory):
    """One process's view of the database: its own engine; its writing units stop at the
    meeting after the named repository calls (`{"issues": {"get"}}`) or before commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        meeting: Meeting,
        *,
        hold_after: dict[str, set[str]] | None = None,
        hold_before_commit: bool = False,
    ) -> None:
        super().__init__(engine)
        self.meeting = meeting
        self.hold_after = {name: frozenset(m) for name, m in (hold_after or {}).items()}
        self.hold_before_commit = hold_before_commit

    def __call__(self) -> SqlUnitOfWork:
        unit = _HeldUnit(self.engine, self.cache, parent=self._joinable())
        unit.meeting = self.meeting
        unit.hold_after = self.hold_after
        unit.hold_before_commit = self.hold_before_commit
        return unit


@asynccontextmanager
async def engines(database: TestDatabase, count: int) -> AsyncIterator[list[AsyncEngine]]:
    """`count` engines on the test's database (migrated), disposed afterwards."""
    made = [await migrated_engine(database) for _ in range(count)]
    try:
        yield made
    finally:
        for engine in made:
            await engine.dispose()


async def together(*work: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Run the sessions' work at once; each result, or the exception it raised."""
    return await asyncio.wait_for(
        asyncio.gather(*(job() for job in work), return_exceptions=True), PATIENCE * 2
    )
