"""Holding a lease: work that one process of the installation does at a time.

Several `civicbot run` processes share one database. Each asks for a named lease every third
of its duration; the one that gets it does the work and renews it on the same beat, the
others stand by. A process that dies stops renewing, its lease runs out, and another takes it
within one duration and a third. A process that cannot renew (the database is unreachable)
stops the work a third of the duration before its lease runs out, so two processes never do
it at once; this relies on the hosts' clocks agreeing to well within that third (NTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.services.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)

Work = Callable[[asyncio.Event], Awaitable[None]]
"""The work done while the lease is held; it returns soon after its event is set (the lease
was lost, or the process stops)."""


def process_name() -> str:
    """This process among the installation's: host, pid namespace, pid and a random part (a
    pid is reused)."""
    return f"{_here()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _here() -> str:
    """This host and pid namespace: processes with the same one see each other's pids."""
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:").strip("[]")
    except OSError:
        namespace = "-"
    return f"{socket.gethostname()}:{namespace}"


def gone(holder: str) -> bool:
    """Is `holder` a process of this host and pid namespace that no longer runs? (A bot
    restarted after a crash need not wait for its own old lease to run out.)"""
    parts = holder.rsplit(":", 3)
    if len(parts) != 4 or f"{parts[0]}:{parts[1]}" != _here() or not parts[2].isdecimal():
        return False
    pid = int(parts[2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it runs, as another user
    return False


class LeaseKeeper:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        name: str,
        holder: str,
        duration: timedelta,
        *,
        what: str,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self.name = name
        self.holder = holder
        self._duration = duration
        self._every = duration / 3
        self._what = what
        self._expires: datetime | None = None
        self.held = asyncio.Event()  # set while this process holds the lease
        self._asking_failed = False

    @property
    def margin(self) -> float:
        """Seconds the work has to stop in once told to: a third of the lease."""
        return self._every.total_seconds()

    async def hold(self, stop: asyncio.Event, work: Work) -> None:
        """Until `stop`: stand by until the lease is free, then do `work` while it is held.

        The lease is given up at the end, so another process takes over at once after a
        clean stop. An exception from `work` ends this too, after giving the lease up.
        """
        standing_by = False
        try:
            while not stop.is_set():
                if await self._take():
                    standing_by = False
                    # Another process did this work until now, and may have changed what
                    # this one keeps cached (a chat registered while it stood by). On
                    # PostgreSQL it would have heard; on SQLite nothing tells it.
                    self._uow_factory.forget_cached()
                    await self._while_held(stop, work)
                    continue
                if not standing_by:
                    standing_by = True
                    await self._say_standing_by()
                await _wait(stop, self._every.total_seconds())
        finally:
            await self._give_up()

    async def _take(self) -> bool:
        now = self._clock()
        until = now + self._duration
        try:
            async with self._uow_factory() as uow:
                got = await uow.leases.acquire(self.name, self.holder, now, until)
                if not got:
                    current = await uow.leases.holder(self.name)
                    if current is not None and gone(current.holder):
                        got = await uow.leases.take_from(
                            self.name, current.holder, self.holder, until
                        )
                        if got:
                            log.info(
                                "lease %s: %s, a process of this host, is gone; taken over",
                                self.name,
                                current.holder,
                            )
                await uow.commit()
        except Exception as exc:
            if not self._asking_failed:  # once per outage, not at every beat
                self._asking_failed = True
                log.warning(
                    "lease %s: could not ask for it (%s); asking again",
                    self.name,
                    type(exc).__name__,
                )
            return False
        self._asking_failed = False
        if got:
            self._expires = until
        return got

    async def _say_standing_by(self) -> None:
        try:
            async with self._uow_factory.reader() as uow:
                current = await uow.leases.holder(self.name)
        except Exception:
            current = None
        other = current.holder if current is not None else "another process"
        log.info(
            "%s: %s does it now (lease %s); this process stands by and takes over within %s "
            "if it stops",
            self._what,
            other,
            self.name,
            _seconds(self._duration + self._every),
        )

    async def _while_held(self, stop: asyncio.Event, work: Work) -> None:
        log.info("%s: this process does it now (lease %s)", self._what, self.name)
        self.held.set()
        lost = asyncio.Event()
        task = asyncio.create_task(_run(work, lost), name=f"lease {self.name}")
        try:
            while not stop.is_set() and not task.done():
                await _wait_any(stop, task, self._every.total_seconds())
                if stop.is_set() or task.done():
                    break
                if not await self._renew(stop):
                    break
        finally:
            lost.set()
            self.held.clear()
            # The work ends before the lease is given up or runs out: the caller waits here.
            await asyncio.gather(task, return_exceptions=True)
        if task.cancelled():
            raise asyncio.CancelledError
        if task.exception() is not None:
            raise task.exception()  # type: ignore[misc]

    async def _renew(self, stop: asyncio.Event) -> bool:
        """True while the lease is still this process's and safely so.

        A renewal that fails or hangs (the database is busy or unreachable) is tried again
        until a third of the lease is left; then the work stops, before the lease runs out
        and another process may take it.
        """
        warned = False
        while not stop.is_set():
            assert self._expires is not None
            now = self._clock()
            left = (self._expires - self._every - now).total_seconds()
            if left <= 0:
                log.warning(
                    "%s: stopped, the lease %s could not be renewed in time",
                    self._what,
                    self.name,
                )
                return False
            try:
                async with asyncio.timeout(left), self._uow_factory() as uow:
                    kept = await uow.leases.acquire(
                        self.name, self.holder, now, now + self._duration
                    )
                    await uow.commit()
            except Exception as exc:
                if not warned:
                    warned = True
                    log.warning(
                        "lease %s: could not renew it (%s); trying again",
                        self.name,
                        type(exc).__name__,
                    )
                await _wait(stop, min(left, 0.2))
                continue
            if not kept:
                log.warning("%s: stopped, another process has the lease %s", self._what, self.name)
                return False
            self._expires = now + self._duration
            return True
        return True

    async def _give_up(self) -> None:
        if self._expires is None:
            return
        self._expires = None
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0), self._uow_factory() as uow:
                await uow.leases.release(self.name, self.holder)
                await uow.commit()


async def _run(work: Work, lost: asyncio.Event) -> None:
    await work(lost)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _wait_any(stop: asyncio.Event, task: asyncio.Task[None], seconds: float) -> None:
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({stopped, task}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()


def _seconds(duration: timedelta) -> str:
    return f"{duration.total_seconds():g} s"
