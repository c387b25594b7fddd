"""The leases table: one holder at a time, renewals, expiry and release; and the outbox's
entries kept for the bot that wrote them. On SQLite and, with CIVICBOT_TEST_DATABASE_URL,
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.domain.leases import bot_id_of
from bot.domain.models import ChatKind, ChatPlace, RegisteredChat
from bot.domain.outgoing import Outgoing
from storage.uow import SqlUnitOfWorkFactory

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)
NAME = "leader:telegram:123"


async def acquire(factory: SqlUnitOfWorkFactory, holder: str, now: datetime) -> bool:
    async with factory() as uow:
        got = await uow.leases.acquire(NAME, holder, now, now + LEASE)
        await uow.commit()
    return got


async def holder_of(factory: SqlUnitOfWorkFactory) -> str | None:
    async with factory.reader() as uow:
        current = await uow.leases.holder(NAME)
    return current.holder if current is not None else None


async def test_one_holder_until_its_lease_runs_out(uow_factory: SqlUnitOfWorkFactory) -> None:
    assert await acquire(uow_factory, "a", T0)
    assert not await acquire(uow_factory, "b", T0 + timedelta(seconds=1))
    # a renews: b must wait for the renewed expiry, not the first one.
    assert await acquire(uow_factory, "a", T0 + timedelta(seconds=10))
    assert not await acquire(uow_factory, "b", T0 + timedelta(seconds=16))
    assert await holder_of(uow_factory) == "a"
    # a stops renewing (it died): once its lease has run out, b takes it and a cannot renew.
    assert await acquire(uow_factory, "b", T0 + timedelta(seconds=26))
    assert await holder_of(uow_factory) == "b"
    assert not await acquire(uow_factory, "a", T0 + timedelta(seconds=27))


async def test_a_released_lease_is_taken_at_once(uow_factory: SqlUnitOfWorkFactory) -> None:
    assert await acquire(uow_factory, "a", T0)
    async with uow_factory() as uow:
        assert not await uow.leases.release(NAME, "b")  # not b's to give up
        assert await uow.leases.release(NAME, "a")
        await uow.commit()
    assert await holder_of(uow_factory) is None
    assert await acquire(uow_factory, "b", T0 + timedelta(seconds=1))


async def test_of_many_asking_at_once_exactly_one_gets_it(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    # A lease that ran out, asked for by eight processes at the same moment.
    assert await acquire(uow_factory, "dead", T0)
    later = T0 + 2 * LEASE
    results = await asyncio.gather(*(acquire(uow_factory, f"p{i}", later) for i in range(8)))
    assert sum(results) == 1
    winner = f"p{results.index(True)}"
    assert await holder_of(uow_factory) == winner


async def test_outbox_entries_carry_the_bot_that_wrote_them(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    engine = uow_factory.engine
    first = SqlUnitOfWorkFactory(engine, bots={"telegram": 111})
    second = SqlUnitOfWorkFactory(engine, bots={"telegram": 222})
    async with uow_factory() as uow:  # written before entries named their bot
        old = await uow.outbox.enqueue(Outgoing(chat_id=-3, text="old"), not_before=T0)
        await uow.commit()
    async with first() as uow:
        mine = await uow.outbox.enqueue(Outgoing(chat_id=-1, text="first"), not_before=T0)
        await uow.commit()
    async with second() as uow:
        theirs = await uow.outbox.enqueue(Outgoing(chat_id=-2, text="second"), not_before=T0)
        await uow.commit()
    now = T0 + timedelta(seconds=1)
    async with first() as uow:
        heads = {h.id for h in await uow.outbox.due_heads(now, 10, bot_id=111)}
        assert heads == {mine, old}
        heads = {h.id for h in await uow.outbox.due_heads(now, 10, bot_id=222)}
        assert heads == {theirs, old}
        assert await uow.outbox.next_due_at(bot_id=333) == T0  # only the old one
        assert await uow.outbox.claim_many([old], now, now + LEASE) == {old}
        await uow.commit()
    async with first() as uow:
        heads = {h.id for h in await uow.outbox.due_heads(now, 10, bot_id=333)}
        assert heads == set()


async def test_a_new_sender_releases_what_the_dead_one_had_claimed(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    bot = SqlUnitOfWorkFactory(uow_factory.engine, bots={"telegram": 111})
    other = SqlUnitOfWorkFactory(uow_factory.engine, bots={"telegram": 222})
    async with bot() as uow:
        entry = await uow.outbox.enqueue(Outgoing(chat_id=-1, text="hi"), not_before=T0)
        await uow.commit()
    async with other() as uow:
        foreign = await uow.outbox.enqueue(Outgoing(chat_id=-2, text="hi"), not_before=T0)
        await uow.commit()
    claimed_at = T0 + timedelta(seconds=1)
    async with bot() as uow:
        got = await uow.outbox.claim_many([entry, foreign], claimed_at, claimed_at + LEASE)
        assert got == {entry, foreign}
        await uow.commit()
    took_over = claimed_at + timedelta(seconds=2)  # long before the claims run out
    async with bot() as uow:
        assert await uow.outbox.due_heads(took_over, 10, bot_id=111) == []
        assert await uow.outbox.release_claims(took_over, bot_id=111) == 1
        await uow.commit()
    async with bot() as uow:
        after = took_over + timedelta(milliseconds=1)
        assert [h.id for h in await uow.outbox.due_heads(after, 10, bot_id=111)] == [entry]
        # The other bot's claim is its own sender's business.
        assert await uow.outbox.due_heads(after, 10, bot_id=222) == []


def test_a_bot_id_is_its_tokens_numeric_prefix() -> None:
    assert bot_id_of("123456789:AAAbbb") == 123456789
    assert bot_id_of("not-a-telegram-token") is None


async def test_a_queued_entry_wakes_the_sender_of_another_process_on_postgres(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """PostgreSQL: a message queued and committed by one process wakes the listening sender in
    another at the commit; one rolled back wakes nobody. (SQLite has no such channel: the
    listener returns at once and senders poll.)"""
    from storage import db
    from storage.notify import listen_to_other_processes

    woken = asyncio.Event()
    listener_engine = db.create_engine(uow_factory.engine.url.render_as_string(False))
    listening = asyncio.create_task(
        listen_to_other_processes(listener_engine, woken.set, retry=0.1)
    )
    try:
        if uow_factory.engine.dialect.name != "postgresql":
            await asyncio.wait_for(listening, 10)  # nothing to listen to
            return
        await asyncio.sleep(0.5)  # the listener is connected (a notification before is lost)
        async with uow_factory() as uow:
            await uow.outbox.enqueue(Outgoing(chat_id=-1, text="rolled back"), not_before=T0)
        await asyncio.sleep(0.5)
        assert not woken.is_set()
        async with uow_factory() as uow:
            await uow.outbox.enqueue(Outgoing(chat_id=-1, text="hi"), not_before=T0)
            await asyncio.sleep(0.3)
            assert not woken.is_set()  # not before the commit
            await uow.commit()
        await asyncio.wait_for(woken.wait(), 30)
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await listener_engine.dispose()


async def test_a_registration_in_one_process_is_seen_at_once_by_another_on_postgres(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """PostgreSQL: a chat registered through one process (a webhook call it took) is known to
    the next update another process takes, although that process had the registrations cached
    and its cache would not expire for an hour. (SQLite: one host, the cache's expiry.)"""
    from storage import db
    from storage.cache import ReadCache
    from storage.notify import listen_to_other_processes

    other_engine = db.create_engine(uow_factory.engine.url.render_as_string(False))
    other = SqlUnitOfWorkFactory(other_engine, ReadCache(ttl=3600))
    listening = asyncio.create_task(
        listen_to_other_processes(other_engine, lambda: None, other.cache.clear, retry=0.1)
    )

    async def known_to_other() -> list[str]:
        async with other.reader() as uow:
            return [chat.name for chat in await uow.chats.all()]

    try:
        if uow_factory.engine.dialect.name != "postgresql":
            await asyncio.wait_for(listening, 10)  # nothing to listen to
            return
        assert await known_to_other() == []  # and now cached in the other process
        await asyncio.sleep(0.5)  # the listener is connected (a notification before is lost)
        async with uow_factory() as uow:
            await uow.chats.save(RegisteredChat(ChatPlace(-5), ChatKind.BUILDING, "Дом 5", 9, T0))
            await uow.commit()
        for _ in range(300):
            if await known_to_other() == ["Дом 5"]:
                break
            await asyncio.sleep(0.1)
        assert await known_to_other() == ["Дом 5"]
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await other_engine.dispose()
