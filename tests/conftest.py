"""Shared fixtures: a migrated database of the test's own (SQLite in a temporary folder, or
PostgreSQL when CIVICBOT_TEST_DATABASE_URL names a server: see tests/database.py)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from bot.fake_telegram import FakeTelegram
from storage.uow import SqlUnitOfWorkFactory
from tests.database import TestDatabase, fresh_database, migrated_engine

# The suite runs in parallel workers on machines as small as two shared cores: a bot that
# needs longer to answer is slow, not wrong. Waits end on the event, so this costs nothing
# when the answer comes in time.
FakeTelegram.timeout_scale = float(os.environ.get("CIVICBOT_TEST_TIMEOUT_SCALE", "3"))
# For the same reason no property test has a per-example deadline: on a loaded machine one
# slow example is the machine, not the code (speeds are measured under bench/).
settings.register_profile("civicbot", deadline=None)
settings.load_profile("civicbot")


@pytest.fixture
async def test_database(tmp_path: Path) -> AsyncIterator[TestDatabase]:
    """This test's own migrated database."""
    database = await fresh_database(tmp_path, migrated=True)
    yield database
    await database.drop()


@pytest.fixture
async def uow_factory(test_database: TestDatabase) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = await migrated_engine(test_database)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()
