"""The outbox's rounds: when they start and what one round claims (storage stubbed out)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot

from bot.domain.outgoing import OutboxHead
from bot.telegram.delivery import LOOKAHEAD, REFILL_AT, OutboxDispatcher
from bot.telegram.rate_limit import RateLimits, SendPlanner
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
HOUR = 3600.0


class _Outbox:
    def __init__(self) -> None:
        self.rounds = 0

    async def due_heads(
        self, now: datetime, limit: int, bot_id: int | None = None
    ) -> list[OutboxHead]:
        self.rounds += 1
        return []

    async def next_due_at(self, bot_id: int | None = None) -> datetime | None:
        return None


class _Unit:
    def __init__(self, outbox: _Outbox) -> None:
        self.outbox = outbox

    async def __aenter__(self) -> _Unit:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def dispatcher(outbox: _Outbox, **kwargs: Any) -> OutboxDispatcher:
    factory = cast(SqlUnitOfWorkFactory, lambda: _Unit(outbox))
    return OutboxDispatcher(
        cast(Bot, None), factory, SendPlanner(RateLimits()), lambda: NOW, **kwargs
    )


async def rounds_reach(outbox: _Outbox, count: int) -> None:
    while outbox.rounds < count:
        await asyncio.sleep(0.001)


async def test_something_queued_starts_a_round_at_once_even_right_after_another() -> None:
    """A reply in a quiet chat does not wait for the gap that joins other wake-ups."""
    outbox = _Outbox()
    sender = dispatcher(outbox, poll_interval=HOUR, min_round_gap=HOUR)
    running = asyncio.create_task(sender.run())
    try:
        await asyncio.wait_for(rounds_reach(outbox, 1), 10)
        sender.wake()
        await asyncio.wait_for(rounds_reach(outbox, 2), 10)  # not an hour later
        sender.wake()
        await asyncio.wait_for(rounds_reach(outbox, 3), 10)
    finally:
        await sender.stop()
        running.cancel()


def test_a_round_claims_what_may_go_within_the_look_ahead_and_says_when_to_look_again() -> None:
    sender = dispatcher(_Outbox())
    heads = [OutboxHead(n, -1000 - n, False) for n in range(100)]
    chosen, next_in = sender._choose(heads, NOW)
    assert all(pick.slot <= NOW + LOOKAHEAD for pick in chosen)
    assert 29 <= len(chosen) <= 31  # a second's worth at 30/s, not every head
    assert chosen[0].leave_from == NOW  # nothing ahead of it: it may leave at once
    first_left = sender._planner.earliest(-1, NOW)
    assert first_left > NOW + LOOKAHEAD
    assert next_in == (first_left - NOW - REFILL_AT).total_seconds()
