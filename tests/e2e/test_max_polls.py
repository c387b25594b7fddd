"""A poll across both messengers: native polls in the Telegram chats, a message with one
button per option in the MAX chats, closed together with combined totals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from bot.fake_max import FakeMax
from bot.fake_max.world import MaxChat, MaxMessage
from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram
from tests.database import TestDatabase
from tests.e2e.announce_kit import Desk, register
from tests.e2e.harness import InProcessBot, Town, make_settings


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


async def _latest(fake_max: FakeMax, chat: MaxChat, text: str) -> MaxMessage:
    return await fake_max.wait_for_bot_message(chat, text, timeout=15)


async def test_a_poll_across_both_messengers_closes_with_combined_totals_equal_to_the_votes(
    fake: FakeTelegram, town: Town, fake_max: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    residents = [fake.create_user(f"Житель{i}") for i in range(3)]
    tg_chats = [
        fake.create_group(
            f"Дом {i + 1}", admins=[town.admin], members=residents, bot_rights=ADMIN_RIGHTS
        )
        for i in range(2)
    ]
    head = fake_max.create_user("Глава", "в MAX")
    anna = fake_max.create_user("Анна")
    boris = fake_max.create_user("Борис")
    max_chats = [
        fake_max.create_chat(f"Дом MAX {i + 1}", admins=[head], members=[anna, boris])
        for i in range(2)
    ]
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id, f"max:{head.user_id}"],  # type: ignore[list-item]
        specialists=[],
        scheduler={"tick": 0.3},
        max={"token": fake_max.token, "api_base": fake_max.api_base, "polling_timeout": 1},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    try:
        await register(fake, town.admin, tg_chats)
        await fake_max.wait_for(lambda: fake_max.world.updates.polls > 0, message="MAX polls")
        for house in max_chats:
            fake_max.user_sends(house, head, f"/register building {house.title}")
            await _latest(fake_max, house, "подключён")

        desk = Desk(fake, town.admin)
        await desk.says("/poll", "Пришлите вопрос")
        await desk.says("Когда провести субботник?", "варианты ответа")
        await desk.says("В субботу\nВ воскресенье", "анонимное?")
        await desk.presses("Открытое", "несколько")
        await desk.presses("Один вариант", "Кому отправить?")
        await desk.presses("Все дома (4)", "Когда завершить")
        await desk.says("через 2 часа", "Опубликовать")
        await desk.presses("Да", "Предпросмотр опроса")
        await desk.presses("Отправить", "Опрос №1 отправляется в 4")

        # Telegram: native polls. Дом 1: 0, 0, 1; Дом 2: 1.
        polls = {}
        for chat in tg_chats:
            polls[chat.id] = await fake.wait_for_bot_message(
                chat.id, predicate=lambda m: m.poll_id is not None
            )
        for chat, chosen in zip(tg_chats, ([0, 0, 1], [1]), strict=True):
            for resident, option in zip(residents, chosen, strict=False):
                fake.user_votes(chat.id, polls[chat.id].message_id, resident, [option])

        # MAX: one button per option. Дом MAX 1: Анна 0 then changes to 1, Борис 1;
        # Дом MAX 2: Анна 0, pressing twice counts once.
        first, second = max_chats
        poll_1 = await _latest(fake_max, first, "Когда провести субботник?")
        poll_2 = await _latest(fake_max, second, "Когда провести субботник?")
        assert [b["text"] for row in poll_1.buttons for b in row] == ["В субботу", "В воскресенье"]
        fake_max.press(poll_1, anna, "pv:1:0")
        await _latest(fake_max, first, "Проголосовали: 1.")
        fake_max.press(poll_1, boris, "pv:1:1")
        await _latest(fake_max, first, "Проголосовали: 2.")
        fake_max.press(poll_1, anna, "pv:1:1")  # Анна changes her mind
        await fake_max.wait_for(
            lambda: "В воскресенье — 2" in (poll_1.text or ""), message="a changed vote shown"
        )
        assert "В субботу — 0" in (poll_1.text or "")
        fake_max.press(poll_2, anna, "pv:1:0")
        fake_max.press(poll_2, anna, "pv:1:0")
        await fake_max.wait_for(lambda: poll_2.edits >= 2, message="both presses handled")
        assert "Проголосовали: 1." in (poll_2.text or "")

        await desk.says("/polls", "Опросы")
        await desk.presses("Завершить №1", "Опрос №1 завершается")
        result = await fake.wait_for_bot_message(desk.chat_id, "Итоги опроса №1", timeout=20)
        # 4 votes on Telegram and 3 people on MAX: 3 for Saturday, 4 for Sunday.
        assert "В субботу — 3 (" in result.content
        assert "В воскресенье — 4 (" in result.content
        assert "Проголосовали: 7." in result.content
        breakdown = await fake.wait_for_bot_message(desk.chat_id, "по чатам")
        assert "Дом MAX 1: 0, 2 (голосов: 2)" in breakdown.content
        assert "Дом MAX 2: 1, 0 (голосов: 1)" in breakdown.content
        assert "Telegram: 2, 2 (голосов: 4)" in breakdown.content
        assert "MAX: 1, 2 (голосов: 3)" in breakdown.content
        assert "Анна: В воскресенье" in breakdown.content

        # The MAX copies are closed: totals stay, buttons go.
        for message in (poll_1, poll_2):
            await fake_max.wait_for(
                partial(lambda m: "Опрос завершён" in (m.text or ""), message),
                message="closed on MAX",
            )
            assert message.buttons == []
        shared = await _latest(fake_max, first, "Итоги опроса №1")
        assert "Проголосовали: 7." in (shared.text or "")
        assert [c for c in fake_max.errors() if c.status == 400] == []
    finally:
        await bot.stop()
