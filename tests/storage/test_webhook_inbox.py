"""The webhook inbox: updates kept before Telegram's 200, taken one at a time, oldest first,
by one process at a time, and taken over when the process that held one died."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOLD = timedelta(seconds=30)
BOT = 123456


async def test_updates_wait_in_order_and_are_kept_once(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.updates.inbox.add(BOT, 12, '{"update_id": 12}', NOW)
        assert await uow.updates.inbox.add(BOT, 11, '{"update_id": 11}', NOW)
        assert not await uow.updates.inbox.add(BOT, 12, '{"update_id": 12, "again": 1}', NOW)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.updates.inbox.waiting() == 2
        assert await uow.updates.inbox.claim_next(BOT, NOW, NOW + HOLD) == (
            11,
            '{"update_id": 11}',
        )
        assert await uow.updates.inbox.claim_next(BOT, NOW, NOW + HOLD) == (
            12,
            '{"update_id": 12}',
        )
        assert await uow.updates.inbox.claim_next(BOT, NOW, NOW + HOLD) is None  # both held
        await uow.updates.inbox.remove(BOT, 11)
        await uow.commit()
    later = NOW + HOLD
    async with uow_factory() as uow:
        # The process that held 12 died with it: another takes it once the hold ran out.
        assert await uow.updates.inbox.claim_next(BOT, later, later + HOLD) == (
            12,
            '{"update_id": 12}',
        )
        await uow.updates.inbox.remove(BOT, 12)
        await uow.commit()
    async with uow_factory.reader() as uow:
        assert await uow.updates.inbox.waiting() == 0


async def test_two_processes_never_take_the_same_update(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        for update_id in range(1, 21):
            await uow.updates.inbox.add(BOT, update_id, "{}", NOW)
        await uow.commit()

    async def take_all() -> list[int]:
        taken: list[int] = []
        while True:
            async with uow_factory() as uow:
                claimed = await uow.updates.inbox.claim_next(BOT, NOW, NOW + HOLD)
                await uow.commit()
            if claimed is None:
                return taken
            taken.append(claimed[0])

    first, second = await asyncio.gather(take_all(), take_all())
    assert sorted(first + second) == list(range(1, 21))
    assert not set(first) & set(second)


async def test_a_process_takes_only_its_own_bots_updates(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """Two bots on one database both get update 7; each process takes only its bot's."""
    other = 654321
    async with uow_factory() as uow:
        assert await uow.updates.inbox.add(BOT, 7, '{"bot": "first"}', NOW)
        assert await uow.updates.inbox.add(other, 7, '{"bot": "second"}', NOW)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.updates.inbox.claim_next(other, NOW, NOW + HOLD) == (
            7,
            '{"bot": "second"}',
        )
        assert await uow.updates.inbox.claim_next(other, NOW, NOW + HOLD) is None
        await uow.updates.inbox.remove(other, 7)
        assert await uow.updates.inbox.claim_next(BOT, NOW, NOW + HOLD) == (7, '{"bot": "first"}')
        await uow.commit()


async def test_a_renewed_hold_keeps_the_update_from_another_process(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.updates.inbox.add(BOT, 5, "{}", NOW)
        assert await uow.updates.inbox.claim_next(BOT, NOW, NOW + HOLD) == (5, "{}")
        await uow.commit()
    later = NOW + HOLD  # the first hold ran out, but the process renewed it just before
    async with uow_factory() as uow:
        await uow.updates.inbox.hold(BOT, 5, later + HOLD)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.updates.inbox.claim_next(BOT, later, later + HOLD) is None
        assert await uow.updates.inbox.claim_next(BOT, later + HOLD, later + 2 * HOLD) == (
            5,
            "{}",
        )
        await uow.commit()
