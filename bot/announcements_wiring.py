"""Building the announcement and poll services and hooking them to the outbox and scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.charts import poll_chart
from bot.config import Settings
from bot.domain.ports import Clock
from bot.domain.services.announcements import AnnouncementService, Authors
from bot.domain.services.polls import PollService
from bot.domain.services.roles import RoleService
from bot.domain.services.wizard import WizardService
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass
class AnnouncementServices:
    announcements: AnnouncementService
    polls: PollService
    wizard: WizardService

    async def on_batch_done(self, batch: str) -> None:
        """The outbox finished a batch: an announcement's report, or a poll's closing."""
        await self.announcements.on_batch_progress(batch)
        await self.polls.on_batch_progress(batch)

    async def sweep(self) -> None:
        await self.announcements.sweep()
        await self.polls.sweep()

    def schedule(self, scheduler: AsyncIOScheduler, tick: timedelta) -> None:
        """One sweep: repetitions that are due, polls to close, reports a restart interrupted."""
        scheduler.add_job(
            self.sweep,
            "interval",
            seconds=tick.total_seconds(),
            id="announcements_sweep",
            replace_existing=True,
        )


def build_announcement_services(
    settings: Settings,
    uow_factory: SqlUnitOfWorkFactory,
    clock: Clock,
    wake: Callable[[], None],
    roles: RoleService,
) -> AnnouncementServices:
    zone = settings.work_time.zone
    authors = Authors(roles, settings.announcements.allow_specialists)
    announcements = AnnouncementService(uow_factory, clock, wake, authors=authors, zone=zone)
    polls = PollService(uow_factory, clock, wake, authors=authors, zone=zone, chart=poll_chart)
    wizard = WizardService(
        uow_factory,
        clock,
        wake,
        authors=authors,
        announcements=announcements,
        polls=polls,
        zone=zone,
    )
    return AnnouncementServices(announcements, polls, wizard)
