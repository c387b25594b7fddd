"""What /health checks: polling works, the database answers, the outbox is not stuck."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ops.metrics import Metrics
from bot.services.ports import Clock, UnitOfWorkFactory

DATABASE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{self.name}: {'ok' if self.ok else 'FAIL'} ({self.detail})"


@dataclass(frozen=True, slots=True)
class Health:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def body(self) -> str:
        status = "ok" if self.ok else "unhealthy"
        return "\n".join([status, *(check.line() for check in self.checks)]) + "\n"


class HealthCheck:
    def __init__(
        self,
        metrics: Metrics,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        polling_stale_after: timedelta,
        outbox_stuck_after: timedelta,
    ) -> None:
        self._metrics = metrics
        self._uow_factory = uow_factory
        self._clock = clock
        self._stale = polling_stale_after.total_seconds()
        self._stuck = outbox_stuck_after
        self._started = time.monotonic()

    async def check(self) -> Health:
        database, outbox = await self._storage()
        return Health((self._polling(), database, outbox))

    def _polling(self) -> Check:
        if self._metrics.polling_elsewhere:
            return Check("polling", True, "standing by: another process polls")
        last = self._metrics.last_poll_ok
        if last is None:
            return Check("polling", False, "no successful getUpdates yet")
        ago = time.monotonic() - last
        if self._metrics.last_poll_failed:
            return Check("polling", False, f"getUpdates fails; last success {ago:.0f}s ago")
        if ago > self._stale:
            return Check("polling", False, f"last successful getUpdates {ago:.0f}s ago")
        return Check("polling", True, f"last getUpdates {ago:.1f}s ago")

    async def _storage(self) -> tuple[Check, Check]:
        now = self._clock()
        try:
            waiting, oldest = await asyncio.wait_for(self._backlog(now), DATABASE_TIMEOUT)
        except Exception as exc:
            failed = Check("database", False, f"{type(exc).__name__}")
            return failed, Check("outbox", False, "unknown: the database did not answer")
        age = (now - oldest) if oldest is not None else timedelta(0)
        age = max(age, timedelta(0))
        self._metrics.outbox_backlog.set(waiting)
        self._metrics.outbox_oldest.set(age.total_seconds())
        detail = f"{waiting} waiting, oldest due {age.total_seconds():.0f}s ago"
        return Check("database", True, "answers"), Check("outbox", age <= self._stuck, detail)

    async def _backlog(self, now: datetime) -> tuple[int, datetime | None]:
        async with self._uow_factory.reader() as uow:
            return await uow.outbox.backlog(now)
