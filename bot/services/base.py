"""What every service shares: a unit of work that commits, then wakes the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.domain.outgoing import Outgoing
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory


class Service:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._wake = wake

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[UnitOfWork]:
        """Keep the block's changes if it succeeds, so messages are stored before any is sent.

        Inside an update the block is a savepoint of the update's transaction, which the poller
        commits once with the update's mark; the outbox is woken after that commit.
        """
        async with self._uow_factory() as uow:
            yield uow
            uow.on_commit(self._wake)
            await uow.commit()

    async def _send(self, uow: UnitOfWork, *messages: Outgoing) -> None:
        await uow.outbox.enqueue_all(messages, not_before=self._clock())
