"""The newcomer sweep: removes newcomers whose time to press the button has run out.

Deadlines are stored with each check, so a restart loses none: the first sweep after the
start acts on everything that fell due while the bot was down.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.services.moderation_newcomers import NewcomerService
from scheduler import stoppable

log = logging.getLogger(__name__)


def schedule_moderation(
    scheduler: AsyncIOScheduler, settings: Settings, newcomers: NewcomerService
) -> None:
    async def expire_newcomers() -> None:
        removed = await newcomers.expire_due()
        if removed:
            log.info("removed %d newcomers who did not pass the check", removed)

    scheduler.add_job(
        stoppable(expire_newcomers),
        "interval",
        seconds=settings.moderation.sweep_interval.total_seconds(),
        id="expire_newcomers",
        replace_existing=True,
    )
