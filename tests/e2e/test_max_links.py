"""One person on both messengers (`/link`), and a ban that crosses from Telegram into the
MAX chats of the community."""

from __future__ import annotations

import operator
import re
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from bot.fake_max import FakeMax
from bot.fake_max.world import MaxChat, MaxUser
from bot.fake_telegram import FakeTelegram, FakeUser
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot, Town, make_settings


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


async def link(
    fake: FakeTelegram, fake_max: FakeMax, user: FakeUser, account: MaxUser, chat: MaxChat
) -> None:
    """`user` asks for a code in their private chat on Telegram and sends it from MAX."""
    fake.user_sends(user.id, user, "/link")
    issued = await fake.wait_for_bot_message(user.id, "Ваш код")
    found = re.search(r"\b(\d{6})\b", issued.content)
    assert found is not None, issued.content
    fake_max.user_sends(chat, account, f"/link {found.group(1)}")
    await fake_max.wait_for_bot_message(chat, "связан с вашим аккаунтом в Telegram")
    await fake.wait_for_bot_message(user.id, "связан с вашим аккаунтом в MAX")


async def start(
    fake: FakeTelegram,
    town: Town,
    fake_max: FakeMax,
    tmp_path: Path,
    test_database: TestDatabase,
    head: MaxUser,
) -> InProcessBot:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id, f"max:{head.user_id}"],  # type: ignore[list-item]
        specialists=[town.specialist.id],
        max={"token": fake_max.token, "api_base": fake_max.api_base, "polling_timeout": 1},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    return bot


async def test_a_spammer_banned_in_telegram_is_removed_and_blocked_in_the_max_chats(
    fake: FakeTelegram, town: Town, fake_max: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    head = fake_max.create_user("Глава", "в MAX")
    spammer_max = fake_max.create_user("Продавец", "Справок")
    neighbour = fake_max.create_user("Соседка")
    spammer = town.resident
    houses = [
        fake_max.create_chat("Дом MAX 1", admins=[head], members=[spammer_max, neighbour]),
        fake_max.create_chat("Дом MAX 2", admins=[head], members=[spammer_max]),
    ]
    bot = await start(fake, town, fake_max, tmp_path, test_database, head)
    try:
        await town.register()
        await fake_max.wait_for(lambda: fake_max.world.updates.polls > 0, message="MAX polls")
        for house in houses:
            fake_max.user_sends(house, head, f"/register building {house.title}")
            await fake_max.wait_for_bot_message(house, "подключён")
        await link(fake, fake_max, spammer, spammer_max, houses[1])

        offending = town.says(spammer, town.building, "Продаю справки недорого, пишите в личку")
        town.says(town.admin, town.building, "/ban реклама", reply_to=offending)
        await town.reply_in(town.building, "заблокирован во всех чатах")
        await fake.wait_for(lambda: fake.member_status(town.building.id, spammer) == "kicked")
        for house in houses:
            await fake_max.wait_for(
                partial(operator.contains, house.blocked, spammer_max.user_id),
                message=f"blocked: {house.title}",
            )
            assert spammer_max.user_id not in house.members
        assert neighbour.user_id in houses[0].members  # nobody else is touched
        removals = [
            c for c in fake_max.world.calls if c.method == "DELETE" and "members" in c.path
        ]
        assert len(removals) == 2
        assert all(c.status == 200 for c in removals)
    finally:
        await bot.stop()


async def test_a_linked_max_account_holds_the_specialist_role_of_its_telegram_identity(
    fake: FakeTelegram, town: Town, fake_max: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    head = fake_max.create_user("Глава", "в MAX")
    olga_max = fake_max.create_user("Ольга", "в MAX")
    anna = fake_max.create_user("Анна")
    house = fake_max.create_chat("Дом MAX", admins=[head], members=[olga_max, anna])
    bot = await start(fake, town, fake_max, tmp_path, test_database, head)
    try:
        await town.register()
        await fake_max.wait_for(lambda: fake_max.world.updates.polls > 0, message="MAX polls")
        fake_max.user_sends(house, head, "/register building Дом MAX")
        await fake_max.wait_for_bot_message(house, "подключён")
        fake_max.user_sends(house, anna, "#проблема не горит свет в подъезде")
        await fake_max.wait_for_bot_message(house, "№1")

        fake_max.user_sends(house, olga_max, "/take 1")  # not linked yet: a resident
        await fake_max.wait_for_bot_message(house, "специалист")
        assert not any("взята в работу" in (m.text or "") for m in fake_max.bot_messages(house))

        # A code from a group chat is refused; from the private chat it works.
        town.says(town.specialist, town.building, "/link")
        await town.reply_in(town.building, "только в личном чате")
        fake_max.user_sends(house, olga_max, "/link 000000")
        await fake_max.wait_for_bot_message(house, "Код не подошёл")
        await link(fake, fake_max, town.specialist, olga_max, house)

        fake_max.user_sends(house, olga_max, "/take 1")
        await fake_max.wait_for_bot_message(house, "взята в работу")
    finally:
        await bot.stop()
