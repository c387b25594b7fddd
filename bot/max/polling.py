"""MAX long polling that confirms updates only after they are handled.

`GET /updates?marker=m` marks every update before `m` read. The marker of the next batch is
stored (in the database) only after the batch is handled, and the polling resumes from the
stored marker after a restart: without one MAX would return only the latest update. Each
update is handled in the core's one transaction per update and skipped if seen before
(MAX updates carry no id: `updates.update_key` digests the content).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.domain.limits import without_nul
from bot.domain.messengers import Messenger, max_chat
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.update_once import handle_once

from .client import MaxClient, MaxError
from .commands import MaxRouter
from .updates import MAX_BOT, callback_in, message_in, person, update_key

log = logging.getLogger(__name__)

UPDATE_TYPES = (
    "bot_started",
    "message_created",
    "message_edited",
    "message_callback",
    "bot_added",
    "bot_removed",
    "user_added",
    "user_removed",
)


async def wait_for(event: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


class MaxPoller:
    def __init__(
        self,
        client: MaxClient,
        router: MaxRouter,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        timeout: int,
        settle: Callable[[], Awaitable[None]] | None = None,
        backoff: float = 1.0,
        backoff_cap: float = 60.0,
    ) -> None:
        self._client = client
        self._router = router
        self._uow_factory = uow_factory
        self._clock = clock
        self._timeout = timeout
        self._settle = settle
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        self.marker: int | None = None

    async def run(self, stop: asyncio.Event) -> None:
        async with self._uow_factory.reader() as uow:
            self.marker = await uow.native.marker(Messenger.MAX)
        failures = 0
        while not stop.is_set():
            try:
                fetched = await self._fetch(stop)
            except MaxError as exc:
                if exc.status == 401:
                    raise
                failures += 1
                delay = min(self._backoff * 2 ** (failures - 1), self._backoff_cap)
                if failures == 1:
                    log.warning("MAX GET /updates failed (%s); retrying with back-off", exc)
                await wait_for(stop, delay)
                continue
            if fetched is None:
                break
            failures = 0
            updates, next_marker = fetched
            for update in updates:
                if stop.is_set():
                    return  # the marker stays: the rest come again after a restart
                if not await self._through_locks(update, stop):
                    return  # stopped while the database was locked: it comes again
            if next_marker is not None and next_marker != self.marker:
                await self._store_marker(next_marker)

    async def _fetch(self, stop: asyncio.Event) -> tuple[list[dict[str, Any]], int | None] | None:
        # Without a marker MAX answers only the latest update, even of those that arrive while
        # the request waits: the very first request (nothing stored yet) does not wait, and
        # the marker it brings back makes every later update wait its turn.
        timeout = self._timeout if self.marker is not None else 0
        fetch = asyncio.ensure_future(
            self._client.get_updates(self.marker, timeout=timeout, types=UPDATE_TYPES)
        )
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()
            return None
        stopped.cancel()
        return fetch.result()

    async def _through_locks(self, update: dict[str, Any], stop: asyncio.Event) -> bool:
        """Handle the update, waiting out a write lock held elsewhere past the busy timeout
        (its transaction was rolled back whole, so a retry repeats nothing); False if a stop
        came first."""
        failures = 0
        while True:
            try:
                await self.handle(update)
            except Exception as exc:
                if not self._uow_factory.is_locked(exc):
                    raise
                failures += 1
                delay = min(self._backoff * 2 ** (failures - 1), self._backoff_cap)
                if await wait_for(stop, delay):
                    return False
                continue
            return True

    async def _store_marker(self, marker: int) -> None:
        async with self._uow_factory() as uow:
            await uow.native.set_marker(Messenger.MAX, marker, self._clock())
            await uow.commit()
        self.marker = marker

    async def handle(self, update: dict[str, Any]) -> None:
        """Handle one update unless its effects were committed before (one transaction:
        `bot.services.update_once`)."""
        update = without_nul(update)
        kind = str(update.get("update_type"))
        if self._settle is not None and kind in ("message_callback", "message_created"):
            await self._settle()
        await handle_once(
            self._uow_factory,
            self._clock,
            bot_id=MAX_BOT,
            key=update_key(update),
            what=f"MAX update {kind}",
            work=lambda: self._route(kind, update),
            before_mark=lambda: self._remember_mid(update),
        )

    async def _remember_mid(self, update: dict[str, Any]) -> None:
        """The message's `mid` beside its core id, for the replies queued in this update."""
        message = message_in(update["message"]) if update.get("message") else None
        if message is None or update.get("update_type") == "message_callback":
            return
        async with self._uow_factory() as uow:
            await uow.native.record_message(
                message.caller.chat_id, message.incoming.message_id, message.mid
            )
            await uow.commit()

    async def _route(self, kind: str, update: dict[str, Any]) -> None:
        if kind in ("message_created", "message_edited"):
            message = message_in(update.get("message") or {})
            if message is None:
                return
            if kind == "message_created":
                await self._router.on_message(message)
            else:
                await self._router.on_edited(message)
        elif kind == "message_callback":
            press = callback_in(update)
            if press is not None:
                await self._router.on_callback(press)
        elif kind == "bot_started" and isinstance(update.get("user"), dict):
            await self._router.on_bot_started(person(update["user"]))
        elif kind == "user_added" and isinstance(update.get("user"), dict):
            if update.get("chat_id") is not None and not update["user"].get("is_bot"):
                chat_id = max_chat(int(update["chat_id"]))
                await self._router.on_user_added(chat_id, person(update["user"]))
        elif kind == "bot_removed" and update.get("chat_id") is not None:
            await self._router.on_bot_removed(max_chat(int(update["chat_id"])))
        else:
            log.info("MAX update %s: not handled yet", kind)
