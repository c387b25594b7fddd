"""A write lock held elsewhere for longer than the busy timeout is waited out, not fatal.

SQLite only: its busy timeout and the warnings about it (PostgreSQL's writers simply wait on
the server; tests/e2e/test_stop_deadline.py holds a lock on both)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.fake_telegram import FakeTelegram
from tests.e2e.harness import InProcessBot, Town, hold_write_lock, make_settings, query


@pytest.mark.sqlite_only
async def test_a_lock_longer_than_the_busy_timeout_is_waited_out(
    fake: FakeTelegram, town: Town, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        fake,
        tmp_path / "civicbot.db",
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        storage={"busy_timeout": 0.3},
        telegram={"retry_backoff": 0.1, "retry_backoff_cap": 0.5},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    try:
        await town.register()
        async with hold_write_lock(settings):  # a backup tool, a second process
            town.says(town.resident, town.building, "#проблема Прорвало трубу")
            town.says(town.neighbour, town.building, "#проблема Нет воды")
            await asyncio.sleep(3.0)  # ten busy timeouts
            assert bot._task is not None and not bot._task.done()
            assert not [m for m in fake.bot_messages(town.building.id) if "принята" in m.content]
        await town.reply_in(town.building, "№2 принята", timeout=15)
        texts = [
            row[0] for row in await query(settings, "SELECT text FROM issues ORDER BY number")
        ]
        assert texts == ["#проблема Прорвало трубу", "#проблема Нет воды"]
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and r.getMessage().startswith("database write")
        ]
        assert len(warnings) == 2 and "locked" in warnings[0]  # the lock, then its end
        assert bot._task is not None and not bot._task.done()
    finally:
        await bot.stop()
