"""Departments and organisations end to end against the Bot API double: each department's
staff chat gets and works only its own issues, a transfer tells the resident and moves the
card, and a resident or a specialist of another department is refused."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeTelegram, FakeUser
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot, Town, make_settings

REFUSED_OTHER = "отдела «ЖКХ»: с ним работают его специалисты"
REFUSED_RESIDENT = "Эта команда — для специалистов администрации"


@dataclass
class Department:
    chat: FakeChat
    specialist: FakeUser


async def _department(town: Town, name: str, first: str) -> Department:
    """A staff group for `name`, registered by the admin, with one specialist granted there."""
    fake = town.fake
    specialist = fake.create_user(first, "Специалист")
    chat = fake.create_group(
        name, admins=[town.admin], members=[specialist], bot_rights=ADMIN_RIGHTS
    )
    town.says(town.admin, chat, f"/register staff {name}")
    await town.reply_in(chat, f"рабочий чат отдела «{name}»")
    hello = town.says(specialist, chat, "Здравствуйте")
    town.says(town.admin, chat, "/specialist", reply_to=hello)
    await town.reply_in(chat, f"специалист отдела «{name}»")
    return Department(chat, specialist)


@pytest.fixture
async def desk(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> AsyncIterator[InProcessBot]:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        departments={"tags": {"#куми": "КУМИ"}},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    yield bot
    await bot.stop()


async def test_departments_see_their_own_issues_and_a_transfer_moves_the_card(
    town: Town, desk: InProcessBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.services.issue_events")
    fake = town.fake
    await town.register()
    zhkh = await _department(town, "ЖКХ", "Иван")
    kumi = await _department(town, "КУМИ", "Мария")
    # The building's issues go to ЖКХ unless their tag says otherwise (#куми -> КУМИ).
    town.says(town.admin, town.building, "/setdept жкх")
    await town.reply_in(town.building, "по умолчанию идут в отдел «ЖКХ»")

    town.says(town.resident, town.building, "#проблема Течёт крыша над 5 подъездом")
    card1 = await town.reply_in(zhkh.chat, "№1", timeout=15)
    assert "Отдел: ЖКХ" in card1.content
    assert card1.buttons[-1] == ["Категория", "Передать"]
    town.says(town.neighbour, town.building, "#куми Сколько стоит аренда подвала?")
    card2 = await town.reply_in(kumi.chat, "№2", timeout=15)
    assert "Отдел: КУМИ" in card2.content

    # Each department's staff chat got only its own card; the general staff chat none.
    assert not any("№2" in m.content for m in fake.bot_messages(zhkh.chat.id))
    assert not any("№1" in m.content for m in fake.bot_messages(kumi.chat.id))
    assert not any(m.buttons for m in fake.bot_messages(town.staff.id))

    # Each department's specialists see only their own open issues; the admin sees all.
    town.says(zhkh.specialist, zhkh.chat, "/issues")
    listed = await town.reply_in(zhkh.chat, "Течёт крыша")
    assert "аренда" not in listed.content
    town.says(kumi.specialist, kumi.chat, "/issues")
    listed = await town.reply_in(kumi.chat, "аренда")
    assert "Течёт крыша" not in listed.content
    after = town.last_bot_id(town.staff)
    town.says(town.admin, town.staff, "/issues")
    listed = await town.reply_in(town.staff, "Течёт крыша", after=after)
    assert "аренда" in listed.content

    # A specialist of another department and a resident are refused.
    town.says(kumi.specialist, kumi.chat, "/take 1")
    await town.reply_in(kumi.chat, REFUSED_OTHER)
    town.says(kumi.specialist, kumi.chat, "/issue 1")
    await town.reply_in(kumi.chat, REFUSED_OTHER, after=town.last_bot_id(kumi.chat) - 1)
    town.says(town.resident, town.building, "/take 1")
    await town.reply_in(town.building, REFUSED_RESIDENT)
    town.says(town.resident, town.building, "/transfer 1 КУМИ")
    await town.reply_in(town.building, REFUSED_RESIDENT, after=town.last_bot_id(town.building))

    # ЖКХ takes it, then hands it to КУМИ with «Передать».
    fake.user_presses(zhkh.chat.id, card1.message_id, zhkh.specialist, button="Взять")
    await fake.wait_for(
        lambda: "в работе" in fake.message(zhkh.chat.id, card1.message_id).content.lower(),
        message="for the card to show the issue in work",
    )
    assert fake.message(zhkh.chat.id, card1.message_id).buttons[-1] == ["Передать"]
    fake.user_presses(zhkh.chat.id, card1.message_id, zhkh.specialist, button="Передать")
    choice = await town.reply_in(zhkh.chat, "Кому передать обращение №1")
    assert choice.buttons == [["КУМИ"]]
    fake.user_presses(zhkh.chat.id, choice.message_id, zhkh.specialist, button="КУМИ")

    # The resident is told who handles it now, in their thread.
    told = await town.reply_in(town.building, "им теперь занимается «КУМИ»")
    assert "№1" in told.content
    # The card moved: a new one in КУМИ's chat, the old one says where it went.
    moved = await town.reply_in(kumi.chat, "Отдел: КУМИ", after=card2.message_id)
    assert "№1" in moved.content and moved.buttons[0] == ["Взять", "Закрыть"]
    await fake.wait_for(
        lambda: "передано в «КУМИ»" in fake.message(zhkh.chat.id, card1.message_id).content,
        message="for the old card to say it was handed over",
    )
    assert fake.message(zhkh.chat.id, card1.message_id).buttons == []

    # Now КУМИ works it and ЖКХ is refused; the card edits land in КУМИ's chat.
    town.says(zhkh.specialist, zhkh.chat, "/take 1")
    await town.reply_in(zhkh.chat, "отдела «КУМИ»: с ним работают его специалисты")
    fake.user_presses(kumi.chat.id, moved.message_id, kumi.specialist, button="Взять")
    await fake.wait_for(
        lambda: "Мария" in fake.message(kumi.chat.id, moved.message_id).content,
        message="for the moved card to show its new assignee",
    )

    # /transfer hands it back; the history keeps both transfers.
    town.says(kumi.specialist, kumi.chat, "/transfer 1 жкх")
    await town.reply_in(kumi.chat, "передано в «ЖКХ»")
    await town.reply_in(zhkh.chat, "Отдел: ЖКХ", after=card1.message_id)
    await town.reply_in(town.building, "им теперь занимается «ЖКХ»")
    after = town.last_bot_id(town.staff)
    town.says(town.admin, town.staff, "/issue 1")
    history = await town.reply_in(town.staff, "передано", after=after)
    assert history.content.count("передано") >= 2
    assert "ЖКХ → КУМИ" in history.content and "КУМИ → ЖКХ" in history.content
    # One INFO line per transfer, ids only.
    transferred = [r.getMessage() for r in caplog.records if " transferred: " in r.getMessage()]
    assert len(transferred) == 2 and all(line.startswith("issue 1 ") for line in transferred)
    assert not any("КУМИ" in line or "ЖКХ" in line for line in transferred)

    # /stats breaks the figures down by department.
    after = town.last_bot_id(town.staff)
    town.says(town.admin, town.staff, "/stats")
    stats = await town.reply_in(town.staff, "По отделам", after=after)
    assert "ЖКХ: 1 / 0 / 1" in stats.content and "КУМИ: 1 / 0 / 1" in stats.content


async def test_one_staff_chat_without_departments_works_as_before(
    town: Town, desk: InProcessBot
) -> None:
    """No department configured: the card goes to the one staff chat, without «Передать»."""
    await town.register()
    town.says(town.resident, town.building, "#проблема Не горит свет")
    card = await town.reply_in(town.staff, "№1", timeout=15)
    assert card.buttons[-1] == ["Категория"]
    assert "Отдел:" not in card.content
    town.says(town.specialist, town.staff, "/transfer 1 КУМИ")
    await town.reply_in(town.staff, "Отдела «КУМИ» нет")


@pytest.fixture
async def categorised(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> AsyncIterator[InProcessBot]:
    emergency = {
        "code": "emergency",
        "name": "Аварийная",
        "first_response": "PT1H",
        "resolution": "PT8H",
        "department": "ЖКХ",
    }
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        categories={"items": [emergency]},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    yield bot
    await bot.stop()


async def test_a_chat_default_category_routes_to_the_category_department(
    town: Town, categorised: InProcessBot
) -> None:
    """/setcategory gives the chat's issues a category; the category names the department."""
    await town.register()
    zhkh = await _department(town, "ЖКХ", "Иван")
    town.says(town.admin, town.building, "/setcategory nope")
    await town.reply_in(town.building, "Категории «nope» нет")
    town.says(town.admin, town.building, "/setcategory emergency")
    await town.reply_in(town.building, "по умолчанию получают категорию «Аварийная»")
    town.says(town.resident, town.building, "#проблема Прорвало трубу в подвале")
    card = await town.reply_in(zhkh.chat, "№1", timeout=15)
    assert "Аварийная" in card.content and "Отдел: ЖКХ" in card.content
