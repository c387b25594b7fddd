"""The desk on MAX, end to end: `civicbot run` configured for MAX against the MAX double."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fake_max import FakeMax
from tests.database import TestDatabase
from tests.e2e.max_harness import MaxBotProcess, MaxTown, max_bot_in_process, write_toml

# The permission refusal comes from bot/texts/errors.py: PERMISSION_DENIED[WORK_ISSUES].


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    async with FakeMax() as double:
        yield double


def _no_schema_errors(fake: FakeMax) -> None:
    refused = [c for c in fake.errors() if c.status == 400]
    assert refused == [], refused


async def test_register_tag_take_close_on_max(
    fake: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    town = MaxTown.create(fake)
    config = write_toml(town.settings(test_database), tmp_path / "config.toml")
    bot = MaxBotProcess(config, tmp_path / "bot.log")
    await bot.start(fake)
    try:
        await town.register()
        question = town.says(town.resident, town.building, "#проблема в подъезде нет света")
        ack = await town.reply_in(town.building, "№1")
        assert ack.reply_to == question.mid  # the acknowledgement is a reply to the resident
        card = await town.reply_in(town.staff, "№1")
        assert any(b["payload"] == "iss:take:1" for row in card.buttons for b in row)

        # A neighbour (no role) may not close it: the domain refuses, the bot says so.
        after = town.last_seq(town.building)
        attempt = town.says(town.neighbour, town.building, "/close 1 всё починили")
        refusal = await town.reply_in(town.building, "для специалистов", after=after)
        assert refusal.reply_to == attempt.mid
        assert not [
            m for m in fake.bot_messages(town.building) if "всё починили" in (m.text or "")
        ]

        after = town.last_seq(town.building)
        town.says(town.specialist, town.staff, "/take 1")
        taken = await town.reply_in(town.building, "№1", after=after)
        assert taken.reply_to == question.mid

        after = town.last_seq(town.building)
        town.says(town.specialist, town.staff, "/close 1 Электрик заменил автомат")
        closed = await town.reply_in(town.building, "Электрик заменил автомат", after=after)
        assert closed.reply_to == question.mid  # the answer is in the resident's thread
        await fake.wait_for(lambda: card.edits >= 2, message="for the staff card to follow")
        _no_schema_errors(fake)
    finally:
        assert await bot.terminate() == 0, bot.log()


async def test_a_duplicate_update_makes_no_second_issue(
    fake: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    town = MaxTown.create(fake)
    bot = max_bot_in_process(town.settings(test_database))
    await bot.start(fake)  # type: ignore[arg-type]
    try:
        await town.register()
        town.says(town.resident, town.building, "#проблема течёт крыша")
        await town.reply_in(town.building, "№1")
        again = fake.redeliver_last()  # the same message_created update once more
        assert again["update_type"] == "message_created"
        await fake.wait_for(
            lambda: fake.world.updates.delivered.count(again) == 2,
            message="for the bot to get the update a second time",
        )
        town.says(town.neighbour, town.building, "#вопрос когда уберут снег")
        await town.reply_in(town.building, "№2")
        cards = [m for m in fake.bot_messages(town.staff) if "№" in (m.text or "")]
        assert len([m for m in cards if "течёт крыша" in (m.text or "")]) == 1
        acks = [m for m in fake.bot_messages(town.building) if "№1" in (m.text or "")]
        assert len(acks) == 1
    finally:
        await bot.stop()


async def test_sigkill_and_restart_lose_nothing(
    fake: FakeMax, tmp_path: Path, test_database: TestDatabase
) -> None:
    town = MaxTown.create(fake)
    config = write_toml(town.settings(test_database), tmp_path / "config.toml")
    bot = MaxBotProcess(config, tmp_path / "bot.log")
    await bot.start(fake)
    await town.register()
    town.says(town.resident, town.building, "#проблема нет воды")
    await town.reply_in(town.building, "№1")
    await bot.kill()

    # While the bot is down: two more issues and a take.
    town.says(town.neighbour, town.building, "#проблема сломан лифт")
    town.says(town.resident, town.building, "#вопрос график вывоза мусора")
    town.says(town.specialist, town.staff, "/take 1")

    restarted = MaxBotProcess(config, tmp_path / "bot.log")
    await restarted.start(fake)
    try:
        await town.reply_in(town.building, "№2", timeout=20)
        await town.reply_in(town.building, "№3", timeout=20)
        await fake.wait_for(
            lambda: any(
                "№1" in (m.text or "") and "работ" in (m.text or "")
                for m in fake.bot_messages(town.building)
            ),
            timeout=20,
            message="for the take of №1 to reach the resident",
        )
        for number in ("№1", "№2", "№3"):
            acks = [
                m
                for m in fake.bot_messages(town.building)
                if number in (m.text or "") and "принят" in (m.text or "").lower()
            ]
            assert len(acks) <= 1, (number, [m.text for m in acks])
        _no_schema_errors(fake)
    finally:
        assert await restarted.terminate() == 0, restarted.log()
