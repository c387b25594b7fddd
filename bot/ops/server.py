"""The optional HTTP endpoint (`[ops] listen`): /health and /metrics, inside the bot process."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.config import ConfigError, OpsSettings
from bot.ops.health import HealthCheck
from bot.ops.metrics import Metrics
from bot.services.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)


class OpsServer:
    def __init__(self, metrics: Metrics, health: HealthCheck, host: str, port: int) -> None:
        self._metrics = metrics
        self._health = health
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port = port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self._on_health)
        app.router.add_get("/metrics", self._on_metrics)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("health and metrics at http://%s:%d/health and /metrics", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_health(self, _request: web.Request) -> web.Response:
        health = await self._health.check()
        return web.Response(status=200 if health.ok else 503, text=health.body())

    async def _on_metrics(self, _request: web.Request) -> web.Response:
        await self._health.check()  # refreshes the outbox gauges
        body = generate_latest(self._metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def start_ops_server(
    settings: OpsSettings, metrics: Metrics, uow_factory: UnitOfWorkFactory, clock: Clock
) -> OpsServer | None:
    """The endpoint `[ops] listen` asks for, serving; None when it is not set."""
    address = settings.address()
    if address is None:
        return None
    health = HealthCheck(
        metrics,
        uow_factory,
        clock,
        polling_stale_after=settings.polling_stale_after,
        outbox_stuck_after=settings.outbox_stuck_after,
    )
    server = OpsServer(metrics, health, *address)
    try:
        await server.start()
    except OSError as exc:
        raise ConfigError(
            f"ops.listen: cannot listen on {settings.listen}: {exc.strerror or exc}"
        ) from None
    return server
