"""Shared fixtures: a migrated SQLite database in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from bot.fake_telegram import FakeTelegram
from storage import db
from storage.uow import SqlUnitOfWorkFactory

# The suite runs in parallel workers on machines as small as two shared cores: a bot that
# needs longer to answer is slow, not wrong. Waits end on the event, so this costs nothing
# when the answer comes in time.
FakeTelegram.timeout_scale = float(os.environ.get("CIVICBOT_TEST_TIMEOUT_SCALE", "3"))
# For the same reason no property test has a per-example deadline: on a loaded machine one
# slow example is the machine, not the code (speeds are measured under bench/).
settings.register_profile("civicbot", deadline=None)
settings.load_profile("civicbot")


@pytest.fixture
async def uow_factory(tmp_path: Path) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'civicbot.db'}")
    await db.upgrade(engine)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()
