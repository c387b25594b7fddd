"""Unit of work: one connection and transaction shared by all repositories of a use case."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from storage.repositories.announcements import SqlAnnouncementRepository, SqlPollRepository
from storage.repositories.chats import SqlChatRepository
from storage.repositories.issues import SqlIssueRepository
from storage.repositories.messages import SqlMessageRefRepository
from storage.repositories.moderation import SqlModerationRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.people import SqlRoleRepository, SqlUserRepository
from storage.repositories.reports import SqlReportRepository
from storage.repositories.sla import SqlSlaRepository
from storage.repositories.updates import SqlProcessedUpdates


class SqlUnitOfWork:
    issues: SqlIssueRepository
    chats: SqlChatRepository
    roles: SqlRoleRepository
    users: SqlUserRepository
    refs: SqlMessageRefRepository
    outbox: SqlOutboxRepository
    updates: SqlProcessedUpdates
    sla: SqlSlaRepository
    reports: SqlReportRepository
    moderation: SqlModerationRepository
    announcements: SqlAnnouncementRepository
    polls: SqlPollRepository

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        connection = await self._engine.connect()
        self._connection = connection
        self._transaction = await connection.begin()
        self.issues = SqlIssueRepository(connection)
        self.chats = SqlChatRepository(connection)
        self.roles = SqlRoleRepository(connection)
        self.users = SqlUserRepository(connection)
        self.refs = SqlMessageRefRepository(connection)
        self.outbox = SqlOutboxRepository(connection)
        self.updates = SqlProcessedUpdates(connection)
        self.sla = SqlSlaRepository(connection)
        self.reports = SqlReportRepository(connection)
        self.moderation = SqlModerationRepository(connection)
        self.announcements = SqlAnnouncementRepository(connection)
        self.polls = SqlPollRepository(connection)
        return self

    @property
    def connection(self) -> AsyncConnection:
        assert self._connection is not None, "use the unit of work in `async with`"
        return self._connection

    async def commit(self) -> None:
        assert self._transaction is not None
        await self._transaction.commit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                await self._transaction.rollback()
        finally:
            if self._connection is not None:
                await self._connection.close()
            self._connection = None
            self._transaction = None


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)
