"""Building the announcement and poll services, which share their authors and dialogs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.config import Settings
from bot.services.announcements import AnnouncementService, Authors
from bot.services.dialogs import WizardService
from bot.services.polls import PollService
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.roles import RoleService

log = logging.getLogger(__name__)


@dataclass
class AnnouncementServices:
    announcements: AnnouncementService
    polls: PollService
    wizard: WizardService

    async def sweep(self) -> None:
        await self.announcements.sweep()
        await self.polls.sweep()


def build_announcement_services(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    wake: Callable[[], None],
    roles: RoleService,
) -> AnnouncementServices:
    zone = settings.work_time.zone
    authors = Authors(roles, settings.announcements.allow_specialists)
    announcements = AnnouncementService(uow_factory, clock, wake, authors=authors, zone=zone)
    polls = PollService(uow_factory, clock, wake, authors=authors, zone=zone, chart=_poll_chart)
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


def _poll_chart(question: str, options: Sequence[str], totals: Sequence[int]) -> bytes:
    from bot.services.reporting.chart import poll_chart  # matplotlib loads on the first chart

    return poll_chart(question, options, totals)
