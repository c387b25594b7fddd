"""Unit of work: one connection and transaction shared by all repositories of a use case.

Outside an update (scheduled jobs, the sender, the CLI) every unit has its own connection and
transaction: writers begin IMMEDIATE, readers (`factory.reader()`) begin DEFERRED and never
take SQLite's write lock.

Inside an update (`factory.update_unit()`, opened by the poller around the dispatcher) there is
one transaction for the whole update, so the update's seen-check, every change its handlers
make and its mark commit together or not at all. Every unit a service opens while handling it
joins that transaction and its `commit()` commits nothing: a reader shares the connection; a
writer keeps its changes in the update's transaction, and if it fails, only its own changes
are undone (a savepoint when something was kept before it, otherwise the whole transaction is
rolled back and begun again), so the error reply can still be written. The update's unit
records whether anything was kept (`wrote`) or failed (`failed`); only it commits, once.
Callbacks a service registers with `on_commit` run after that commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from storage import db
from storage.cache import ReadCache, UnitState
from storage.db import BEGIN_OPTION
from storage.notify import notify_cache_changed
from storage.repositories.announcements import SqlAnnouncementRepository, SqlPollRepository
from storage.repositories.chats import SqlChatRepository
from storage.repositories.dialogs import SqlDialogStateRepository
from storage.repositories.issues import SqlIssueRepository
from storage.repositories.leases import SqlLeaseRepository
from storage.repositories.links import SqlLinkRepository
from storage.repositories.messages import SqlMessageRefRepository
from storage.repositories.moderation import SqlModerationRepository
from storage.repositories.native import SqlNativeRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.people import SqlRoleRepository, SqlUserRepository
from storage.repositories.reports import SqlReportRepository
from storage.repositories.sla import SqlSlaRepository
from storage.repositories.spam import SqlSpamRepository
from storage.repositories.updates import SqlProcessedUpdates


class _Repositories(dict[str, Any]):
    """The repositories of one connection, by name, built as they are asked for."""

    def __init__(
        self,
        connection: AsyncConnection,
        cache: ReadCache | None,
        state: UnitState,
        bots: Mapping[str, int],
    ) -> None:
        super().__init__()
        self.connection = connection
        self.cache = cache
        self.state = state
        self.bots = bots


_REPOSITORIES: dict[str, Callable[[_Repositories], Any]] = {
    "issues": lambda r: SqlIssueRepository(r.connection),
    "chats": lambda r: SqlChatRepository(r.connection, r.cache, r.state),
    "roles": lambda r: SqlRoleRepository(r.connection, r.cache, r.state),
    "users": lambda r: SqlUserRepository(r.connection),
    "refs": lambda r: SqlMessageRefRepository(r.connection),
    "dialogs": lambda r: SqlDialogStateRepository(r.connection),
    "outbox": lambda r: SqlOutboxRepository(r.connection, r.bots),
    "leases": lambda r: SqlLeaseRepository(r.connection),
    "updates": lambda r: SqlProcessedUpdates(r.connection, r.bots),
    "sla": lambda r: SqlSlaRepository(r.connection),
    "reports": lambda r: SqlReportRepository(r.connection),
    "moderation": lambda r: SqlModerationRepository(r.connection, r.cache, r.state),
    "announcements": lambda r: SqlAnnouncementRepository(r.connection),
    "polls": lambda r: SqlPollRepository(r.connection),
    "spam": lambda r: SqlSpamRepository(r.connection),
    "native": lambda r: SqlNativeRepository(r.connection),
    "links": lambda r: SqlLinkRepository(r.connection, r.cache, r.state),
}


class SqlUnitOfWork:
    issues: SqlIssueRepository
    chats: SqlChatRepository
    roles: SqlRoleRepository
    users: SqlUserRepository
    refs: SqlMessageRefRepository
    outbox: SqlOutboxRepository
    leases: SqlLeaseRepository
    updates: SqlProcessedUpdates
    sla: SqlSlaRepository
    reports: SqlReportRepository
    moderation: SqlModerationRepository
    announcements: SqlAnnouncementRepository
    polls: SqlPollRepository
    dialogs: SqlDialogStateRepository
    spam: SqlSpamRepository
    native: SqlNativeRepository
    links: SqlLinkRepository

    def __init__(
        self,
        engine: AsyncEngine,
        cache: ReadCache | None = None,
        *,
        read_only: bool = False,
        parent: SqlUnitOfWork | None = None,
        bots: Mapping[str, int] | None = None,
    ) -> None:
        self._engine = engine
        self._bots = bots or {}
        self._cache = cache
        self._read_only = read_only
        self._parent = parent
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None
        self._state = UnitState()
        self._after_commit: list[Callable[[], None]] = []
        self._repositories: _Repositories | None = None
        # An update's unit: has a joined writer kept changes, or failed; writers open now.
        self.wrote = False
        self.failed = False
        self._writers = 0
        self._kept = False

    @property
    def joined(self) -> bool:
        """True when this unit is part of an update's transaction and commits nothing itself."""
        return self._parent is not None

    async def __aenter__(self) -> Self:
        if self._parent is not None:
            self._join(self._parent)
            if not self._read_only:
                root = self._parent
                # A savepoint protects the update's earlier changes from this block's failure;
                # with none before it (and no block around it), a failure rolls the whole
                # transaction back instead, which saves two statements on the common path.
                if root.wrote or root._writers:
                    self._transaction = await self.connection.begin_nested()
                root._writers += 1
            return self
        connection = await self._engine.connect()
        self._connection = connection
        self._state.generation = self._cache.generation if self._cache is not None else 0
        try:
            if self._read_only:
                await connection.execution_options(**{BEGIN_OPTION: "DEFERRED"})
            self._transaction = await connection.begin()
        except BaseException:
            # BEGIN failed (the write lock is held elsewhere): give the connection back now,
            # not when the garbage collector finds it.
            self._connection = None
            await connection.close()
            raise
        self._build(connection)
        return self

    def _build(self, connection: AsyncConnection) -> None:
        self._use(_Repositories(connection, self._cache, self._state, self._bots))

    def _join(self, parent: SqlUnitOfWork) -> None:
        self._connection = parent.connection
        self._state = parent._state
        self._use(parent._repositories)

    def _use(self, repositories: _Repositories | None) -> None:
        """Take this connection's repositories; forget any a previous entry kept on the unit."""
        for name in _REPOSITORIES.keys() & self.__dict__.keys():
            del self.__dict__[name]
        self._repositories = repositories

    def __getattr__(self, name: str) -> Any:
        """A repository, built on its first use in the unit (an update's units share them):
        most updates use two or three of them."""
        repositories = self.__dict__.get("_repositories")
        if repositories is None or name not in _REPOSITORIES:
            raise AttributeError(name)
        value = repositories.get(name)
        if value is None:
            value = repositories[name] = _REPOSITORIES[name](repositories)
        self.__dict__[name] = value
        return value

    @property
    def connection(self) -> AsyncConnection:
        assert self._connection is not None, "use the unit of work in `async with`"
        return self._connection

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the changes are committed (for a joined unit: the update's)."""
        if self._parent is not None:
            self._parent.on_commit(callback)
        else:
            self._after_commit.append(callback)

    async def commit(self) -> None:
        """Commit a unit of its own; a joined unit only keeps its changes in the update's."""
        if self._transaction is not None and self._transaction.is_active:
            if self._parent is None and self._state.dirty:
                await notify_cache_changed(self.connection)
            await self._transaction.commit()
        if self._parent is not None:
            if not self._read_only:
                self._kept = True
                self._parent.wrote = True
            return
        self._settle_cache()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def _restart(self) -> None:
        """Roll the update's transaction back and begin it again (nothing was kept in it)."""
        if self._transaction is not None and self._transaction.is_active:
            await self._transaction.rollback()
        self._settle_cache()
        self._state.generation = self._cache.generation if self._cache is not None else 0
        self._transaction = await self.connection.begin()

    def _settle_cache(self) -> None:
        if self._state.dirty and self._cache is not None:
            self._cache.clear()
        self._state.dirty = False

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._parent is not None:
            root = self._parent
            if not self._read_only:
                root._writers -= 1
                if not self._kept:
                    root.failed = root.failed or exc is not None
                    if self._transaction is not None and self._transaction.is_active:
                        await self._transaction.rollback()
                    elif self._transaction is None:
                        await root._restart()
            self._transaction = None
            return
        try:
            if self._transaction is not None and self._transaction.is_active:
                await self._transaction.rollback()
        finally:
            self._settle_cache()
            self._after_commit = []
            if self._connection is not None:
                await self._connection.close()
            self._connection = None
            self._transaction = None


class _UpdateScope:
    def __init__(
        self,
        factory: SqlUnitOfWorkFactory,
        unit: SqlUnitOfWork,
        task: asyncio.Task[object] | None,
    ) -> None:
        self.factory = factory
        self.unit = unit
        self.task = task


_scope: ContextVar[_UpdateScope | None] = ContextVar("update_unit", default=None)


class SqlUnitOfWorkFactory:
    """Opens units of work on `engine`; an update's unit on `inline` when given (for SQLite:
    storage.inline_sqlite, no worker-thread hand-over per statement)."""

    def __init__(
        self,
        engine: AsyncEngine,
        cache: ReadCache | None = None,
        *,
        inline: AsyncEngine | None = None,
        bots: Mapping[str, int] | None = None,
    ) -> None:
        self.engine = engine
        self.cache = cache if cache is not None else ReadCache()
        self._inline = inline
        # The bot of each messenger this process runs (its id): outbox entries written here
        # carry it, so only that bot's sender carries them out.
        self.bots: Mapping[str, int] = dict(bots or {})

    async def dispose(self) -> None:
        """Close the update engine's connections (the caller owns `engine`)."""
        if self._inline is not None:
            await self._inline.dispose()

    def _joinable(self) -> SqlUnitOfWork | None:
        scope = _scope.get()
        if scope is None or scope.factory is not self:
            return None
        # A task started by a handler inherits the context but not the right to the
        # update's connection, which may be closed by the time it runs.
        if scope.task is not asyncio.current_task() or scope.unit._connection is None:
            return None
        return scope.unit

    def __call__(self) -> SqlUnitOfWork:
        """A unit that writes: its own IMMEDIATE transaction, or a savepoint in the update's."""
        parent = self._joinable()
        return SqlUnitOfWork(self.engine, self.cache, parent=parent, bots=self.bots)

    def is_locked(self, exc: BaseException) -> bool:
        return db.is_locked(exc)

    def forget_cached(self) -> None:
        self.cache.clear()

    def reader(self) -> SqlUnitOfWork:
        """A unit that only reads: DEFERRED (no write lock), or the update's connection."""
        return SqlUnitOfWork(
            self.engine, self.cache, read_only=True, parent=self._joinable(), bots=self.bots
        )

    @asynccontextmanager
    async def update_unit(self) -> AsyncIterator[SqlUnitOfWork]:
        """The one transaction of an update; units opened inside it join it."""
        engine = self._inline or self.engine
        async with SqlUnitOfWork(engine, self.cache, bots=self.bots) as unit:
            token = _scope.set(_UpdateScope(self, unit, asyncio.current_task()))
            try:
                yield unit
            finally:
                _scope.reset(token)
