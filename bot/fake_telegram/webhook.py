"""Webhooks in the double, as Telegram runs them.

After setWebhook every update is POSTed to the bot's URL as JSON, with the secret in
X-Telegram-Bot-Api-Secret-Token; only a 2xx answer takes it off the queue. Anything else (an
error status, a refused connection, no answer within `timeout`) is retried with growing
delays while the webhook stays set, and shows in getWebhookInfo's last_error_date and
last_error_message in Telegram's words. getUpdates answers 409 while a webhook is set.

Leniency, for tests on one machine: plain http:// is accepted for 127.0.0.1 and localhost
(Telegram wants HTTPS on port 443, 80, 88 or 8443), and updates go out one at a time, in
order (Telegram opens up to max_connections at once). The first retry comes after
`first_retry` seconds (Telegram waits longer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from .models import JsonDict, bad_request

if TYPE_CHECKING:
    from .updates import UpdateQueue

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PORTS = (443, 80, 88, 8443)
LOCAL_HOSTS = ("127.0.0.1", "localhost")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    has_custom_certificate: bool


@dataclass(frozen=True)
class Delivery:
    """One POST of an update to the bot: the status it answered (0: no answer) and why not."""

    update_id: int
    update: JsonDict
    status: int
    error: str | None
    secret_sent: str | None
    seconds: float  # from the POST to the answer (or the failure)


@dataclass
class WebhookSender:
    queue: UpdateQueue
    clock: Any  # the world's unix(): last_error_date
    first_retry: float = 0.2
    factor: float = 2.0
    retry_cap: float = 2.0
    timeout: float = 30.0
    webhook: Webhook | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    last_error_date: int | None = None
    last_error_message: str | None = None
    _task: asyncio.Task[None] | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _session: aiohttp.ClientSession | None = None

    @property
    def active(self) -> bool:
        return self.webhook is not None

    def set(self, params: dict[str, Any]) -> None:
        url: str = params["url"]
        if not url:
            self.delete()
            return
        check_url(url)
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        connections = params.get("max_connections", 40)
        if not 1 <= connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        if params.get("drop_pending_updates"):
            self.queue.drop_pending()
        self.queue.set_allowed(params.get("allowed_updates"))
        self.webhook = Webhook(
            url,
            secret,
            connections,
            params.get("ip_address"),
            params.get("certificate") is not None,
        )
        self.queue.webhook_set()
        self.last_error_date = self.last_error_message = None
        self.kick()

    def delete(self) -> None:
        self.webhook = None
        self.kick()

    def info(self) -> JsonDict:
        webhook = self.webhook
        info: JsonDict = {
            "url": webhook.url if webhook else "",
            "has_custom_certificate": bool(webhook and webhook.has_custom_certificate),
            "pending_update_count": len(self.queue.pending),
        }
        if webhook is None:
            return info
        info["max_connections"] = webhook.max_connections
        info["ip_address"] = webhook.ip_address or "127.0.0.1"
        if self.queue.allowed_explicitly:
            info["allowed_updates"] = sorted(self.queue.allowed_updates)
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    def kick(self) -> None:
        """Something changed (an update queued, the webhook set or deleted): look again."""
        self._wake.set()
        if self.webhook is not None and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        delay = self.first_retry
        while self.webhook is not None:
            item = self.queue.peek()
            if item is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            webhook = self.webhook
            started = time.monotonic()
            status, error = await self._post(webhook, item)
            took = time.monotonic() - started
            self.deliveries.append(
                Delivery(item["update_id"], item, status, error, webhook.secret_token, took)
            )
            if 200 <= status < 300:
                self.queue.delivered(item["update_id"])
                delay = self.first_retry
                continue
            self.last_error_date = self.clock()
            self.last_error_message = error
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)  # a change retries at once
            delay = min(delay * self.factor, self.retry_cap)

    async def _post(self, webhook: Webhook, item: JsonDict) -> tuple[int, str | None]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            async with self._session.post(
                webhook.url,
                json=item,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return response.status, None
                return (
                    response.status,
                    f"Wrong response from the webhook: {response.status} {response.reason}",
                )
        except TimeoutError:
            return 0, "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return 0, "Connection refused"
        except aiohttp.ClientError as exc:
            return 0, f"Connection error: {type(exc).__name__}"


def check_url(url: str) -> None:
    """Telegram's rules for a webhook URL, plus plain http to this machine for tests."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad_request("bad webhook: invalid webhook URL specified") from None
    if not parts.hostname:
        raise bad_request("bad webhook: invalid webhook URL specified")
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return  # the double's leniency: tests listen on 127.0.0.1 without a certificate
    if parts.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if (port or 443) not in PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
