"""Time-based jobs. The database is the source of truth: jobs are rebuilt at every start.

Every job calls one service method; the services decide what is due.
"""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.services.housekeeping import HousekeepingService


def build_scheduler(settings: Settings, housekeeping: HousekeepingService) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone=settings.work_time.zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        housekeeping.forget_old_updates,
        "interval",
        hours=6,
        id="forget_old_updates",
        replace_existing=True,
    )
    return scheduler
