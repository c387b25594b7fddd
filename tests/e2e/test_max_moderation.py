"""Moderation on MAX, as far as MAX allows, against the MAX double: the newcomer check with
no restrict (messages deleted until the button, removal on timeout), spam deleted and its
author removed, warnings whose limit removes instead of muting (and says so)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from bot.fake_max import FakeMax, MaxChat, MaxMessage, MaxUser
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot
from tests.e2e.max_harness import max_bot_in_process, max_settings


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


def button(message: MaxMessage, text: str) -> str:
    for row in message.buttons:
        for found in row:
            if text in found["text"]:
                return str(found["payload"])
    raise AssertionError(f"no button {text!r}: {message.buttons}")


async def setup(
    fake_max: FakeMax,
    tmp_path: Path,
    test_database: TestDatabase,
    head: MaxUser,
    chats: list[MaxChat],
    staff: MaxChat,
) -> InProcessBot:
    values = max_settings(fake_max, test_database, admins=[head], specialists=[])
    values["moderation"] = {"newcomer_timeout": "2s", "sweep_interval": "1s"}
    bot = max_bot_in_process(values)
    await bot.start(fake_max)  # type: ignore[arg-type]
    await fake_max.wait_for(lambda: fake_max.world.updates.polls > 0, message="MAX polls")
    fake_max.user_sends(staff, head, "/register staff")
    await fake_max.wait_for_bot_message(staff, "рабочий чат специалистов")
    for chat in chats:
        fake_max.user_sends(chat, head, f"/register building {chat.title}")
        await fake_max.wait_for_bot_message(chat, "подключён")
    return bot


async def test_newcomers_spam_and_warnings_on_max(
    fake_max: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    head = fake_max.create_user("Глава", "в MAX")
    anna = fake_max.create_user("Анна", "Старожил")
    maxim = fake_max.create_user("Максим", "Новенький")
    silent = fake_max.create_user("Молчун")
    house = fake_max.create_chat("Дом 1", admins=[head], members=[anna])
    other = fake_max.create_chat("Дом 2", admins=[head], members=[anna, maxim])
    staff = fake_max.create_chat("Специалисты", admins=[head], members=[])
    bot = await setup(fake_max, tmp_path, test_database, head, [house, other], staff)
    try:
        # A newcomer's messages are deleted until they press the button.
        fake_max.user_joins(house, maxim)
        welcome = await fake_max.wait_for_bot_message(house, "Я житель, не бот")
        early = fake_max.user_sends(house, maxim, "Всем привет")
        await fake_max.wait_for(lambda: early.deleted, message="an unchecked message deleted")
        fake_max.press(welcome, maxim, button(welcome, "Я житель"))
        await fake_max.wait_for(
            lambda: "спасибо" in (welcome.text or ""), message="the welcome says thanks"
        )
        later = fake_max.user_sends(house, maxim, "#проблема не работает домофон")
        await fake_max.wait_for_bot_message(house, "№1")
        assert not later.deleted

        # One who never presses is removed when the time runs out (and may come back).
        fake_max.user_joins(house, silent)
        await fake_max.wait_for_bot_message(house, "Молчун")
        await fake_max.wait_for(
            lambda: silent.user_id not in house.members, timeout=15, message="timed out"
        )
        assert silent.user_id not in house.blocked

        # Spam from someone on probation: deleted, the author removed from the community.
        spam = fake_max.user_sends(house, maxim, "Лёгкий заработок тут: t.me/easy_money_now")
        await fake_max.wait_for(lambda: spam.deleted, message="spam deleted")
        card = await fake_max.wait_for_bot_message(staff, "Спам удалён")
        assert "t.me/easy_money_now" in (card.text or "")
        for chat in (house, other):
            await fake_max.wait_for(
                partial(lambda members, user: user not in members, chat.members, maxim.user_id),
                message=f"removed: {chat.title}",
            )

        # Warnings: the one that reaches the limit removes, and says so.
        for i in range(3):
            bad = fake_max.user_sends(other, anna, f"Оскорбление {i}")
            fake_max.user_sends(other, head, "/warn грубость", reply_to=bad.mid)
            if i < 2:
                await fake_max.wait_for_bot_message(other, f"предупреждение {i + 1} из 3")
        removed = await fake_max.wait_for_bot_message(other, "удалён из чата")
        assert "в MAX нельзя запретить писать" in (removed.text or "")
        await fake_max.wait_for(lambda: anna.user_id not in other.members, message="removed")
        assert anna.user_id in house.members  # a removal, in that chat only
        assert [c for c in fake_max.errors() if c.status == 400] == []
    finally:
        await bot.stop()
