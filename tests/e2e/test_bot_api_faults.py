"""Bot API answers that are not Bot API answers: HTML error pages, garbage, cut-short bodies.

Each one is an outage of Telegram, to be waited out with back-off and one warning; none may
end the process, and nothing tagged meanwhile may be lost.
"""

from __future__ import annotations

import logging

import pytest

from bot.fake_telegram import FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot, Town, make_settings

pytestmark = pytest.mark.parametrize("kind", ["html", "garbage", "truncated"])


def fast_retry_bot(fake: FakeTelegram, town: Town, test_database: TestDatabase) -> InProcessBot:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        telegram={"retry_backoff": 0.05, "retry_backoff_cap": 0.2},
    )
    return InProcessBot(settings)


def outage_warnings(caplog: pytest.LogCaptureFixture, call: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.getMessage().startswith(f"{call} failed")
    ]


async def test_get_updates_answering_garbage_is_waited_out(
    fake: FakeTelegram,
    town: Town,
    test_database: TestDatabase,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    bot = fast_retry_bot(fake, town, test_database)
    await bot.start(fake)
    try:
        await town.register()
        fake.answer_raw("getUpdates", kind, times=6)
        town.says(town.resident, town.building, "#проблема Подъезд не убран")
        await town.reply_in(town.building, "№1 принята", timeout=15)
        # A getUpdates already waiting when the faults were set may carry the message first.
        await fake.wait_for(lambda: len(fake.calls_of("getUpdates", ok=False)) == 6, 15)
        town.says(town.neighbour, town.building, "#проблема Лампа перегорела")
        await town.reply_in(town.building, "№2 принята", timeout=15)  # the outage is over
        assert len(fake.calls_of("getUpdates", ok=False)) == 6
        assert len(outage_warnings(caplog, "getUpdates")) == 1  # once per outage
        assert "Подъезд" not in caplog.text and "Жительница" not in caplog.text
        assert "Лампа" not in caplog.text
    finally:
        await bot.stop()


async def test_get_me_answering_garbage_at_start_is_waited_out(
    fake: FakeTelegram,
    town: Town,
    test_database: TestDatabase,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    fake.answer_raw("getMe", kind, times=4)
    bot = fast_retry_bot(fake, town, test_database)
    await bot.start(fake)
    try:
        assert len(fake.calls_of("getMe", ok=False)) == 4
        assert len(outage_warnings(caplog, "getMe")) == 1
        await town.register()
        town.says(town.resident, town.building, "#проблема Лифт стоит")
        await town.reply_in(town.building, "№1 принята", timeout=15)
    finally:
        await bot.stop()
