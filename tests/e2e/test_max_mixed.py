"""A mixed installation, both doubles at once: a resident on MAX, the specialists on Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fake_max import FakeMax
from bot.fake_telegram import FakeTelegram
from tests.e2e.harness import InProcessBot, Town, make_settings


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


async def test_a_max_issue_worked_from_the_telegram_staff_chat(
    fake: FakeTelegram, town: Town, fake_max: FakeMax, tmp_path: Path
) -> None:
    head = fake_max.create_user("Глава", "в MAX")
    anna = fake_max.create_user("Анна", "Жительница")
    house = fake_max.create_chat("Дом Мира 7", admins=[head], members=[anna])
    settings = make_settings(
        fake,
        tmp_path / "bot.db",
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
