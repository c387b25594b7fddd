"""Updates the bot cannot parse: set aside, confirmed, and reported to the admins at most
once an hour, so one of them neither blocks intake nor is lost."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.domain.quarantine import NOTICE_INTERVAL, QuarantinedUpdate
from bot.services.base import Service
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.roles import RoleService
from bot.services.staff import to_admins
from bot.texts import quarantine as t

log = logging.getLogger(__name__)


class QuarantineService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles

    async def set_aside(self, update_id: int, kind: str, error: str, payload: str) -> None:
        """Keep the raw update; tell the admins unless they were told within the hour.

        `error` names fields and reasons only, never the values residents wrote.
        """
        log.warning("update %d (%s) could not be parsed; quarantined: %s", update_id, kind, error)
        now = self._clock()
        async with self._unit() as uow:
            quarantine = uow.updates.quarantine
            if not await quarantine.add(update_id, kind, error, payload, now):
                return
            if await quarantine.noticed_since(now - NOTICE_INTERVAL):
                return
            await quarantine.mark_noticed(update_id)
            await self._send(
                uow, *await to_admins(uow, self._roles.admins, t.quarantined(update_id, kind))
            )

    async def listed(self) -> list[QuarantinedUpdate]:
        async with self._uow_factory.reader() as uow:
            return await uow.updates.quarantine.listed()

    async def payload(self, update_id: int) -> str | None:
        async with self._uow_factory.reader() as uow:
            return await uow.updates.quarantine.payload(update_id)

    async def replayed(self, update_id: int) -> None:
        async with self._unit() as uow:
            await uow.updates.quarantine.mark_replayed(update_id, self._clock())
