"""Long polling that confirms an update to Telegram only after it has been handled.

aiogram's own polling confirms an update as soon as its handler task starts and does not
wait for running handlers on shutdown; a crash there loses the update. Here updates are
handled one by one, the next getUpdates offset confirms only handled ones, and a stop
request lets the update in hand finish first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot.services.ports import Clock
from bot.telegram.outage import Outage
from bot.telegram.waiting import wait_for_event
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)


class Poller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        uow_factory: SqlUnitOfWorkFactory,
        clock: Clock,
        *,
        timeout: int,
        allowed_updates: Sequence[str],
        settle: Callable[[], Awaitable[None]] | None = None,
        backoff: float = 1.0,
        backoff_cap: float = 60.0,
    ) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._uow_factory = uow_factory
        self._clock = clock
        self._timeout = timeout
        self._allowed_updates = list(allowed_updates)
        self._offset: int | None = None
        self._settle = settle
        self._backoff = backoff
        self._backoff_cap = backoff_cap

    async def run(self, stop: asyncio.Event) -> None:
        outage = Outage("getUpdates", first=self._backoff, cap=self._backoff_cap)
        while not stop.is_set():
            try:
                updates = await self._fetch(stop)
            except TelegramUnauthorizedError:
                raise  # the token was revoked: nothing to wait for
            except TelegramRetryAfter as exc:
                await wait_for_event(stop, float(exc.retry_after))
                continue
            except Exception as exc:
                # Transport errors, 5xx, 409, timeouts, and answers that are not JSON at all
                # (Telegram's front end serves an HTML page during incidents): all pass.
                await wait_for_event(stop, outage.failed(exc))
                continue
            if updates is None:
                break
            outage.succeeded()
            for update in updates:
                if stop.is_set():
                    break  # the rest stay unconfirmed and come again after a restart
                await self.handle(update)
                self._offset = update.update_id + 1
        await self._confirm()

    async def _fetch(self, stop: asyncio.Event) -> list[Update] | None:
        """The next batch, or None if a stop was requested while waiting for it."""
        request = GetUpdates(
            offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed_updates
        )
        fetch = asyncio.ensure_future(self._bot(request, request_timeout=self._timeout + 15))
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()
            return None
        stopped.cancel()
        return fetch.result()

    async def handle(self, update: Update) -> None:
        """Handle one update unless its effects were committed before.

        The seen-check, every change the handlers make and the update's mark are one
        transaction, committed once here: a redelivered update finds its mark and changes
        nothing, and no handler can commit half of an update's effects.
        """
        update_id = update.update_id
        if self._settle is not None and _answers_bot(update):
            # The bot's message may have been sent a moment ago: let the sender record its
            # id first, or the reply (or the button press) would not find what it answers.
            await self._settle()
        try:
            async with self._uow_factory.update_unit() as uow:
                if await uow.updates.seen(update_id):
                    log.info("update %d was handled before; skipped", update_id)
                    return
                try:
                    await self._dispatcher.feed_update(self._bot, update)
                except Exception:
                    log.exception("update %d failed", update_id)
                    uow.failed = True
                # An update that changed nothing (most group messages) needs no mark: handled
                # again, it would change nothing again. Its transaction is rolled back unwritten.
                if uow.wrote or uow.failed:
                    await uow.updates.claim(update_id, self._clock())
                    await uow.commit()
        except Exception:
            # The update's transaction itself failed: record the update as handled so a
            # poisonous one is not taken again and again.
            log.exception("update %d could not be committed", update_id)
            async with self._uow_factory() as uow:
                await uow.updates.mark(update_id, self._clock())
                await uow.commit()

    async def _confirm(self) -> None:
        """Tell Telegram which updates are done, so a restart does not see them again."""
        if self._offset is None:
            return
        try:
            await self._bot(GetUpdates(offset=self._offset, timeout=0, limit=1))
        except Exception as exc:  # the updates are marked handled anyway
            log.warning("could not confirm handled updates: %s", exc)


def _answers_bot(update: Update) -> bool:
    """A button press, or a reply to one of the bot's messages."""
    if update.callback_query is not None:
        return True
    message = update.message
    replied = message.reply_to_message if message is not None else None
    return replied is not None and replied.from_user is not None and replied.from_user.is_bot
