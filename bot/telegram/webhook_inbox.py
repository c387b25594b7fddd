"""Handle the updates the webhook stored, one by one, on the polling path.

An update answered 200 lives in the inbox (`uow.updates.inbox`) until its own transaction
(`Poller.process` → `Poller.handle`, the same as a polled update) has committed; only then is
it removed. A crash anywhere in between leaves it there for the next start: handled again,
it finds its mark and changes nothing, as a polled update redelivered after a crash does.
Several processes on one database share the inbox: a process holds the update it handles
for `HOLD` and renews the hold while it works on it, so another takes it only if the first
died with it, within `HOLD` of the death.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.telemetry import NoTelemetry, Telemetry
from bot.telegram.outage import Outage
from bot.telegram.polling import Poller
from bot.telegram.waiting import wait_for_event

log = logging.getLogger(__name__)

HOLD = timedelta(seconds=10)
"""How long a process holds the update it handles unless it renews the hold; another takes
it over after that (an update a killed process held waited this long)."""
RENEW_EVERY = HOLD.total_seconds() / 4
"""Seconds between renewals of the hold while an update is handled (a lock wait, a slow
handler): a beat late on a loaded machine still leaves three."""
IDLE_CHECK = 5.0
"""Seconds between looks at the inbox without news (updates another process stored)."""


class InboxWorker:
    def __init__(
        self,
        poller: Poller,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        delay: float = 0.0,
        backoff: float = 1.0,
        backoff_cap: float = 60.0,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._poller = poller
        self.bot_id = poller.bot_id
        self._uow_factory = uow_factory
        self._clock = clock
        self._delay = delay
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        # /health's "polling" check: in webhook mode, a look at the inbox that worked.
        self._telemetry: Telemetry = telemetry or NoTelemetry()
        self.arrived = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Handle stored updates until `stop`; the update in hand is finished first."""
        outage = Outage("webhook inbox", first=self._backoff, cap=self._backoff_cap)
        while not stop.is_set():
            self.arrived.clear()
            try:
                done = await self._take_one(stop)
            except Exception as exc:  # the database is away: the updates wait in the inbox
                log.debug("webhook inbox failed", exc_info=True)
                self._telemetry.polled(False)
                await wait_for_event(stop, outage.failed(exc))
                continue
            self._telemetry.polled(True)
            outage.succeeded()
            if done is None:
                await _first(stop, self.arrived, IDLE_CHECK)
                if self._delay and not stop.is_set():
                    await wait_for_event(stop, self._delay)  # a drill's pause (webhook_hold)

    async def drain(self, stop: asyncio.Event) -> int:
        """Handle every update left stored (by a run in webhook mode that stopped or died
        before it could); how many. A start in polling mode does this before it polls."""
        count = 0
        while not stop.is_set() and await self._take_one(stop) is not None:
            count += 1
        return count

    async def _take_one(self, stop: asyncio.Event) -> int | None:
        """Handle the oldest stored update; its id, or None if none waits."""
        now = self._clock()
        async with self._uow_factory() as uow:
            claimed = await uow.updates.inbox.claim_next(self.bot_id, now, now + HOLD)
            await uow.commit()
        if claimed is None:
            return None
        update_id, payload = claimed
        started = asyncio.get_running_loop().time()
        update = self._poller.parse(_json(payload))
        keeper = asyncio.create_task(self._keep_holding(update_id))
        try:
            if update is not None and not await self._poller.process(update, stop):
                return update_id  # stopped while the database was locked: it stays stored
        finally:
            keeper.cancel()
            # gather, not a suppressed await: this task's own cancellation must go on up.
            await asyncio.gather(keeper, return_exceptions=True)
        async with self._uow_factory() as uow:
            await uow.updates.inbox.remove(self.bot_id, update_id)
            await uow.commit()
        self._telemetry.update_handled(asyncio.get_running_loop().time() - started)
        return update_id

    async def _keep_holding(self, update_id: int) -> None:
        """Renew the hold on the update being handled until cancelled; a failed renewal (the
        database away or locked) is tried again at the next beat."""
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                async with self._uow_factory() as uow:
                    await uow.updates.inbox.hold(self.bot_id, update_id, self._clock() + HOLD)
                    await uow.commit()
            except Exception:
                log.debug("webhook inbox: the hold on update %d was not renewed", update_id)


def _json(payload: str) -> object:
    try:
        return json.loads(payload)
    except ValueError:  # stored only after it parsed: never, but an id-less value is skipped
        return None


async def _first(stop: asyncio.Event, event: asyncio.Event, seconds: float) -> None:
    """Wait until `stop` or `event` is set, or `seconds` pass."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(event.wait())]
    _, pending = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
