"""What one process tells the others on PostgreSQL: `NOTIFY` at a commit, `LISTEN` in every
process.

- An entry queued. With several processes, an update handled by one (a webhook call) queues
  its answer for the sender in another (the leader, `bot/cluster.py`); the sender looks at once
  instead of at its next poll.
- A cached table changed (registrations, grants, links, moderation overrides: `storage/cache`).
  Every other process drops its read cache, so a chat registered through one process is known
  to the next update whichever process takes it, not only when the cache expires.

Each notification is sent within the writing transaction, so listeners hear it when (and only
if) it commits. SQLite runs on one host with no such channel: its senders poll
(`scheduler.outbox_poll`) and its caches expire (`ReadCache.ttl`).
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
CACHE_CHANNEL = "civicbot_cache"
NOTIFY_CACHE = text(f"NOTIFY {CACHE_CHANNEL}")


async def notify_queued(connection: AsyncConnection) -> None:
    """Within the queuing transaction: listeners hear it when (and only if) it commits. Two
    in one transaction are delivered once."""
    if connection.dialect.name == "postgresql":
        await connection.execute(NOTIFY)


async def notify_cache_changed(connection: AsyncConnection) -> None:
    """Within a transaction that wrote a cached table: the other processes drop their caches
    when it commits."""
    if connection.dialect.name == "postgresql":
        await connection.execute(NOTIFY_CACHE)


async def listen_to_other_processes(
    engine: AsyncEngine,
    queued: Callable[[], None],
    cache_changed: Callable[[], None] | None = None,
    *,
    retry: float = 5.0,
) -> None:
    """Call `queued` for every queued entry and `cache_changed` for every change of a cached
    table, until cancelled; reconnects after a failure."""
    if engine.dialect.name != "postgresql":
        return
    handlers = {CHANNEL: queued}
    if cache_changed is not None:
        handlers[CACHE_CHANNEL] = cache_changed
    warned = False
    while True:
        try:
            await _listen(engine, handlers)
            warned = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not warned:
                warned = True
                log.warning("notifications: %s; the sender polls and caches expire meanwhile", exc)
        if cache_changed is not None:
            # Changes made while nobody listened are unknown: forget everything once.
            cache_changed()
        await asyncio.sleep(retry)


async def _listen(engine: AsyncEngine, handlers: dict[str, Callable[[], None]]) -> None:
    """Until the connection is lost."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        lost = asyncio.Event()
        callbacks = {channel: (lambda *_, act=act: act()) for channel, act in handlers.items()}
        for channel, callback in callbacks.items():
            await driver.add_listener(channel, callback)
        driver.add_termination_listener(lambda *_: lost.set())
        try:
            await lost.wait()
        finally:
            for channel, callback in callbacks.items():
                with contextlib.suppress(Exception):
                    await driver.remove_listener(channel, callback)
