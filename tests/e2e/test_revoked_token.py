"""A token revoked while the bot runs is the one getUpdates failure that stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.fake_telegram import FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot, Town, make_settings


async def test_a_revoked_token_stops_polling_with_a_config_error(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        telegram={"retry_backoff": 0.05, "retry_backoff_cap": 0.2},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    fake.fail_next("getUpdates", 409, times=2)  # a second instance: waited out
    fake.fail_next("getUpdates", 502, times=2)
    await fake.wait_for(lambda: len(fake.calls_of("getUpdates", ok=False)) >= 4)
    fake.fail_next("getUpdates", 401)
    assert bot._task is not None
    with pytest.raises(ConfigError, match="401"):
        await bot._task
