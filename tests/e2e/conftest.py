"""Fixtures: a running Bot API double, a town in it, and the bot against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.fake_telegram import FakeTelegram
from tests.database import TestDatabase
from tests.e2e import harness
from tests.e2e.harness import TOKEN, InProcessBot, Town, make_settings


@pytest.fixture(autouse=True)
async def _no_bot_outlives_its_test() -> AsyncIterator[None]:
    """Whatever path a test leaves by (an assertion, a timeout, a cancellation), every bot
    it started is ended before the next test, so none keeps polling a port or a database."""
    yield
    await harness.cleanup()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        try:
            yield server
        finally:  # the bots first, while the double still answers them
            await harness.cleanup()


@pytest.fixture
def town(fake: FakeTelegram) -> Town:
    return Town.create(fake)


@pytest.fixture
async def running(
    fake: FakeTelegram, town: Town, test_database: TestDatabase
) -> AsyncIterator[InProcessBot]:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    yield bot
    await bot.stop()
