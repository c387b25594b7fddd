"""The MAX adapter in the test's loop: buttons, edits, 429 and chats where the bot is no admin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fake_max import FakeMax
from tests.database import TestDatabase
from tests.e2e.max_harness import MaxTown, max_bot_in_process


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


@pytest.fixture
async def town(
    fake: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> AsyncIterator[MaxTown]:
    town = MaxTown.create(fake)
    bot = max_bot_in_process(town.settings(test_database))
    await bot.start(fake)  # type: ignore[arg-type]
    await town.register()
    yield town
    await bot.stop()


async def test_card_button_takes_the_issue_and_edits_follow(fake: FakeMax, town: MaxTown) -> None:
    question = town.says(town.resident, town.building, "#проблема нет света")
    await town.reply_in(town.building, "№1")
    card = await town.reply_in(town.staff, "№1")

    answered = len(fake.world.answers)
    fake.press(card, town.specialist, "iss:take:1")
    taken = await town.reply_in(town.building, "взята в работу")
    assert taken.reply_to == question.mid
    await fake.wait_for(lambda: len(fake.world.answers) > answered)
    assert "№1" in fake.world.answers[-1]["notification"]
    await fake.wait_for(lambda: "в работе" in (card.text or ""), message="for the card")

    fake.user_edits(question, "#проблема нет света во втором подъезде")
    await fake.wait_for(
        lambda: "во втором подъезде" in (card.text or ""), message="for the edit on the card"
    )


async def test_a_resident_cannot_take_by_button(fake: FakeMax, town: MaxTown) -> None:
    town.says(town.resident, town.building, "#вопрос когда покрасят забор")
    card = await town.reply_in(town.staff, "№1")
    answered = len(fake.world.answers)
    fake.press(card, town.neighbour, "iss:take:1")
    await fake.wait_for(lambda: len(fake.world.answers) > answered)
    assert "специалистов" in fake.world.answers[-1]["notification"]
    assert "новое" in (card.text or "")


async def test_429_is_waited_out(fake: FakeMax, town: MaxTown) -> None:
    fake.fail("POST /messages", 429, "too.many.requests", times=2)
    town.says(town.resident, town.building, "#проблема течёт кран")
    await town.reply_in(town.building, "№1", timeout=20)
    assert [c.status for c in fake.world.calls if c.status == 429] == [429, 429]


async def test_a_chat_where_the_bot_is_no_admin_is_not_seen(fake: FakeMax, town: MaxTown) -> None:
    hidden = fake.create_chat(
        "Дом Мира 1", admins=[town.admin], members=[town.resident], bot_admin=False
    )
    town.says(town.admin, hidden, "/register building Дом Мира 1")
    town.says(town.resident, town.building, "#проблема сосулька")
    await town.reply_in(town.building, "№1")
    assert fake.bot_messages(hidden) == []  # MAX sends no events from it: nothing to answer


async def test_the_bot_removed_from_a_chat_tells_the_staff(fake: FakeMax, town: MaxTown) -> None:
    after = town.last_seq(town.staff)
    fake.bot_removed(town.building, town.admin)
    notice = await town.reply_in(town.staff, "Дом Ленина 5", after=after)
    assert "удал" in (notice.text or "").lower()
    town.says(town.resident, town.building, "#проблема после удаления")  # not seen any more
    town.says(town.resident, town.staff, "/issues")
    await town.reply_in(town.staff, "", after=notice.seq)
    assert all("после удаления" not in (m.text or "") for m in fake.bot_messages(town.staff))


async def test_specialist_by_reply_control_and_a_started_dialog(
    fake: FakeMax, town: MaxTown
) -> None:
    said = town.says(town.neighbour, town.building, "Могу помочь с отоплением")
    town.says(town.admin, town.building, "/specialist", reply_to=said)
    await town.reply_in(town.building, "Пётр Сосед")  # granted, named in the answer
    town.says(town.resident, town.building, "#проблема холодные батареи")
    await town.reply_in(town.building, "№1")
    town.says(town.neighbour, town.staff, "/control 1 2030-01-15 Ждём подрядчика")
    await town.reply_in(town.building, "на контроль")

    fake.starts_bot(town.specialist)
    await fake.wait_for(lambda: fake.dialog(town.specialist) is not None, message="a dialog")
    dialog = fake.dialog(town.specialist)
    assert dialog is not None
    greeting = await fake.wait_for_bot_message(dialog, "/take N")  # the specialist's help
    assert greeting.text
