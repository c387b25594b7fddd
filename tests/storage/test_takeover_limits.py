"""A sender taking over from one that died counts what that one sent within the last minute
against Telegram's limits: a takeover within a second of the death sent more than 30
messages in that second otherwise, and a group's 21st message within a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram import Bot
from sqlalchemy import update

from bot.domain.outgoing import Outgoing
from bot.telegram.delivery import OutboxDispatcher
from bot.telegram.rate_limit import RateLimits, SendPlanner
from storage.tables import outbox
from storage.uow import SqlUnitOfWorkFactory

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BOT = 123456789
GROUP = -100500


async def test_the_dead_senders_last_second_and_minute_count_for_the_new_one(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    units = SqlUnitOfWorkFactory(uow_factory.engine, bots={"telegram": BOT})
    async with units() as uow:
        # 30 messages to 30 chats in the dead sender's last second; 20 into one group within
        # its last minute; one begun and never answered (it may have arrived).
        for n in range(30):
            entry = await uow.outbox.enqueue(Outgoing(chat_id=-1000 - n, text="x"), not_before=T0)
            moment = T0 + timedelta(seconds=58.95) + n * timedelta(seconds=1) / 30
            await uow.connection.execute(
                update(outbox).where(outbox.c.id == entry).values(status="sent", sent_at=moment)
            )
        for n in range(19):
            entry = await uow.outbox.enqueue(Outgoing(chat_id=GROUP, text="y"), not_before=T0)
            moment = T0 + timedelta(seconds=2 * n)
            await uow.connection.execute(
                update(outbox).where(outbox.c.id == entry).values(status="sent", sent_at=moment)
            )
        entry = await uow.outbox.enqueue(Outgoing(chat_id=GROUP, text="z"), not_before=T0)
        await uow.connection.execute(
            update(outbox)
            .where(outbox.c.id == entry)
            .values(status="sending", attempted_at=T0 + timedelta(seconds=50))
        )
        await uow.commit()
    now = T0 + timedelta(seconds=59.93)
    planner = SendPlanner(RateLimits())
    sender = OutboxDispatcher(Bot(token=f"{BOT}:AAAbbb"), units, planner, lambda: now, bot_id=BOT)

    await sender.take_over()

    # 30 more messages to new chats: with the dead sender's 30, no second holds more than 30
    # (a sender knowing nothing of them would send all at once).
    before = [T0 + timedelta(seconds=58.95) + n * timedelta(seconds=1) / 30 for n in range(30)]
    new_chats = [-2000 - n for n in range(30)]
    assert busiest(before + SendPlanner(RateLimits()).plan(new_chats, now)) > 30
    assert busiest(before + planner.plan(new_chats, now)) <= 30
    # The group had its 20 in the last minute: the next waits for the oldest to age out.
    assert planner.earliest(GROUP, now) >= T0 + timedelta(seconds=60)


def busiest(moments: list[datetime]) -> int:
    """The most moments in any half-open second."""
    moments = sorted(moments)
    most, start = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= timedelta(seconds=1):
            start += 1
        most = max(most, end - start + 1)
    return most
