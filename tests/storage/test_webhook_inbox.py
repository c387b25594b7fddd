"""The webhook inbox: updates kept before Telegram's 200, taken one at a time, oldest first,
by one process at a time, and taken over when the process that held one died."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOLD = timedelta(seconds=30)


async def test_updates_wait_in_order_and_are_kept_once(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.updates.inbox.add(12, '{"update_id": 12}', NOW)
        assert await uow.updates.inbox.add(11, '{"update_id": 11}', NOW)
        assert not await uow.updates.inbox.add(12, '{"update_id": 12, "again": 1}', NOW)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.updates.inbox.waiting() == 2
        assert await uow.updates.inbox.claim_next(NOW, NOW + HOLD) == (11, '{"update_id": 11}')
        assert await uow.updates.inbox.claim_next(NOW, NOW + HOLD) == (12, '{"update_id": 12}')
        assert await uow.updates.inbox.claim_next(NOW, NOW + HOLD) is None  # both held
        await uow.updates.inbox.remove(11)
        await uow.commit()
    later = NOW + HOLD
    async with uow_factory() as uow:
        # The process that held 12 died with it: another takes it once the hold ran out.
        assert await uow.updates.inbox.claim_next(later, later + HOLD) == (
            12,
            '{"update_id": 12}',
        )
        await uow.updates.inbox.remove(12)
        await uow.commit()
    async with uow_factory.reader() as uow:
        assert await uow.updates.inbox.waiting() == 0


async def test_two_processes_never_take_the_same_update(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        for update_id in range(1, 21):
            await uow.updates.inbox.add(update_id, "{}", NOW)
        await uow.commit()

    async def take_all() -> list[int]:
        taken: list[int] = []
        while True:
            async with uow_factory() as uow:
                claimed = await uow.updates.inbox.claim_next(NOW, NOW + HOLD)
                await uow.commit()
            if claimed is None:
                return taken
            taken.append(claimed[0])

    first, second = await asyncio.gather(take_all(), take_all())
    assert sorted(first + second) == list(range(1, 21))
    assert not set(first) & set(second)
