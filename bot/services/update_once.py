"""One update, one transaction, at most once: the way every messenger's update is handled."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.services.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)


async def handle_once(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    bot_id: int,
    key: int,
    what: str,
    work: Callable[[], Awaitable[None]],
    before_mark: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run `work` for the update `key` of `bot_id` unless its effects were committed before.

    The seen-check, every change the handlers make and the update's mark are one
    transaction, committed once here: a redelivered update finds its mark and changes
    nothing, and no handler can commit half of an update's effects. An update that changed
    nothing (most group messages) needs no mark: handled again, it would change nothing
    again, so its transaction is rolled back unwritten. `before_mark` runs in the same
    transaction, before the mark, when there is something to commit. `what` names the update
    in the log ("update 17").

    A locked database is raised (nothing was written: the caller waits and retries). If the
    update's transaction itself fails, the update is recorded as handled in a transaction of
    its own, so a poisonous update is not taken again and again.
    """
    try:
        async with uow_factory.update_unit() as uow:
            if await uow.updates.seen(bot_id, key):
                log.info("%s was handled before; skipped", what)
                return
            try:
                await work()
            except Exception:
                log.exception("%s failed", what)
                uow.failed = True
            if uow.wrote or uow.failed:
                if before_mark is not None:
                    await before_mark()
                await uow.updates.claim(bot_id, key, clock())
                await uow.commit()
    except Exception as exc:
        if uow_factory.is_locked(exc):
            raise
        log.exception("%s could not be committed", what)
        async with uow_factory() as uow:
            await uow.updates.mark(bot_id, key, clock())
            await uow.commit()
