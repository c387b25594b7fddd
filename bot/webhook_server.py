"""The HTTP endpoint a messenger POSTs its updates to, shared by the Telegram and MAX adapters.

It checks the secret header in constant time (401 without it, nothing read further), reads
the body as one JSON object (400 otherwise: nothing was accepted, so the messenger's retry
is right; a body cut short on the way may arrive whole next time) and answers the status its
`accept` callback gives. The messenger sends HTTPS to a public port: a reverse proxy with the
certificate forwards to `host:port` (README "Webhook").
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

Accept = Callable[[dict[str, Any]], Awaitable[int]]
"""Take one update (a JSON object); the HTTP status to answer: 200 once it is safe."""

MAX_BODY = 4 * 1024 * 1024


class WebhookEndpoint:
    def __init__(
        self,
        accept: Accept,
        *,
        secret_header: str,
        secret: str,
        host: str,
        port: int,
        path: str,
        name: str,
    ) -> None:
        self._accept = accept
        self._secret_header = secret_header
        self._secret = secret.encode()
        self._host = host
        self._port = port
        self._path = path
        self._name = name
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self._path, self._receive)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("%s webhook listening on %s:%d%s", self._name, self._host, self._port, self._path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(self._secret_header, "")
        if not hmac.compare_digest(given.encode(), self._secret):
            log.warning("%s webhook: a request without the right secret; refused", self._name)
            return web.json_response({"ok": False}, status=401)
        try:
            update: Any = await request.json()
        except ValueError:
            update = None
        if not isinstance(update, dict):
            log.warning("%s webhook: a body that is no JSON object; refused", self._name)
            return web.json_response({"ok": False}, status=400)
        status = await self._accept(update)
        return web.json_response({"ok": status == 200}, status=status)
