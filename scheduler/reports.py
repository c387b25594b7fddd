"""The daily digest job: a short periodic check; the service decides whether today is due."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.services.reports import ReportService
from scheduler import stoppable

log = logging.getLogger(__name__)


def add_report_jobs(
    scheduler: AsyncIOScheduler, settings: Settings, reports: ReportService
) -> None:
    """Check every `scheduler.tick` whether the day's digest is due; cron alone cannot know
    the Russian working calendar, and a check that runs after a restart catches up the day."""

    async def daily_digest() -> None:
        try:
            await reports.run_scheduled_digest()
        except Exception:
            log.exception("daily digest failed; the next tick tries again")

    scheduler.add_job(
        stoppable(daily_digest),
        "interval",
        seconds=settings.scheduler.tick.total_seconds(),
        id="daily_digest",
        replace_existing=True,
    )
