"""Composition of an installation on MAX: the core's services, the MAX adapter (long polling,
the router, the sender) and the scheduled jobs, run until stopped.

`bot.app.run` hands over here when no Telegram token is configured; with both tokens it
starts the MAX adapter beside Telegram's (`start_beside`), sharing the services, the
database and the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.cluster import SenderControl, lead, leader_keeper, polling_keeper
from bot.config import ConfigError, MaxSettings, Settings
from bot.domain.messengers import Messenger
from bot.max.client import MaxClient, MaxError
from bot.max.commands import DeskServices, MaxRouter
from bot.max.delivery import MaxOutboxDispatcher
from bot.max.moderation import MaxModeration
from bot.max.polling import UPDATE_TYPES, MaxPoller, wait_for
from bot.max.webhook import MaxWebhook
from bot.services.delivery_events import Doorbell
from bot.services.housekeeping import HousekeepingService
from bot.services.leases import LeaseKeeper, process_name
from bot.services.ports import Clock
from scheduler import build_scheduler
from scheduler.announcements import add_announcement_jobs
from scheduler.moderation import schedule_moderation
from scheduler.reports import add_report_jobs
from scheduler.sla import add_sla_jobs
from storage import db
from storage.notify import listen_to_other_processes
from storage.uow import SqlUnitOfWorkFactory

if TYPE_CHECKING:
    from bot.app import App, Services

log = logging.getLogger(__name__)

TOKEN_REJECTED = "max.token: rejected by MAX (401 verify.token)"


@dataclass
class MaxAdapter:
    client: MaxClient
    poller: MaxPoller
    outbox: MaxOutboxDispatcher
    settings: MaxSettings

    async def receive(self, stop: asyncio.Event, uow_factory: SqlUnitOfWorkFactory) -> None:
        """Take updates until `stop`: by long polling, or on the webhook (subscribed first)."""
        if self.settings.mode != "webhook":
            await self.poller.run(stop)
            return
        url, secret = self.settings.webhook_url, self.settings.webhook_secret
        assert url is not None and secret is not None
        webhook = MaxWebhook(
            self.poller,
            uow_factory,
            secret=secret.get_secret_value(),
            host=self.settings.webhook_host,
            port=self.settings.webhook_port,
            path=self.settings.webhook_path,
        )
        await webhook.start()
        try:
            await self.client.subscribe(url, secret.get_secret_value(), UPDATE_TYPES)
            log.info("subscribed to MAX updates at %s", url)
            await stop.wait()
        finally:
            await webhook.stop()

    async def connect(self, stop: asyncio.Event) -> bool:
        """GET /me until it answers (False if stopped first); a rejected token is fatal."""
        return await wait_for_max(
            self.client,
            stop,
            backoff=self.settings.retry_backoff.total_seconds(),
            cap=self.settings.retry_backoff_cap.total_seconds(),
        )


def build_max_adapter(
    max_settings: MaxSettings,
    settings: Settings,
    uow_factory: SqlUnitOfWorkFactory,
    services: Services,
    clock: Clock,
    doorbell: Doorbell,
) -> MaxAdapter:
    from bot.app import sender_options

    client = MaxClient(
        max_settings.token.get_secret_value(),
        max_settings.api_base,
        timeout=max_settings.request_timeout,
        requests_per_second=max_settings.requests_per_second,
    )
    outbox = MaxOutboxDispatcher(
        client, uow_factory, clock, doorbell=doorbell, **sender_options(settings, services)
    )
    desk = DeskServices(
        chats=services.chats,
        issues=services.issues,
        replies=services.replies,
        scopes=services.scopes,
        verdicts=services.verdicts,
        desk=services.desk,
        roles=services.roles,
        polls=services.announcements.polls,
        links=services.links,
        moderation=MaxModeration(services.newcomers, services.guard, services.moderators),
        transfers=services.transfers,
    )
    poller = MaxPoller(
        client,
        MaxRouter(desk, client.answer_callback),
        uow_factory,
        clock,
        timeout=max_settings.polling_timeout,
        settle=outbox.settled,
        backoff=max_settings.retry_backoff.total_seconds(),
        backoff_cap=max_settings.retry_backoff_cap.total_seconds(),
    )
    return MaxAdapter(client, poller, outbox, max_settings)


async def wait_for_max(
    client: MaxClient, stop: asyncio.Event, *, backoff: float, cap: float
) -> bool:
    """GET /me until it answers; a rejected token is a configuration error."""
    failures = 0
    while not stop.is_set():
        try:
            me = await client.get_me()
        except MaxError as exc:
            if exc.status == 401:
                raise ConfigError(TOKEN_REJECTED) from None
            failures += 1
            if failures == 1:
                log.warning("MAX GET /me failed (%s); retrying with back-off", exc)
            await wait_for(stop, min(backoff * 2 ** (failures - 1), cap))
            continue
        log.info("connected to MAX as @%s (id %s)", me.get("username"), me.get("user_id"))
        return True
    return False


async def run_max(settings: Settings, clock: Clock, stop: asyncio.Event) -> None:
    from bot.app import build_services

    max_settings = settings.max
    assert max_settings is not None
    url = settings.storage.database_url()
    busy = settings.storage.busy_timeout.total_seconds()
    engine = db.create_engine(url, busy)
    uow_factory = SqlUnitOfWorkFactory(engine, inline=db.create_inline_engine(url, busy))
    doorbell = Doorbell()
    services = build_services(settings, uow_factory, clock, doorbell.ring)
    adapter = build_max_adapter(max_settings, settings, uow_factory, services, clock, doorbell)
    scheduler = build_scheduler(settings, HousekeepingService(uow_factory, clock))
    add_sla_jobs(scheduler, settings.scheduler.tick, services.reminders, services.summaries)
    add_report_jobs(scheduler, settings, services.reports)
    schedule_moderation(scheduler, settings, services.newcomers)
    add_announcement_jobs(scheduler, settings.scheduler.tick, services.announcements)
    background: list[asyncio.Task[None]] = []
    leader, polling = _keepers(settings, uow_factory, clock)
    leading: asyncio.Task[None] | None = None
    try:
        await db.upgrade(engine)
        if not await adapter.connect(stop):
            return
        background.append(
            asyncio.create_task(
                listen_to_other_processes(engine, adapter.outbox.wake, uow_factory.cache.clear),
                name="max-notifications",
            )
        )
        # The jobs and the sender run in the one process that holds the leader's lease.
        scheduler.start(paused=True)
        sender = _sender_control(adapter)
        leading = asyncio.create_task(
            leader.hold(stop, lambda lost: lead(lost, sender, scheduler)), name="max-leader"
        )
        background.append(leading)
        log.info("taking MAX updates (%s)", max_settings.mode)
        try:
            await _receive(adapter, polling, stop, uow_factory)
        except MaxError as exc:
            if exc.status == 401:
                raise ConfigError(TOKEN_REJECTED) from None
            raise
    finally:
        log.info("stopping")
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await adapter.outbox.stop()
        if leading is not None:  # it hands the lease over once the sender has stopped
            await asyncio.wait({leading}, timeout=4.0)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await adapter.client.close()
        await uow_factory.dispose()
        await engine.dispose()
        log.info("stopped")


async def start_beside(app: App, stop: asyncio.Event) -> None:
    """Run the MAX adapter in the Telegram bot's process: its poller and sender as background
    tasks of `app`, stopped with it."""
    max_settings = app.settings.max
    assert max_settings is not None and app.max_doorbell is not None
    adapter = build_max_adapter(
        max_settings, app.settings, app.uow_factory, app.services, app.clock, app.max_doorbell
    )
    if not await adapter.connect(stop):
        return
    leader, polling = _keepers(app.settings, app.uow_factory, app.clock)
    sender = _sender_control(adapter)

    async def outbox() -> None:
        try:
            await leader.hold(stop, lambda lost: lead(lost, sender, None))
        finally:
            await adapter.client.close()

    async def poller() -> None:
        try:
            await _receive(adapter, polling, stop, app.uow_factory)
        except MaxError as exc:
            log.error("MAX updates stopped: %s", exc)
        finally:
            await adapter.outbox.stop()

    app.background.append(asyncio.create_task(outbox(), name="max-outbox"))
    app.background.append(asyncio.create_task(poller(), name="max-polling"))


def _keepers(
    settings: Settings, uow_factory: SqlUnitOfWorkFactory, clock: Clock
) -> tuple[LeaseKeeper, LeaseKeeper]:
    """The MAX bot's leases: its sender (and, on MAX alone, the jobs), and its long polling."""
    holder, lease, name = process_name(), settings.cluster.lease, Messenger.MAX.value
    clock = _real_time  # leases keep real time whatever clock the core is given
    return (
        leader_keeper(uow_factory, clock, messenger=name, bot_id=None, holder=holder, lease=lease),
        polling_keeper(
            uow_factory, clock, messenger=name, bot_id=None, holder=holder, lease=lease
        ),
    )


def _real_time() -> datetime:
    return datetime.now(UTC)


def _sender_control(adapter: MaxAdapter) -> SenderControl:
    return SenderControl(adapter.outbox.run, adapter.outbox.resume, adapter.outbox.stop)


async def _receive(
    adapter: MaxAdapter,
    polling: LeaseKeeper,
    stop: asyncio.Event,
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """Every process takes webhook calls; one at a time polls."""
    if adapter.settings.mode == "webhook":
        await adapter.receive(stop, uow_factory)
        return
    await polling.hold(stop, lambda lost: adapter.receive(lost, uow_factory))
