"""Time-based jobs. The database is the source of truth: jobs are rebuilt at every start."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.domain.ports import Clock
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)

PROCESSED_UPDATES_KEPT = timedelta(days=7)


def build_scheduler(
    settings: Settings, uow_factory: SqlUnitOfWorkFactory, clock: Clock
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone=settings.work_time.zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )

    async def forget_old_updates() -> None:
        async with uow_factory() as uow:
            removed = await uow.updates.forget_before(clock() - PROCESSED_UPDATES_KEPT)
            await uow.commit()
        log.info("forgot %d handled update ids", removed)

    scheduler.add_job(
        forget_old_updates, "interval", hours=6, id="forget_old_updates", replace_existing=True
    )
    return scheduler
