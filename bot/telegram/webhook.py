"""Telegram webhooks: Telegram POSTs each update to the bot, which keeps it before the 200.

`civicbot run --webhook` (or `[telegram] mode = "webhook"`) serves `webhook_path` on
`webhook_host:webhook_port` behind a reverse proxy that holds the certificate (README
"Webhook"), then calls setWebhook with the public `webhook_url`, the secret, the update kinds
polling asks for and `webhook_max_connections`. A request must carry the secret in
X-Telegram-Bot-Api-Secret-Token (401 otherwise, nothing stored).

Nothing answered 200 is lost: the raw update is committed to the inbox first, and handled from
there by `InboxWorker` on the polling path (`bot/telegram/webhook_inbox.py`). An update id
seen before is answered 200 and not stored again. A locked database answers 503 and a failed
write 500, so Telegram delivers the update again; a body that is no JSON object, or one
without an update id, answers 400 (nothing accepted; Telegram's retry may bring it whole).
An update aiogram cannot read is stored like any other and quarantined when handled, as
polling does.

The webhook stays set when the bot stops, so Telegram keeps the updates of a restart and
delivers them after it. It is deleted only when asked: `civicbot webhook delete`, or a start
in polling mode (`leave_webhook`), since getUpdates fails with 409 while a webhook is set.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError

from bot.config import ConfigError, TelegramSettings
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.telemetry import Telemetry
from bot.telegram.outage import Outage
from bot.telegram.polling import Poller
from bot.telegram.waiting import wait_for_event
from bot.telegram.webhook_inbox import InboxWorker
from bot.webhook_server import WebhookEndpoint

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float
    cap: float


class TelegramWebhook:
    def __init__(
        self,
        bot: Bot,
        poller: Poller,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        settings: TelegramSettings,
        allowed_updates: Sequence[str],
        telemetry: Telemetry | None = None,
    ) -> None:
        url, secret = settings.webhook_url, settings.webhook_secret
        if url is None or secret is None:
            raise ConfigError('telegram.mode: "webhook" needs webhook_url and webhook_secret')
        self._bot = bot
        self._uow_factory = uow_factory
        self._clock = clock
        self._url = url
        self._secret = secret.get_secret_value()
        self._max_connections = settings.webhook_max_connections
        self._allowed_updates = list(allowed_updates)
        self._backoff = Backoff(
            settings.retry_backoff.total_seconds(), settings.retry_backoff_cap.total_seconds()
        )
        self.worker = InboxWorker(
            poller,
            uow_factory,
            clock,
            delay=settings.webhook_hold.total_seconds(),
            backoff=self._backoff.first,
            backoff_cap=self._backoff.cap,
            telemetry=telemetry,
        )
        self._endpoint = WebhookEndpoint(
            self._accept,
            secret_header=SECRET_HEADER,
            secret=self._secret,
            host=settings.webhook_host,
            port=settings.webhook_port,
            path=settings.webhook_path,
            name="Telegram",
        )

    async def serve(self, stop: asyncio.Event) -> None:
        """Listen, register the webhook with Telegram, handle stored updates until `stop`."""
        await self._endpoint.start()
        try:
            if await self._register(stop):
                log.info("receiving updates on the webhook %s", self._url)
                await self.worker.run(stop)
        finally:
            await self._endpoint.stop()

    async def _register(self, stop: asyncio.Event) -> bool:
        """setWebhook until it answers; False if stopped first. A refused URL is fatal."""
        outage = Outage("setWebhook", first=self._backoff.first, cap=self._backoff.cap)
        while not stop.is_set():
            try:
                await self._bot.set_webhook(
                    url=self._url,
                    secret_token=self._secret,
                    allowed_updates=self._allowed_updates,
                    max_connections=self._max_connections,
                )
            except TelegramUnauthorizedError:
                raise
            except TelegramBadRequest as exc:
                raise ConfigError(
                    f"telegram.webhook_url: refused by Telegram ({exc.message})"
                ) from None
            except Exception as exc:
                await wait_for_event(stop, outage.failed(exc))
                continue
            outage.succeeded()
            return True
        return False

    async def _accept(self, update: dict[str, Any]) -> int:
        update_id = update.get("update_id")
        if type(update_id) is not int:
            log.warning("webhook: a JSON object without an update id; refused")
            return 400
        payload = json.dumps(update, ensure_ascii=False)
        try:
            async with self._uow_factory() as uow:
                bot_id = self.worker.bot_id
                if not await uow.updates.seen(bot_id, update_id):
                    await uow.updates.inbox.add(bot_id, update_id, payload, self._clock())
                await uow.commit()
        except Exception as exc:
            if self._uow_factory.is_locked(exc):
                log.warning("webhook: update %d met a locked database; 503", update_id)
                return 503
            log.exception("webhook: update %d could not be stored; 500", update_id)
            return 500
        self.worker.arrived.set()
        return 200


async def handle_leftovers(
    poller: Poller, uow_factory: UnitOfWorkFactory, clock: Clock, stop: asyncio.Event
) -> None:
    """Before polling: handle the updates a run in webhook mode accepted and left stored."""
    count = await InboxWorker(poller, uow_factory, clock).drain(stop)
    if count:
        log.info("handled %d updates the webhook had stored", count)


async def leave_webhook(bot: Bot, stop: asyncio.Event, *, backoff: float, cap: float) -> bool:
    """Before polling: delete a webhook left set (getUpdates fails with 409 beside one),
    keeping the updates Telegram holds; False if stopped first."""
    outage = Outage("getWebhookInfo", first=backoff, cap=cap)
    while not stop.is_set():
        try:
            info = await bot.get_webhook_info()
            if info.url:
                log.warning(
                    "a webhook was set (%s, %d updates waiting); deleting it to poll",
                    info.url,
                    info.pending_update_count,
                )
                await bot.delete_webhook(drop_pending_updates=False)
        except TelegramUnauthorizedError:
            raise
        except Exception as exc:
            await wait_for_event(stop, outage.failed(exc))
            continue
        outage.succeeded()
        return True
    return False
