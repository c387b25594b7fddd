"""The SLA sweep job: reminders, escalations, on-control due days, personal and weekly lists.

One interval job with a fixed id; it only calls domain services, which decide from the
working-time calendar whether anything is due (cron knows nothing of the Russian calendar).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.reminders import ReminderService
from bot.services.summaries import SummaryService
from scheduler import stoppable

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "sla_sweep"


async def sla_sweep(reminders: ReminderService, summaries: SummaryService) -> None:
    try:
        await reminders.sweep()
    except Exception:
        log.exception("reminder sweep failed; the next tick retries what was not claimed")
    try:
        await summaries.run_due()
    except Exception:
        log.exception("summaries failed; the next tick retries what was not claimed")


def add_sla_jobs(
    scheduler: AsyncIOScheduler,
    tick: timedelta,
    reminders: ReminderService,
    summaries: SummaryService,
) -> None:
    scheduler.add_job(
        stoppable(sla_sweep),
        "interval",
        seconds=tick.total_seconds(),
        args=(reminders, summaries),
        id=SWEEP_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        # The first sweep right at start: what fell due while the bot was down goes out now.
        next_run_time=datetime.now(UTC),
    )
