"""The community's anti-spam memory against the Bot API double: a moderator's «Забанить» in one
chat teaches every chat, «Вернуть» unteaches, "watch only" deletes nothing, and the CAS-style
lookup bans listed accounts on joining and stays out of the way when its server is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.fake_telegram import FakeTelegram, FakeUser
from tests.database import TestDatabase
from tests.e2e.harness import (
    InProcessBot,
    cas_double,
    free_port,
    learned_spam_examples,
    make_settings,
    process_for,
)
from tests.e2e.test_moderation import Community, bot_for, build_community

SPAM = (
    "Набираю людей в команду, удалённая работа 2 часа в день, выплаты каждый вечер на карту. "
    "Пиши в лс"
)
NEAR_COPY = (
    "Набираю людей в команду!!! Удаленная работа 2-3 часа в день, выплаты каждый вечер на "
    "карту, пишите в ЛС"
)
# A neighbour's honest offer that reads like the job-offer waves: the classifier flags it.
GARDEN = "Ищу помощника на огород на выходные, оплата 2000 в день, пишите в личку"


@pytest.fixture
async def started(fake: FakeTelegram, test_database: TestDatabase) -> AsyncIterator[Any]:
    """Starts the bot with moderation settings for one test, stops it afterwards."""
    bots: list[InProcessBot] = []

    async def start(**moderation: Any) -> Community:
        town = build_community(fake, test_database)
        bot = bot_for(town, newcomer_check=False, **moderation)
        await bot.start(fake)
        bots.append(bot)
        await town.register()
        return town

    yield start
    for bot in bots:
        await bot.stop()


def newcomer(town: Community, name: str) -> FakeUser:
    """Someone who joins the building chat now, so is on probation."""
    user = town.fake.create_user(name, "Новичок")
    town.fake.user_joins(town.building.id, user)
    return user


async def settled(town: Community, user: FakeUser, number: int) -> None:
    """Wait until the bot has handled everything `user` said before: a tagged message after it
    comes back as issue `number`."""
    town.says(user, town.building, f"#проблема Проверка порядка {number}")
    await town.bot_says(town.building, f"№{number}")


async def learned(town: Community) -> list[tuple[str, bool]]:
    return await learned_spam_examples(town.database)


async def test_a_ban_teaches_every_chat_even_for_long_time_members(started: Any) -> None:
    town: Community = await started()
    # Before anyone taught the bot, a long-time member is not checked for content.
    before = town.says(town.resident, town.other, NEAR_COPY)
    await settled(town, town.resident, 1)
    assert not town.fake.message(town.other.id, before).deleted

    spammer = newcomer(town, "Спамер")
    await town.bot_says(town.building, "Добро пожаловать")
    town.says(spammer, town.building, SPAM)
    card = await town.bot_says(town.staff, "Спам удалён")
    assert "классификатор" in card.content  # the signal that fired, with its score
    town.fake.user_presses(town.staff.id, card.message_id, town.admin, button="Забанить")
    await town.wait_status(town.other, spammer, "kicked")
    await town.fake.wait_for(
        lambda: (
            "Забанен во всех чатах" in town.fake.message(town.staff.id, card.message_id).content
        )
    )
    assert (SPAM, True) in await learned(town)

    # A hijacked old account posts a near copy in the other building: removed at once.
    after = town.last_id(town.staff)
    copy = town.says(town.resident, town.other, NEAR_COPY)
    second = await town.bot_says(town.staff, "Спам удалён", after=after)
    assert "Ленина 7" in second.content
    assert "Сработало: похоже на удалённый спам" in second.content
    await town.fake.wait_for(lambda: town.fake.message(town.other.id, copy).deleted)

    town.says(town.admin, town.staff, "/modlog 3")
    log = await town.bot_says(town.staff, "Журнал модерации", after=second.message_id)
    assert "Сработало: похоже на удалённый спам" in log.content


async def test_restore_stops_the_same_text_being_flagged(started: Any) -> None:
    town: Community = await started()
    first = newcomer(town, "Ирина")
    await town.bot_says(town.building, "Добро пожаловать")
    posted = town.says(first, town.building, GARDEN)
    card = await town.bot_says(town.staff, "Спам удалён")
    assert "Сработало: классификатор" in card.content
    await town.fake.wait_for(lambda: town.fake.message(town.building.id, posted).deleted)
    town.fake.user_presses(town.staff.id, card.message_id, town.admin, button="Вернуть")
    await town.bot_says(town.building, "Восстановлено сообщение")
    assert (GARDEN, False) in await learned(town)

    second = newcomer(town, "Олег")
    await town.bot_says(town.building, "Добро пожаловать в «Ленина 5», Олег")
    again = town.says(second, town.building, GARDEN)
    await settled(town, second, 1)
    assert not town.fake.message(town.building.id, again).deleted
    cards = [text for text in town.bot_texts(town.staff) if "Спам удалён" in text]
    assert len(cards) == 1


async def test_watch_only_deletes_nothing_and_reports(started: Any) -> None:
    town: Community = await started(spam_watch=True)
    spammer = newcomer(town, "Спамер")
    await town.bot_says(town.building, "Добро пожаловать")
    posted = town.says(spammer, town.building, SPAM)
    card = await town.bot_says(town.staff, "Похоже на спам")
    assert "ничего не удалено" in card.content
    assert "классификатор" in card.content
    assert card.buttons == [["Не спам", "Забанить"]]
    await settled(town, spammer, 1)
    assert not town.fake.message(town.building.id, posted).deleted
    assert town.fake.calls_of("deleteMessage") == []
    assert town.fake.calls_of("restrictChatMember") == []
    assert town.status(town.building, spammer) == "member"


# --- the CAS-style lookup -----------------------------------------------------------------------


@pytest.fixture
async def cas() -> AsyncIterator[tuple[str, set[int], list[int]]]:
    """A CAS double on 127.0.0.1: the listed ids, and every id asked about."""
    listed: set[int] = set()
    asked: list[int] = []

    async def check(request: web.Request) -> web.Response:
        user_id = int(request.query["user_id"])
        asked.append(user_id)
        if user_id in listed:
            return web.json_response({"ok": True, "result": {"offenses": 3}})
        return web.json_response({"ok": False, "description": "Record not found."})

    async with cas_double(check) as url:
        yield url, listed, asked


async def test_cas_bans_a_listed_account_on_joining(started: Any, cas: Any) -> None:
    url, listed, asked = cas
    town: Community = await started(cas_url=url)
    spammer = town.fake.create_user("Известный", "Спамер")
    listed.add(spammer.id)
    town.fake.user_joins(town.building.id, spammer)
    card = await town.bot_says(town.staff, "Забанен при входе")
    assert "базе спамеров" in card.content
    await town.wait_status(town.building, spammer, "kicked")
    await town.wait_status(town.other, spammer, "kicked")

    guest = newcomer(town, "Гость")
    await town.bot_says(town.building, "Добро пожаловать в «Ленина 5», Гость")
    assert town.status(town.building, guest) == "member"
    assert asked.count(spammer.id) == 1 and guest.id in asked


async def test_cas_server_down_changes_nothing(
    fake: FakeTelegram, tmp_path: Path, test_database: TestDatabase
) -> None:
    """The real `civicbot run` process, its CAS service down: newcomers come in as usual and
    the log shows no error."""
    town = build_community(fake, test_database)
    moderation = {"newcomer_check": False, "cas_url": f"http://127.0.0.1:{free_port()}/check",
                  "cas_timeout": "1s"}  # fmt: skip
    settings = make_settings(fake, town.database, admins=[town.admin.id],
                             specialists=[town.specialist.id], moderation=moderation)  # fmt: skip
    bot = process_for(settings, tmp_path)
    await bot.start(fake)
    try:
        await town.register()
        guest = newcomer(town, "Гость")
        await town.bot_says(town.building, "Добро пожаловать в «Ленина 5», Гость")
        town.says(guest, town.building, "#проблема Не горит свет в подъезде")
        await town.bot_says(town.building, "№1")
        assert town.status(town.building, guest) == "member"
        assert fake.calls_of("banChatMember") == []
    finally:
        assert await bot.terminate() == 0
    assert "ERROR" not in bot.log() and "Traceback" not in bot.log()


async def test_a_moderators_spam_command_deletes_and_teaches(started: Any) -> None:
    town: Community = await started()
    posted = town.says(town.resident, town.building, SPAM)
    town.says(town.admin, town.building, "/spam", reply_to=posted)
    await town.bot_says(town.building, "удалено как спам")
    await town.fake.wait_for(lambda: town.fake.message(town.building.id, posted).deleted)
    assert (SPAM, True) in await learned(town)
    copy = town.says(town.resident, town.other, NEAR_COPY)
    card = await town.bot_says(town.staff, "Спам удалён")
    assert "похоже на удалённый спам" in card.content
    await town.fake.wait_for(lambda: town.fake.message(town.other.id, copy).deleted)
