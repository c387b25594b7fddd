"""`civicbot run` as a real process: SIGKILL at any step loses nothing, SIGTERM exits cleanly."""

from __future__ import annotations

from pathlib import Path

from bot.fake_telegram import FakeTelegram
from tests.database import NewDatabase, TestDatabase
from tests.e2e.harness import BotProcess, Town, process_bot, query, wait_until


async def bot_process(
    fake: FakeTelegram, town: Town, tmp_path: Path, new_database: NewDatabase, real: bool = False
) -> tuple[BotProcess, TestDatabase]:
    """The bot process on an empty database: its first start migrates it. Forked from the
    worker's zygote, or (`real`) the `python -m bot` a user starts, a new interpreter."""
    database = await new_database(migrated=False)
    bot = process_bot(fake, town, tmp_path, database)
    bot.real = real
    return bot, database


async def test_killing_the_bot_between_any_two_steps_loses_nothing(
    fake: FakeTelegram, town: Town, tmp_path: Path, new_database: NewDatabase
) -> None:
    bot, database = await bot_process(fake, town, tmp_path, new_database)
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

    assert await query(database, "SELECT number, status FROM issues ORDER BY number") == [
        (1, "closed"),
        (2, "new"),
    ]
    assert await query(database, "SELECT action FROM issue_transitions ORDER BY id") == [
        ("take",),
        ("close",),
    ]
    assert await query(database, "SELECT kind FROM chats ORDER BY id") == [
        ("building",),
        ("staff",),
    ]
    acks = [m for m in fake.bot_messages(town.building.id) if "№1 принята" in m.content]
    assert len(acks) == 1


async def test_a_kill_right_after_a_message_arrives_still_files_it_once(
    fake: FakeTelegram, town: Town, tmp_path: Path, new_database: NewDatabase
) -> None:
    bot, database = await bot_process(fake, town, tmp_path, new_database)
    await bot.start(fake)
    await town.register()
    for text in ("#проблема Нет света", "#проблема Нет воды", "#жалоба Шум ночью"):
        town.says(town.resident, town.building, text)
        await bot.kill()  # at whatever point it had reached
        await bot.start(fake)

    async def filed() -> bool:
        return len(await query(database, "SELECT number FROM issues")) == 3

    await wait_until(filed, timeout=20)
    await town.reply_in(town.building, "№3 принята", timeout=20)
    assert await bot.terminate() == 0
    texts = await query(database, "SELECT text FROM issues ORDER BY number")
    assert texts == [("#проблема Нет света",), ("#проблема Нет воды",), ("#жалоба Шум ночью",)]


async def test_sigterm_finishes_and_confirms_handled_updates(
    fake: FakeTelegram, town: Town, tmp_path: Path, new_database: NewDatabase
) -> None:
    # A new interpreter, as a user starts it: the other tests fork theirs (tests/zygote.py).
    bot, _ = await bot_process(fake, town, tmp_path, new_database, real=True)
    await bot.start(fake)
    await town.register()
    town.says(town.resident, town.building, "#проблема Сломан замок")
    update_id = fake.world.updates.next_update_id - 1
    await town.reply_in(town.building, "№1")
    assert await bot.terminate() == 0
    assert fake.confirmed_offset > update_id
    assert "Traceback" not in bot.log()
