"""After SIGTERM the process is gone within 10 s, whatever it was waiting for."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from bot.fake_telegram import FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import BotProcess, Town, delivered, hold_write_lock, process_bot

STOP_LIMIT = 10.0


async def timed_terminate(bot: BotProcess) -> tuple[int, float]:
    """SIGTERM; the exit code, and how long the stop took as the bot measured it.

    The wall time from the signal to the exit is checked too, with the suite's allowance for
    a loaded machine: on two shared cores an exiting interpreter may wait seconds for a core,
    which no code of the bot's can shorten. The watchdog (`bot.shutdown`) bounds the rest.
    """
    started = time.monotonic()
    code = await bot.terminate()
    wall = time.monotonic() - started
    found = re.findall(r"([\d.]+) s after the stop", bot.log())
    own = float(found[-1]) if found else wall
    print(f"exited {code}: {own:.1f} s by the bot's account, {wall:.1f} s wall time")
    assert wall < STOP_LIMIT * FakeTelegram.timeout_scale, bot.log()
    return code, own


async def arrived(fake: FakeTelegram, method: str, count: int = 1) -> None:
    await fake.wait_for(
        lambda: fake.server.arrivals.count(method) >= count, 20, f"for {method} to arrive"
    )


async def test_a_stop_during_a_send_that_hangs(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    bot = process_bot(fake, town, tmp_path, test_database, telegram={"request_timeout": 120})
    await bot.start(fake)
    await town.register()
    sends = fake.server.arrivals.count("sendMessage")
    fake.hang("sendMessage", 300)
    town.says(town.resident, town.building, "#проблема Не закрывается дверь")
    await arrived(fake, "sendMessage", sends + 1)
    code, took = await timed_terminate(bot)
    assert code == 0, bot.log()
    assert took < STOP_LIMIT, bot.log()
    assert "Traceback" not in bot.log()


async def test_a_stop_during_a_getupdates_that_hangs(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    bot = process_bot(fake, town, tmp_path, test_database)
    await bot.start(fake)
    polls = fake.server.arrivals.count("getUpdates")
    fake.hang("getUpdates", 300, drop=True)
    await arrived(fake, "getUpdates", polls + 1)
    code, took = await timed_terminate(bot)
    assert code == 0 and took < STOP_LIMIT, bot.log()


async def test_a_stop_during_a_long_lock_wait(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    # SQLite waits for the lock inside its own call for up to the busy timeout (60 s here):
    # a wait asyncio cannot cut short. PostgreSQL waits on the server for as long as the lock
    # is held.
    bot = process_bot(fake, town, tmp_path, test_database, storage={"busy_timeout": 60})
    await bot.start(fake)
    await town.register()
    async with hold_write_lock(test_database):
        town.says(town.resident, town.building, "#проблема Течёт крыша")
        update_id = fake.world.updates.next_update_id - 1
        await fake.wait_for(lambda: delivered(fake, update_id), 20, "for the update")
        await asyncio.sleep(0.5)  # well inside the lock wait, which lasts up to 60 s
        code, took = await timed_terminate(bot)
    assert code == 0 and took < STOP_LIMIT, bot.log()
    # Nothing was lost: the update was not confirmed, and comes again.
    bot = process_bot(fake, town, tmp_path, test_database)
    await bot.start(fake)
    await town.reply_in(town.building, "№1 принята", timeout=20)
    assert await bot.terminate() == 0
