"""MAX webhooks: an aiohttp endpoint MAX POSTs each update to.

The `X-Max-Bot-Api-Secret` header must carry the configured secret (401 otherwise; the
endpoint itself is `bot.webhook_server`, shared with Telegram). The update is handled in its
one transaction — stored and de-duplicated like a polled one — before the 200 goes back; a
failure answers 500 (a locked database 503) so MAX delivers it again, and a repeat finds its
mark and changes nothing. MAX waits 30 s for the answer; one update is far quicker. MAX wants
HTTPS on port 443: put a reverse proxy with the certificate in front and let it forward to
`webhook_host:webhook_port`.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.services.ports import UnitOfWorkFactory
from bot.webhook_server import WebhookEndpoint

from .polling import MaxPoller

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"


class MaxWebhook:
    def __init__(
        self,
        poller: MaxPoller,
        uow_factory: UnitOfWorkFactory,
        *,
        secret: str,
        host: str,
        port: int,
        path: str,
    ) -> None:
        self._poller = poller
        self._uow_factory = uow_factory
        self._endpoint = WebhookEndpoint(
            self._accept,
            secret_header=SECRET_HEADER,
            secret=secret,
            host=host,
            port=port,
            path=path,
            name="MAX",
        )

    async def start(self) -> None:
        await self._endpoint.start()

    async def stop(self) -> None:
        await self._endpoint.stop()

    async def _accept(self, update: dict[str, Any]) -> int:
        try:
            await self._poller.handle(update)
        except Exception as exc:
            if self._uow_factory.is_locked(exc):
                return 503  # MAX delivers it again
            log.exception("MAX webhook update failed")
            return 500
        return 200
