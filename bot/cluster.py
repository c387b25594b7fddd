"""Several processes on one database: who runs the jobs and the sender, and who polls.

Each bot has two leases (`bot.domain.leases`). The leader's runs the scheduled jobs and the
outbox sender: one sender per bot keeps Telegram's limits for the whole installation and each
chat's order. The polling lease lets one process call getUpdates (Telegram answers one caller
per token). A process without them stands by and takes over when the holder dies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.leases import leader_lease, polling_lease
from bot.services.leases import LeaseKeeper
from bot.services.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)

Sender = Callable[[], Coroutine[Any, Any, None]]


class SenderControl:
    """What the leader does with a messenger's sender: start it, and stop it cleanly."""

    def __init__(
        self,
        run: Sender,
        resume: Callable[[], None],
        stand_down: Sender,
        take_over: Sender | None = None,
    ) -> None:
        self.run = run
        self.resume = resume
        self.stand_down = stand_down
        self.take_over = take_over


def leader_keeper(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    messenger: str,
    bot_id: int | None,
    holder: str,
    lease: timedelta,
) -> LeaseKeeper:
    return LeaseKeeper(
        uow_factory,
        clock,
        leader_lease(messenger, bot_id),
        holder,
        lease,
        what="scheduled jobs and sending",
    )


def polling_keeper(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    messenger: str,
    bot_id: int | None,
    holder: str,
    lease: timedelta,
) -> LeaseKeeper:
    return LeaseKeeper(
        uow_factory, clock, polling_lease(messenger, bot_id), holder, lease, what="polling"
    )


async def lead(
    lost: asyncio.Event,
    sender: SenderControl,
    scheduler: AsyncIOScheduler | None,
) -> None:
    """The leader's work until `lost`: the sender and the scheduled jobs (the scheduler was
    started paused; it runs only here)."""
    if sender.take_over is not None:
        try:
            await sender.take_over()
        except Exception as exc:  # the dead sender's claims then run out on their own
            log.warning("outbox: could not take over the claims of a dead sender (%s)", exc)
    sender.resume()
    task = asyncio.create_task(sender.run(), name="outbox")
    if scheduler is not None:
        scheduler.resume()
    try:
        await lost.wait()
    finally:
        if scheduler is not None and scheduler.running:
            scheduler.pause()
        await sender.stand_down()
        if not task.done():
            task.cancel()
        # asyncio.wait, not wait_for under a suppress: a cancellation of this task while it
        # waits must go on up (swallowed, the lease keeper would take the lease again and
        # lead on, and the process would not end).
        done, _ = await asyncio.wait({task}, timeout=1.0)
        if task in done and not task.cancelled() and task.exception() is not None:
            log.warning("outbox: the sender ended with %r", task.exception())
