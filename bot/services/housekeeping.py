"""Keeping the database small: handled update ids are needed only while Telegram may resend."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.services.base import Service

log = logging.getLogger(__name__)

PROCESSED_UPDATES_KEPT = timedelta(days=7)


class HousekeepingService(Service):
    async def forget_old_updates(self) -> int:
        async with self._uow_factory() as uow:
            removed = await uow.updates.forget_before(self._clock() - PROCESSED_UPDATES_KEPT)
            await uow.commit()
        log.info("forgot %d handled update ids", removed)
        return removed
