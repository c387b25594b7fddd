"""`civicbot run` as a real process: SIGKILL at any step loses nothing, SIGTERM exits cleanly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.fake_telegram import FakeTelegram
from tests.e2e.harness import BotProcess, Town, make_settings, toml_for


def bot_process(fake: FakeTelegram, town: Town, tmp_path: Path) -> tuple[BotProcess, Path]:
    db_path = tmp_path / "data" / "civicbot.db"
    settings = make_settings(
        fake, db_path, admins=[town.admin.id], specialists=[town.specialist.id]
    )
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    return BotProcess(config, tmp_path / "bot.log"), db_path


def rows(db_path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(query).fetchall()


async def test_killing_the_bot_between_any_two_steps_loses_nothing(
    fake: FakeTelegram, town: Town, tmp_path: Path
) -> None:
    bot, db_path = bot_process(fake, town, tmp_path)
    await bot.start(fake)
    await town.register()
    await bot.kill()

    await bot.start(fake)
    asked = town.says(town.resident, town.building, "#проблема Не работает лифт")
    await town.reply_in(town.building, "№1 принята")
    await town.reply_in(town.staff, "№1")
    await bot.kill()

    await bot.start(fake)
    town.says(town.specialist, town.staff, "/take 1")
    await town.reply_in(town.building, "взята в работу")
    await bot.kill()

    await bot.start(fake)
    town.says(town.specialist, town.staff, "/close 1 Лифт отремонтирован")
    closed = await town.reply_in(town.building, "Лифт отремонтирован")
    assert closed.reply_to == asked
    await bot.kill()

    # Killed before it could even read the message: the update waits at Telegram.
    town.says(town.resident, town.building, "#вопрос А когда покрасят лавочки?")
    await bot.start(fake)
    await town.reply_in(town.building, "№2 принята")  # numbering continues
    assert await bot.terminate() == 0

    assert rows(db_path, "SELECT number, status FROM issues ORDER BY number") == [
        (1, "closed"),
        (2, "new"),
    ]
    assert rows(db_path, "SELECT action FROM issue_transitions ORDER BY id") == [
        ("take",),
        ("close",),
    ]
    assert rows(db_path, "SELECT kind FROM chats ORDER BY id") == [("building",), ("staff",)]
    acks = [m for m in fake.bot_messages(town.building.id) if "№1 принята" in m.content]
    assert len(acks) == 1


async def test_a_kill_right_after_a_message_arrives_still_files_it_once(
    fake: FakeTelegram, town: Town, tmp_path: Path
) -> None:
    bot, db_path = bot_process(fake, town, tmp_path)
    await bot.start(fake)
    await town.register()
    for text in ("#проблема Нет света", "#проблема Нет воды", "#жалоба Шум ночью"):
        town.says(town.resident, town.building, text)
        await bot.kill()  # at whatever point it had reached
        await bot.start(fake)
    await fake.wait_for(lambda: len(rows(db_path, "SELECT number FROM issues")) == 3, timeout=20)
    await town.reply_in(town.building, "№3 принята", timeout=20)
    assert await bot.terminate() == 0
    texts = rows(db_path, "SELECT text FROM issues ORDER BY number")
    assert texts == [("#проблема Нет света",), ("#проблема Нет воды",), ("#жалоба Шум ночью",)]


async def test_sigterm_finishes_and_confirms_handled_updates(
    fake: FakeTelegram, town: Town, tmp_path: Path
) -> None:
    bot, _ = bot_process(fake, town, tmp_path)
    await bot.start(fake)
    await town.register()
    town.says(town.resident, town.building, "#проблема Сломан замок")
    update_id = fake.world.updates.next_update_id - 1
    await town.reply_in(town.building, "№1")
    assert await bot.terminate() == 0
    assert fake.confirmed_offset > update_id
    assert "Traceback" not in bot.log()
