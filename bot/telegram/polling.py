"""Long polling that confirms an update to Telegram only after it has been handled.

aiogram's own polling confirms an update as soon as its handler task starts and does not
wait for running handlers on shutdown; a crash there loses the update. Here updates are
handled one by one, the next getUpdates offset confirms only handled ones, and a stop
request lets the update in hand finish first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import ClientDecodeError, TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from aiogram.types import Update
from pydantic import ValidationError

from bot.domain.limits import without_nul
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.telemetry import NoTelemetry, Telemetry
from bot.services.update_once import handle_once
from bot.telegram.outage import Outage
from bot.telegram.waiting import wait_for_event

log = logging.getLogger(__name__)

Quarantine = Callable[[int, str, str, str], Awaitable[None]]
"""Set an unparseable update aside: (update id, kind, error, raw JSON)."""


@dataclass(frozen=True, slots=True)
class Poison:
    """An update of the batch that aiogram's models reject."""

    update_id: int
    kind: str
    error: str
    payload: str


class Poller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        timeout: int,
        allowed_updates: Sequence[str],
        settle: Callable[[], Awaitable[None]] | None = None,
        backoff: float = 1.0,
        backoff_cap: float = 60.0,
        quarantine: Quarantine | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._telemetry: Telemetry = telemetry or NoTelemetry()
        self._bot = bot
        # Updates are keyed by the bot that received them: another bot on the database (a
        # second token) numbers its updates on its own.
        self.bot_id: int = bot.id
        self._dispatcher = dispatcher
        self._uow_factory = uow_factory
        self._clock = clock
        self._timeout = timeout
        self._allowed_updates = list(allowed_updates)
        self._offset: int | None = None
        self._settle = settle
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        self._quarantine = quarantine

    async def run(self, stop: asyncio.Event) -> None:
        outage = Outage("getUpdates", first=self._backoff, cap=self._backoff_cap)
        while not stop.is_set():
            try:
                updates = await self._fetch(stop)
            except TelegramUnauthorizedError:
                self._telemetry.polled(False)
                raise  # the token was revoked: nothing to wait for
            except TelegramRetryAfter as exc:
                self._telemetry.polled(False)
                await wait_for_event(stop, float(exc.retry_after))
                continue
            except Exception as exc:
                # Transport errors, 5xx, 409, timeouts, and answers that are not JSON at all
                # (Telegram's front end serves an HTML page during incidents): all pass.
                self._telemetry.polled(False)
                await wait_for_event(stop, outage.failed(exc))
                continue
            if updates is None:
                break
            self._telemetry.polled(True)
            outage.succeeded()
            for update in updates:
                if stop.is_set():
                    break  # the rest stay unconfirmed and come again after a restart
                started = time.perf_counter()
                if not await self.process(update, stop):
                    break  # stopped while the database was locked: the update comes again
                self._telemetry.update_handled(time.perf_counter() - started)
                self._offset = update.update_id + 1
        await self._confirm()

    async def _fetch(self, stop: asyncio.Event) -> list[Update | Poison] | None:
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
        try:
            return list(fetch.result())
        except ClientDecodeError as exc:
            batch = _raw_batch(exc)
            if batch is None:
                raise
            # One update the models reject fails the whole batch: parse them one by one.
            return [parsed for item in batch if (parsed := self.parse(item)) is not None]

    def parse(self, item: Any) -> Update | Poison | None:
        """The update aiogram reads from a raw one, a Poison if it cannot, None without an id."""
        update_id = item.get("update_id") if isinstance(item, dict) else None
        if not isinstance(update_id, int):
            log.warning("an update without an id could not be parsed; skipped")
            return None
        item = without_nul(item)
        try:
            return Update.model_validate(item, context={"bot": self._bot})
        except ValidationError as exc:
            kind = next((key for key in item if key != "update_id"), "unknown")
            payload = json.dumps(item, ensure_ascii=False)
            return Poison(update_id, str(kind)[:64], safe_error(exc), payload)

    async def process(self, update: Update | Poison, stop: asyncio.Event) -> bool:
        """Handle the update, or set it aside if aiogram could not parse it, waiting out a
        locked database; False if a stop came first. The one path of an update, polled or
        taken from the webhook inbox (bot/telegram/webhook_inbox.py)."""
        work = self._set_aside if isinstance(update, Poison) else self.handle
        return await self._through_locks(work, update, stop)

    async def _set_aside(self, poison: Poison) -> None:
        if self._quarantine is None:
            log.warning(
                "update %d (%s) could not be parsed; skipped", poison.update_id, poison.kind
            )
            return
        await self._quarantine(poison.update_id, poison.kind, poison.error, poison.payload)

    async def _through_locks(
        self,
        work: Callable[[Any], Awaitable[None]],
        update: Update | Poison,
        stop: asyncio.Event,
    ) -> bool:
        """Handle (or set aside) the update, waiting out a write lock another connection holds
        for longer than the busy timeout (a backup, a second process, a slow disk); False if a
        stop came first. The update's transaction is rolled back whole on a lock, so a retry
        repeats nothing."""
        outage = Outage("database write", first=self._backoff, cap=self._backoff_cap)
        while True:
            try:
                await work(update)
            except Exception as exc:
                if not self._uow_factory.is_locked(exc):
                    raise
                log.debug("update %d waits for the database", update.update_id)
                if await wait_for_event(stop, outage.failed(_DatabaseLocked(update.update_id))):
                    return False
                continue
            outage.succeeded()
            return True

    async def handle(self, update: Update) -> None:
        """Handle one update unless its effects were committed before (one transaction:
        `bot.services.update_once`)."""
        if self._settle is not None and _reads_sent_messages(update):
            # The bot's message may have been sent a moment ago: let the sender record its
            # id first, or the reply (or the button press) would not find what it answers,
            # and a migration would leave it under the chat's old id.
            await self._settle()
        await handle_once(
            self._uow_factory,
            self._clock,
            bot_id=self.bot_id,
            key=update.update_id,
            what=f"update {update.update_id}",
            work=lambda: self._dispatcher.feed_update(self._bot, update),
        )

    async def _confirm(self) -> None:
        """Tell Telegram which updates are done, so a restart does not see them again."""
        if self._offset is None:
            return
        try:
            await self._bot(GetUpdates(offset=self._offset, timeout=0, limit=1))
        except Exception as exc:  # the updates are marked handled anyway
            log.warning("could not confirm handled updates: %s", exc)


def _reads_sent_messages(update: Update) -> bool:
    """A button press, a reply to one of the bot's messages, or a group becoming a
    supergroup (which moves the bot's messages there to the new chat id)."""
    if update.callback_query is not None:
        return True
    message = update.message
    if message is None:
        return False
    if message.migrate_to_chat_id is not None or message.migrate_from_chat_id is not None:
        return True
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.is_bot


class _DatabaseLocked(Exception):
    def __init__(self, update_id: int) -> None:
        super().__init__(f"locked by another connection; update {update_id} waits")


def _raw_batch(exc: ClientDecodeError) -> list[Any] | None:
    """The raw updates of a getUpdates answer that was JSON but failed validation."""
    if not isinstance(exc.original, ValidationError) or not isinstance(exc.data, dict):
        return None
    result = exc.data.get("result")
    return result if exc.data.get("ok") is True and isinstance(result, list) else None


def safe_error(exc: ValidationError, limit: int = 500) -> str:
    """Where and why validation failed, without the values: they are residents' words."""
    parts = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    return "; ".join(parts)[:limit]
