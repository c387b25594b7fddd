"""Fixtures: a running Bot API double, a town in it, and the bot against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fake_telegram import FakeTelegram
from tests.e2e.harness import TOKEN, InProcessBot, Town, make_settings


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
def town(fake: FakeTelegram) -> Town:
    return Town.create(fake)


@pytest.fixture
async def running(fake: FakeTelegram, town: Town, tmp_path: Path) -> AsyncIterator[InProcessBot]:
    settings = make_settings(
        fake,
        tmp_path / "data" / "civicbot.db",
        admins=[town.admin.id],
        specialists=[town.specialist.id],
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    yield bot
    await bot.stop()
