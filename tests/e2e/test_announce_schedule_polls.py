"""Scheduled and cancelled announcements, polls across chats, a dialog surviving a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram
from tests.database import TestDatabase
from tests.e2e.announce_kit import Desk, announcement_copies, buildings, register
from tests.e2e.harness import InProcessBot, Town, make_settings

ZONE = ZoneInfo("Asia/Kamchatka")


class MovableClock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def test_scheduled_announcement_goes_out_at_its_time_and_a_cancelled_one_never(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    chats = buildings(fake, town.admin, 3)
    clock = MovableClock()
    settings = make_settings(fake, test_database, admins=[town.admin.id], specialists=[])
    bot = InProcessBot(settings, clock)
    await bot.start(fake)
    try:
        await register(fake, town.admin, chats)
        desk = Desk(fake, town.admin)
        for text in ("Уборка снега во дворах завтра", "Собрание собственников отменяется"):
            await desk.says("/announce", "Пришлите его текст")
            await desk.says(text, "Кому отправить?")
            await desk.presses("Все дома (3)", "Когда отправить?")
            await desk.says("завтра 10:00", "Закрепить")
            await desk.presses("Не закреплять", "Получатели")
            await desk.presses("Отправить", "запланировано")

        listing = await desk.says("/announcements", "Объявления")
        assert "№1 запланировано" in listing.content and "№2 запланировано" in listing.content
        await desk.presses("Отменить №2", "отменено")

        assert all(not announcement_copies(fake, chat, "Уборка") for chat in chats)

        tomorrow = (clock().astimezone(ZONE) + timedelta(days=1)).date()
        due = datetime.combine(tomorrow, datetime.min.time(), tzinfo=ZONE) + timedelta(hours=10)
        moved_at = datetime.now(UTC)
        clock.offset = due - moved_at - timedelta(seconds=2)  # 2 s before 10:00 tomorrow
        report = await fake.wait_for_bot_message(desk.chat_id, "отчёт о доставке", timeout=15)
        assert "Объявление №1" in report.content and "Доставлено: 3 из 3" in report.content
        first_copy = min(
            r.at for r in fake.sent if r.chat_id in {c.id for c in chats} and r.at > moved_at
        )
        assert first_copy >= moved_at + timedelta(
            seconds=1.9
        )  # not before 10:00 on the bot's clock
        await asyncio.sleep(1.0)  # the cancelled one was due at the same moment
        for chat in chats:
            assert len(announcement_copies(fake, chat, "Уборка снега")) == 1
            assert not announcement_copies(fake, chat, "Собрание собственников")
    finally:
        await bot.stop()


async def test_poll_in_three_chats_is_closed_at_its_time_with_combined_totals_and_a_chart(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    residents = [fake.create_user(f"Житель{i}") for i in range(6)]
    chats = [
        fake.create_group(
            f"Дом {i + 1}", admins=[town.admin], members=residents, bot_rights=ADMIN_RIGHTS
        )
        for i in range(3)
    ]
    clock = MovableClock()
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[],
        scheduler={"tick": 0.3},
    )
    bot = InProcessBot(settings, clock)
    await bot.start(fake)
    try:
        await register(fake, town.admin, chats)
        desk = Desk(fake, town.admin)
        await desk.says("/poll", "Пришлите вопрос")
        await desk.says("Где поставить новую детскую площадку?", "варианты ответа")
        await desk.says("У школы\nВо дворе дома 2\nВ сквере", "анонимное?")
        await desk.presses("Открытое", "несколько")
        await desk.presses("Один вариант", "Кому отправить?")
        await desk.presses("Все дома (3)", "Когда завершить")
        await desk.says("через 2 часа", "Опубликовать")
        preview = await desk.presses("Да", "Предпросмотр опроса")
        assert preview is not None and "1. У школы" in preview.content
        await desk.presses("Отправить", "Опрос №1 отправляется в 3")

        polls = {}
        for chat in chats:
            polls[chat.id] = await fake.wait_for_bot_message(
                chat.id, predicate=lambda m: m.poll_id is not None
            )
        votes = {  # chat index -> option chosen by each voting resident
            0: [0, 0, 1],
            1: [2, 0, 0, 0, 1],
            2: [1],
        }
        for index, chosen in votes.items():
            chat = chats[index]
            for resident, option in zip(residents, chosen, strict=False):
                fake.user_votes(chat.id, polls[chat.id].message_id, resident, [option])
        # Someone changes their mind: the latest `poll` update wins.
        fake.user_votes(chats[2].id, polls[chats[2].id].message_id, residents[0], [2])

        listing = await desk.says("/polls", "Опросы")
        await fake.wait_for(lambda: True)
        assert "№1 идёт" in listing.content

        clock.offset = timedelta(hours=2, seconds=5)
        result = await fake.wait_for_bot_message(desk.chat_id, "Итоги опроса №1", timeout=15)
        assert len(fake.calls_of("stopPoll")) == 3
        assert "У школы — 5 (" in result.content
        assert "Во дворе дома 2 — 2 (" in result.content
        assert "В сквере — 2 (" in result.content
        assert "Проголосовали: 9." in result.content
        assert result.photo is not None
        png = fake.file_bytes(result.photo[-1]["file_id"])
        assert png.startswith(b"\x89PNG")
        breakdown = await fake.wait_for_bot_message(desk.chat_id, "по чатам")
        assert "Дом 1: 2, 1, 0 (голосов: 3)" in breakdown.content
        assert "Дом 2: 3, 1, 1 (голосов: 5)" in breakdown.content
        assert "Дом 3: 0, 0, 1 (голосов: 1)" in breakdown.content
        assert "Житель0: В сквере" in breakdown.content  # an open poll: voters are known
        for chat in chats:
            shared = await fake.wait_for_bot_message(chat.id, "Итоги опроса №1")
            assert shared.photo is not None
    finally:
        await bot.stop()


async def test_a_half_made_announcement_survives_a_restart(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    chats = buildings(fake, town.admin, 2)
    settings = make_settings(fake, test_database, admins=[town.admin.id], specialists=[])
    bot = InProcessBot(settings)
    await bot.start(fake)
    await register(fake, town.admin, chats)
    desk = Desk(fake, town.admin)
    await desk.says("/announce", "Пришлите его текст")
    await desk.says("Отключение электричества в четверг", "Кому отправить?")
    await bot.stop()

    restarted = InProcessBot(settings)
    await restarted.start(fake)
    try:
        await desk.presses("Все дома (2)", "Когда отправить?")
        await desk.presses("Сейчас", "Закрепить")
        await desk.presses("Не закреплять", "Получатели")
        await desk.presses("Отправить", "отправляется в 2")
        for chat in chats:
            await fake.wait_for(
                partial(
                    lambda c: len(announcement_copies(fake, c, "Отключение электричества")) == 1,
                    chat,
                )
            )
    finally:
        await restarted.stop()
