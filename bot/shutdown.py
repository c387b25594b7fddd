"""After a stop the process ends within `STOP_LIMIT` seconds, whatever is in flight.

A stop lets the update in hand and the messages being sent finish, for a few seconds each.
What is still running then is cut short: an update not confirmed comes again from Telegram
at the next start, and an outbox entry whose send was cut short is resolved by the rule for
"maybe sent" entries (docs/ARCHITECTURE.md). A wait that asyncio cannot cut short (SQLite
waiting for a lock in its own thread, an HTTP call stuck in a half-open connection) is ended
by a watchdog thread that exits the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger(__name__)

STOP_LIMIT = 10.0
WORK_GRACE = 4.0  # for the update in hand
SEND_GRACE = 3.0  # for the messages being sent
STEP_LIMIT = 1.0  # for each closing step after those
WATCHDOG = 9.0  # the process exits now, even if the event loop itself is stuck


def install_signal_handlers(stop: asyncio.Event, *, watchdog: float = WATCHDOG) -> None:
    """SIGINT and SIGTERM set `stop` and arm the watchdog."""
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            return
        stop.set()
        arm_watchdog(watchdog)

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal)


def arm_watchdog(seconds: float) -> threading.Timer:
    """Exit the process `seconds` from now unless it has ended by then."""

    def hard_exit() -> None:
        log.warning("still stopping %.0f s after the stop: exiting now", seconds)
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(0)

    timer = threading.Timer(seconds, hard_exit)
    timer.daemon = True
    timer.start()
    return timer


class StopClock:
    """When the stop came (the event loop's clock), to log how long the stop took."""

    def __init__(self) -> None:
        self.stopped_at: float | None = None

    def elapsed(self) -> float:
        if self.stopped_at is None:
            return 0.0
        return asyncio.get_running_loop().time() - self.stopped_at


async def until_stopped(
    work: asyncio.Task[Any], stop: asyncio.Event, clock: StopClock | None = None
) -> None:
    """Await `work`; once `stop` is set, give it `WORK_GRACE` seconds, then cancel it.

    Whatever `work` raised is raised here.
    """
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if clock is not None and stop.is_set():
            clock.stopped_at = asyncio.get_running_loop().time()
        if not work.done():
            await asyncio.wait({work}, timeout=WORK_GRACE)
        if not work.done():
            log.warning("the update in hand was cut short by the stop; it comes again")
            work.cancel()
            await asyncio.wait({work}, timeout=STEP_LIMIT)
    finally:
        stopped.cancel()
        if not work.done():
            work.cancel()
    if work.done() and not work.cancelled():
        work.result()


async def bounded(step: Awaitable[Any], seconds: float, what: str) -> None:
    """Run one closing step for at most `seconds`; a step that fails is logged, not raised,
    so the steps after it still run."""
    try:
        await asyncio.wait_for(step, timeout=seconds)
    except TimeoutError:
        log.warning("%s took longer than %.0f s at the stop; left behind", what, seconds)
    except Exception as exc:
        log.warning("%s failed at the stop: %s", what, type(exc).__name__)
