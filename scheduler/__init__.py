"""Time-based jobs. The database is the source of truth: jobs are rebuilt at every start.

Every job calls one service method; the services decide what is due.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.services.housekeeping import HousekeepingService

log = logging.getLogger(__name__)


def stoppable(job: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[None]]:
    """A job the stop (or a hand-over to another process) may cut short without a traceback:
    what it had not claimed is done by the next run, here or in the process taking over."""

    @functools.wraps(job)
    async def run(*args: Any, **kwargs: Any) -> None:
        try:
            await job(*args, **kwargs)
        except asyncio.CancelledError:
            log.info("job %s was cut short by the stop", getattr(job, "__name__", job))

    return run


def build_scheduler(settings: Settings, housekeeping: HousekeepingService) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone=settings.work_time.zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        stoppable(housekeeping.forget_old_updates),
        "interval",
        hours=6,
        id="forget_old_updates",
        replace_existing=True,
    )
    return scheduler
