"""Waking another process's sender on PostgreSQL: `NOTIFY` when an entry is queued, `LISTEN`
in every process.

With several processes, an update handled by one (a webhook call) queues its answer for the
sender in another (the leader, `bot/cluster.py`). The notification is sent at the commit of
the queuing transaction, so the sender looks at once instead of at its next poll. SQLite runs
on one host with no such channel: its senders poll (`scheduler.outbox_poll`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

CHANNEL = "civicbot_outbox"
NOTIFY = text(f"NOTIFY {CHANNEL}")


async def notify_queued(connection: AsyncConnection) -> None:
    """Within the queuing transaction: listeners hear it when (and only if) it commits. Two
    in one transaction are delivered once."""
    if connection.dialect.name == "postgresql":
        await connection.execute(NOTIFY)


async def listen_for_queued(
    engine: AsyncEngine, wake: Callable[[], None], *, retry: float = 5.0
) -> None:
    """Call `wake` for every notification, until cancelled; reconnects after a failure."""
    if engine.dialect.name != "postgresql":
        return
    warned = False
    while True:
        try:
            await _listen(engine, wake)
            warned = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not warned:
                warned = True
                log.warning("outbox notifications: %s; the sender polls meanwhile", exc)
        await asyncio.sleep(retry)


async def _listen(engine: AsyncEngine, wake: Callable[[], None]) -> None:
    """Until the connection is lost."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        lost = asyncio.Event()

        def heard(*_: object) -> None:
            wake()

        await driver.add_listener(CHANNEL, heard)
        driver.add_termination_listener(lambda *_: lost.set())
        try:
            await lost.wait()
        finally:
            with contextlib.suppress(Exception):
                await driver.remove_listener(CHANNEL, heard)
