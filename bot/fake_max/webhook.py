"""Webhook delivery in the MAX double: once the bot subscribed (`POST /subscriptions`), every
update is POSTed to its URL with the `X-Max-Bot-Api-Secret` header instead of waiting for
long polling; any answer but 200 (or no answer) is retried with growing delays, as MAX does
(60 s, 150 s, 375 s … there; the double's first delay is short for the tests)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


@dataclass
class Subscription:
    url: str
    secret: str | None
    update_types: list[str] | None


@dataclass
class Delivery:
    update_type: str
    status: int  # 0: no answer


@dataclass
class WebhookSender:
    first_retry: float = 0.2
    factor: float = 2.5
    retries: int = 10
    subscription: Subscription | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _session: aiohttp.ClientSession | None = None

    def send(self, update: dict[str, Any]) -> bool:
        """Deliver `update` if subscribed (True), else leave it to long polling (False)."""
        subscription = self.subscription
        if subscription is None:
            return False
        wanted = subscription.update_types
        if wanted and update.get("update_type") not in wanted:
            return True
        task = asyncio.get_running_loop().create_task(self._deliver(subscription, update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _deliver(self, subscription: Subscription, update: dict[str, Any]) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {"X-Max-Bot-Api-Secret": subscription.secret} if subscription.secret else {}
        delay = self.first_retry
        for _ in range(self.retries + 1):
            status = 0
            try:
                async with self._session.post(
                    subscription.url,
                    json=update,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=30),  # MAX waits 30 s for the 200
                ) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                pass
            self.deliveries.append(Delivery(str(update.get("update_type")), status))
            if status == 200:
                return
            await asyncio.sleep(delay)
            delay *= self.factor
        log.warning("MAX double: webhook gave up on an update after %d retries", self.retries)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
