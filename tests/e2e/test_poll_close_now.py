"""«Завершить №N» under /polls: one button press is one update, and all of its effects stay."""

from __future__ import annotations

from pathlib import Path

from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram
from tests.database import TestDatabase
from tests.e2e.announce_kit import Desk, register
from tests.e2e.harness import InProcessBot, Town, make_settings


async def test_closing_a_poll_by_button_stops_it_everywhere_and_posts_the_totals(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    residents = [fake.create_user(f"Житель{i}") for i in range(3)]
    chats = [
        fake.create_group(
            f"Дом {i + 1}", admins=[town.admin], members=residents, bot_rights=ADMIN_RIGHTS
        )
        for i in range(3)
    ]
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[],
        scheduler={"tick": 0.3},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    try:
        await register(fake, town.admin, chats)
        desk = Desk(fake, town.admin)
        await desk.says("/poll", "Пришлите вопрос")
        await desk.says("Когда провести субботник?", "варианты ответа")
        await desk.says("В субботу\nВ воскресенье", "анонимное?")
        await desk.presses("Открытое", "несколько")
        await desk.presses("Один вариант", "Кому отправить?")
        await desk.presses("Все дома (3)", "Когда завершить")
        await desk.says("через 2 часа", "Опубликовать")
        await desk.presses("Да", "Предпросмотр опроса")
        await desk.presses("Отправить", "Опрос №1 отправляется в 3")
        polls = {}
        for chat in chats:
            polls[chat.id] = await fake.wait_for_bot_message(
                chat.id, predicate=lambda m: m.poll_id is not None
            )
        for chat, option in zip(chats, (0, 0, 1), strict=True):
            fake.user_votes(chat.id, polls[chat.id].message_id, residents[0], [option])

        await desk.says("/polls", "Опросы")
        await desk.presses("Завершить №1", "Опрос №1 завершается")

        # Long before its time (two hours), the press alone closes the poll in every chat.
        result = await fake.wait_for_bot_message(desk.chat_id, "Итоги опроса №1", timeout=15)
        for chat in chats:
            assert len(fake.calls_of("stopPoll", ok=True, chat_id=chat.id)) == 1
        assert "В субботу — 2 (" in result.content
        assert "В воскресенье — 1 (" in result.content
        assert "Проголосовали: 3." in result.content
        listing = await desk.says("/polls", "Опросы")
        assert "№1 идёт" not in listing.content
    finally:
        await bot.stop()
