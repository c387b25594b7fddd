"""An update aiogram's models reject is set aside, confirmed and reported, not a crash loop."""

from __future__ import annotations

import logging
import sqlite3
import time

import pytest

from bot.fake_telegram import FakeTelegram
from tests.e2e.harness import InProcessBot, Town

SECRET = "Секретный текст жительницы"


def quarantined(bot: InProcessBot) -> list[tuple[int, str, str]]:
    with sqlite3.connect(bot.settings.storage.path) as connection:
        return connection.execute(
            "SELECT update_id, kind, error FROM quarantined_updates ORDER BY update_id"
        ).fetchall()


def issues(bot: InProcessBot) -> list[str]:
    with sqlite3.connect(bot.settings.storage.path) as connection:
        return [row[0] for row in connection.execute("SELECT text FROM issues ORDER BY number")]


async def test_a_poison_update_in_the_middle_of_a_batch_is_quarantined(
    fake: FakeTelegram, town: Town, running: InProcessBot, caplog: pytest.LogCaptureFixture
) -> None:
    await town.register()
    await running.stop()  # the next three wait in Telegram's queue: one batch at start
    town.says(town.resident, town.building, "#проблема Течёт крыша")
    chat_without_type = {"id": town.building.id, "title": "Дом Ленина 5"}
    poison_message = fake.world.updates.push(
        "message",
        {
            "message_id": 9999,
            "date": int(time.time()),
            "chat": chat_without_type,
            "from": {"id": town.resident.id, "is_bot": False, "first_name": "Анна"},
            "text": f"#проблема {SECRET}",
        },
    )
    poison_poll = fake.world.updates.push("poll", {"id": "77", "question": SECRET})
    town.says(town.neighbour, town.building, "#проблема Не горит свет")
    await running.start(fake)

    await town.reply_in(town.building, "№2 принята", timeout=15)
    assert issues(running) == ["#проблема Течёт крыша", "#проблема Не горит свет"]
    rows = quarantined(running)
    assert [(update_id, kind) for update_id, kind, _ in rows] == [
        (poison_message, "message"),
        (poison_poll, "poll"),
    ]
    assert all(SECRET not in error and error for _, _, error in rows)
    notice = await town.reply_in(town.staff, "не смог разобрать обновление", timeout=10)
    assert str(poison_message) in notice.content
    notices = [m for m in fake.bot_messages(town.staff.id) if "не смог разобрать" in m.content]
    assert len(notices) == 1  # the admins hear once, not once per update
    # Confirmed: Telegram does not send them again, and the bot is still polling.
    assert all(
        u["update_id"] not in (poison_message, poison_poll) for u in fake.world.updates.pending
    )
    town.says(town.resident, town.building, "#проблема Сломан домофон")
    await town.reply_in(town.building, "№3 принята", timeout=15)
    assert SECRET not in caplog.text
    assert any(
        r.levelno == logging.WARNING and f"update {poison_message}" in r.getMessage()
        for r in caplog.records
    )
