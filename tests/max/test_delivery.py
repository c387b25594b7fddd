"""The MAX sender on a real database and the MAX double: members removed (with a block for a
ban), what MAX lacks failed with its reason, replies by `mid`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.messengers import max_chat, max_user
from bot.domain.outgoing import MAYBE_SENT, MemberAction, Outgoing, member_op
from bot.fake_max import FakeMax
from bot.max.client import MaxClient
from bot.max.delivery import MaxOutboxDispatcher
from storage.tables import outbox
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


async def _deliver(
    uow_factory: SqlUnitOfWorkFactory, fake: FakeMax, *messages: Outgoing
) -> list[tuple[str, str | None]]:
    async with uow_factory() as uow:
        ids = [await uow.outbox.enqueue(m, not_before=NOW) for m in messages]
        await uow.commit()
    client = MaxClient(fake.token, fake.api_base)
    sender = MaxOutboxDispatcher(client, uow_factory, lambda: NOW)
    try:
        while await sender._one_round():
            pass
    finally:
        await client.close()
    return [await _status(uow_factory, entry_id) for entry_id in ids]


async def _status(uow_factory: SqlUnitOfWorkFactory, entry_id: int) -> tuple[str, str | None]:
    """The entry's status and error, read through SQLAlchemy; it is tagged for MAX."""
    async with uow_factory.reader() as uow:
        row = (
            await uow.connection.execute(
                select(outbox.c.status, outbox.c.last_error, outbox.c.messenger).where(
                    outbox.c.id == entry_id
                )
            )
        ).one()
    assert row.messenger == "max"
    return str(row.status), row.last_error


async def test_kick_and_ban_remove_the_member_and_ban_blocks(
    uow_factory: SqlUnitOfWorkFactory, fake: FakeMax
) -> None:
    spammer = fake.create_user("Спамер")
    other = fake.create_user("Другой")
    chat = fake.create_chat("Дом", members=[spammer, other])
    core_chat = max_chat(chat.chat_id)
    results = await _deliver(
        uow_factory,
        fake,
        member_op(MemberAction.BAN, core_chat, max_user(spammer.user_id)),
        member_op(MemberAction.KICK, core_chat, max_user(other.user_id)),
        member_op(MemberAction.RESTRICT, core_chat, max_user(other.user_id)),
    )
    assert results[0] == ("sent", None) and results[1] == ("sent", None)
    assert results[2][0] == "failed" and "MAX has no restrict" in (results[2][1] or "")
    assert spammer.user_id in chat.blocked and other.user_id not in chat.blocked
    assert chat.members == {}


async def test_a_reply_goes_by_mid_and_a_dialog_by_user_id(
    uow_factory: SqlUnitOfWorkFactory, fake: FakeMax
) -> None:
    anna = fake.create_user("Анна")
    chat = fake.create_chat("Дом", members=[anna])
    question = fake.user_sends(chat, anna, "#проблема")
    core_chat = max_chat(chat.chat_id)
    async with uow_factory() as uow:
        await uow.native.record_message(core_chat, question.seq, question.mid)
        await uow.commit()
    results = await _deliver(
        uow_factory,
        fake,
        Outgoing(chat_id=core_chat, text="Заявка №1 принята", reply_to=question.seq),
        Outgoing(chat_id=max_user(anna.user_id), text="Лично вам"),
    )
    assert results == [("sent", None), ("sent", None)]
    assert fake.bot_messages(chat)[-1].reply_to == question.mid
    dialog = next(c for c in fake.world.chats.values() if c.title == f"dialog {anna.user_id}")
    assert fake.bot_messages(dialog)[-1].text == "Лично вам"


async def test_a_pinned_announcement_is_pinned_and_its_batch_reported(
    uow_factory: SqlUnitOfWorkFactory, fake: FakeMax
) -> None:
    chat = fake.create_chat("Дом", members=[])
    reported: list[str] = []

    class Listener:
        async def chat_migrated(self, old_chat_id: int, new_chat_id: int) -> None: ...
        async def refused(self, refusal: object) -> None: ...
        async def batch_done(self, batch: str) -> None:
            reported.append(batch)

    async with uow_factory() as uow:
        message = Outgoing(chat_id=max_chat(chat.chat_id), text="Отключение воды", pin=True)
        await uow.outbox.enqueue_batch(
            [replace(message, batch="an:1")], not_before=NOW, created_at=NOW
        )
        await uow.commit()
    client = MaxClient(fake.token, fake.api_base)
    sender = MaxOutboxDispatcher(client, uow_factory, lambda: NOW, listener=Listener())
    try:
        await sender._one_round()
    finally:
        await client.close()
    assert chat.pinned == fake.bot_messages(chat)[-1].mid
    assert reported == ["an:1"]


async def test_a_send_cut_short_by_a_crash_is_not_repeated(
    uow_factory: SqlUnitOfWorkFactory, fake: FakeMax
) -> None:
    chat = fake.create_chat("Дом", members=[])
    core_chat = max_chat(chat.chat_id)
    earlier = NOW - timedelta(minutes=5)
    async with uow_factory() as uow:
        cut_short = await uow.outbox.enqueue(
            Outgoing(chat_id=core_chat, text="Заявка №1 принята"), not_before=earlier
        )
        # What a sender killed during the request leaves: claimed, its lease run out, and
        # the attempt marked just before the request left.
        assert await uow.outbox.claim(cut_short, earlier, earlier + timedelta(minutes=2))
        await uow.outbox.mark_attempted(cut_short, earlier)
        await uow.commit()
    results = await _deliver(uow_factory, fake, Outgoing(chat_id=core_chat, text="Заявка №2"))
    assert results == [("sent", None)]
    assert await _status(uow_factory, cut_short) == ("failed", MAYBE_SENT)
    assert [m.text for m in fake.bot_messages(chat)] == ["Заявка №2"]


async def test_the_attempt_is_committed_before_the_request_leaves(
    uow_factory: SqlUnitOfWorkFactory, fake: FakeMax
) -> None:
    chat = fake.create_chat("Дом", members=[])
    seen_marked: list[bool] = []

    class Watching(MaxClient):
        async def send_message(self, **kwargs: Any) -> dict[str, Any]:
            async with uow_factory.reader() as uow:
                marked = await uow.connection.execute(
                    select(outbox.c.attempted_at).where(outbox.c.attempted_at.is_not(None))
                )
                seen_marked.append(marked.first() is not None)
            return await super().send_message(**kwargs)

    async with uow_factory() as uow:
        await uow.outbox.enqueue(
            Outgoing(chat_id=max_chat(chat.chat_id), text="Ок"), not_before=NOW
        )
        await uow.commit()
    client = Watching(fake.token, fake.api_base)
    try:
        assert await MaxOutboxDispatcher(client, uow_factory, lambda: NOW)._one_round()
    finally:
        await client.close()
    assert seen_marked == [True]
    assert [m.text for m in fake.bot_messages(chat)] == ["Ок"]
