"""What every service shares: a unit of work that commits, then wakes the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.domain.outgoing import Outgoing
from bot.services.idempotency import AlreadyHandled, current_update
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
        """Commit if the block succeeds, so messages are stored before any is sent."""
        async with self._uow_factory() as uow:
            yield uow
            update_id = current_update.get()
            if update_id is not None and not await uow.updates.mark(update_id, self._clock()):
                raise AlreadyHandled(update_id)
            await uow.commit()
        self._wake()

    async def _send(self, uow: UnitOfWork, *messages: Outgoing) -> None:
        now = self._clock()
        for message in messages:
            await uow.outbox.enqueue(message, not_before=now)
