"""The announcements sweep: repetitions that are due, polls to close, interrupted reports."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.announcements_wiring import AnnouncementServices
from scheduler import stoppable


def add_announcement_jobs(
    scheduler: AsyncIOScheduler, tick: timedelta, services: AnnouncementServices
) -> None:
    scheduler.add_job(
        stoppable(services.sweep),
        "interval",
        seconds=tick.total_seconds(),
        id="announcements_sweep",
        replace_existing=True,
    )
