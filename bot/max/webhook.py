"""MAX webhooks: an aiohttp endpoint MAX POSTs each update to.

The `X-Max-Bot-Api-Secret` header must carry the configured secret (401 otherwise). The update
is handled in its one transaction — stored and de-duplicated like a polled one — before the
200 goes back; a failure answers 500 (a locked database 503) so MAX delivers it again, and a
repeat finds its mark and changes nothing. MAX waits 30 s for the answer; one update is far
quicker. MAX wants HTTPS on port 443: put a reverse proxy with the certificate in front and
let it forward to `webhook_host:webhook_port`.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web

from bot.services.ports import UnitOfWorkFactory

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
        self._secret = secret
        self._host = host
        self._port = port
        self._path = path
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post(self._path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("MAX webhook listening on %s:%d%s", self._host, self._port, self._path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            return web.json_response({"ok": False}, status=401)
        try:
            update: Any = await request.json()
        except ValueError:
            return web.json_response({"ok": False}, status=400)
        if not isinstance(update, dict):
            return web.json_response({"ok": False}, status=400)
        try:
            await self._poller.handle(update)
        except Exception as exc:
            if self._uow_factory.is_locked(exc):
                return web.json_response({"ok": False}, status=503)  # MAX delivers it again
            log.exception("MAX webhook update failed")
            return web.json_response({"ok": False}, status=500)
        return web.json_response({"ok": True})
