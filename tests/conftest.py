"""Shared fixtures: a migrated SQLite database in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fake_telegram import FakeTelegram
from storage import db
from storage.uow import SqlUnitOfWorkFactory

# The suite runs in parallel workers on machines as small as two shared cores: a bot that
# needs longer to answer is slow, not wrong. Waits end on the event, so this costs nothing
# when the answer comes in time.
FakeTelegram.timeout_scale = float(os.environ.get("CIVICBOT_TEST_TIMEOUT_SCALE", "3"))


@pytest.fixture
async def uow_factory(tmp_path: Path) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'civicbot.db'}")
    await db.upgrade(engine)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()
