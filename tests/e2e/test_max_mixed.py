"""A mixed installation, both doubles at once: a resident on MAX, the specialists on Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fake_max import FakeMax
from bot.fake_telegram import FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot, Town, make_settings


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


async def test_a_max_issue_worked_from_the_telegram_staff_chat(
    fake: FakeTelegram, town: Town, fake_max: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    head = fake_max.create_user("Глава", "в MAX")
    anna = fake_max.create_user("Анна", "Жительница")
    house = fake_max.create_chat("Дом Мира 7", admins=[head], members=[anna])
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id, f"max:{head.user_id}"],  # type: ignore[list-item]
        specialists=[town.specialist.id],
        max={"token": fake_max.token, "api_base": fake_max.api_base, "polling_timeout": 1},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    try:
        town.says(town.admin, town.staff, "/register staff")
        await town.reply_in(town.staff, "рабочий чат специалистов")
        await fake_max.wait_for(lambda: fake_max.world.updates.polls > 0, message="MAX polls")
        fake_max.user_sends(house, head, "/register building Дом Мира 7")
        await fake_max.wait_for_bot_message(house, "подключён")

        question = fake_max.user_sends(house, anna, "#проблема в подвале вода")
        ack = await fake_max.wait_for_bot_message(house, "№1")
        assert ack.reply_to == question.mid
        card = await town.reply_in(town.staff, "в подвале вода")  # the card, on Telegram
        assert "Дом Мира 7" in card.content

        town.says(town.specialist, town.staff, "/take 1")
        taken = await fake_max.wait_for_bot_message(house, "взята в работу")
        assert taken.reply_to == question.mid
        town.says(town.specialist, town.staff, "/close 1 Откачали воду, подвал сухой")
        closed = await fake_max.wait_for_bot_message(house, "Откачали воду")
        assert closed.reply_to == question.mid  # the answer crossed into the MAX thread
        assert [c for c in fake_max.errors() if c.status == 400] == []
    finally:
        await bot.stop()


async def test_an_announcement_reaches_20_telegram_and_15_max_chats_once(
    fake: FakeTelegram, town: Town, fake_max: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    from tests.e2e.announce_kit import (
        Desk,
        announcement_copies,
        buildings,
        max_in_window,
        register,
    )

    text = "Плановое отключение воды 12 марта с 9:00 до 17:00"
    head = fake_max.create_user("Глава", "в MAX")
    telegram_chats = buildings(fake, town.admin, 20)
    max_chats = [
        fake_max.create_chat(f"Дом MAX {i}", admins=[head], members=[]) for i in range(15)
    ]
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id, f"max:{head.user_id}"],  # type: ignore[list-item]
        specialists=[],
        max={"token": fake_max.token, "api_base": fake_max.api_base, "polling_timeout": 1},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    try:
        await register(fake, town.admin, telegram_chats)
        await fake_max.wait_for(lambda: fake_max.world.updates.polls > 0, message="MAX polls")
        for chat in max_chats:
            fake_max.user_sends(chat, head, f"/register building {chat.title}")
        for chat in max_chats:
            await fake_max.wait_for_bot_message(chat, "подключён", timeout=20)

        desk = Desk(fake, town.admin)
        await desk.says("/announce", "Пришлите его текст")
        await desk.says(text, "Кому отправить?")
        await desk.presses("Все дома (35)", "Когда отправить?")
        await desk.presses("Сейчас", "Закрепить")
        await desk.presses("Закрепить", "Получатели: все дома (35)")
        await desk.presses("Отправить", "отправляется в 35")
        report = await fake.wait_for_bot_message(desk.chat_id, "отчёт о доставке", timeout=60)
        assert "Доставлено: 35 из 35" in report.content

        for tg_chat in telegram_chats:
            assert len(announcement_copies(fake, tg_chat, text)) == 1, tg_chat.title
        for max_chat in max_chats:
            copies = [m for m in fake_max.bot_messages(max_chat) if text in (m.text or "")]
            assert len(copies) == 1, max_chat.title
            assert max_chat.pinned == copies[0].mid
        # Each messenger's limits: Telegram's 30/s overall, MAX's 30 requests a second.
        assert max_in_window(fake.sent_times(), 1.0) <= 30
        max_times = [c.at for c in fake_max.world.calls if c.path != "/updates"]
        assert max_in_window(max_times, 1.0) <= 30
        assert [c for c in fake_max.world.calls if c.status == 429] == []
    finally:
        await bot.stop()
