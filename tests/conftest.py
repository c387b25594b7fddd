"""Shared fixtures: a migrated database of the test's own (SQLite in a temporary folder, or
PostgreSQL when CIVICBOT_TEST_DATABASE_URL names a server: see tests/database.py)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from bot.fake_telegram import FakeTelegram
from storage.uow import SqlUnitOfWorkFactory
from tests.database import (
    NewDatabase,
    TestDatabase,
    drop_templates,
    fresh_database,
    migrated_engine,
    on_postgres,
)
from tests.zygote import close_zygote, fork_xdist_workers, start_shared_zygote

# The suite runs in parallel workers on machines as small as two shared cores: a bot that
# needs longer to answer is slow, not wrong. Waits end on the event, so this costs nothing
# when the answer comes in time.
FakeTelegram.timeout_scale = float(os.environ.get("CIVICBOT_TEST_TIMEOUT_SCALE", "3"))
# For the same reason no property test has a per-example deadline: on a loaded machine one
# slow example is the machine, not the code (speeds are measured under bench/).
settings.register_profile("civicbot", deadline=None)
settings.load_profile("civicbot")


DATABASE_FIXTURES = frozenset({"test_database", "new_database", "uow_factory"})


# Tests that take tens of seconds on a loaded machine (a whole demo day, a drill, several bot
# processes, real interpreters): they are started first, so that the parallel workers share
# them out (with --maxschedchunk 1, pytest-xdist hands the tests out a few at a time) and none
# is left to end the run alone on one worker. Prefixes of node ids, the longest first.
STARTED_FIRST = (
    "tests/test_cli.py::test_demo",
    "tests/test_cli.py::",
    "tests/e2e/test_fault_drill.py::",
    "tests/test_max_cli.py::test_demo_max",
    "tests/test_fuzz_updates.py::",
    "tests/e2e/test_process.py::",
    "tests/test_lean_start.py::",
    "tests/e2e/test_ops_backup.py::",
    "tests/e2e/test_stop_deadline.py::",
    "tests/e2e/test_announcements.py::test_killed_mid_delivery",
    "tests/test_webhook_cli.py::test_run_webhook_without_the_keys",
    "tests/e2e/test_exactly_once.py::",
    "tests/test_config.py::test_cli_exits_2_with_one_line",
    "tests/e2e/test_several_processes.py::",
    "tests/e2e/test_webhook_cluster.py::",
    "tests/e2e/test_announce_schedule_polls.py::",
)


def _start_rank(item: pytest.Item) -> int:
    for rank, prefix in enumerate(STARTED_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(STARTED_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long tests first (STARTED_FIRST). On PostgreSQL, run the tests that use a database
    (through the fixtures above, directly or by way of another fixture) and deselect the rest,
    which the SQLite pass runs anyway."""
    items.sort(key=_start_rank)  # stable: the order of the rest is kept
    if not on_postgres():
        # Deselected, not skipped: the PostgreSQL pass runs them.
        postgres_only = [item for item in items if item.get_closest_marker("postgres_only")]
        if postgres_only:
            config.hook.pytest_deselected(items=postgres_only)
            items[:] = [item for item in items if item not in postgres_only]
        return
    keep: list[pytest.Item] = []
    other: list[pytest.Item] = []
    for item in items:
        uses = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        (keep if uses else other).append(item)
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = keep


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, the controller starts the zygote (tests/zygote.py) and has its
    workers forked from it: one interpreter importing aiogram instead of one per worker, and
    the same zygote forks the bot processes the workers' tests start."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        start_shared_zygote()
        fork_xdist_workers(config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this process's migrated templates (each test drops its own databases) and end the
    zygote it started (tests/zygote.py)."""
    close_zygote()
    asyncio.run(drop_templates())


@pytest.fixture
async def test_database(tmp_path: Path) -> AsyncIterator[TestDatabase]:
    """This test's own migrated database, dropped after the test however it ended."""
    database = await fresh_database(tmp_path, migrated=True)
    try:
        yield database
    finally:
        await database.drop()


@pytest.fixture
async def new_database(tmp_path: Path) -> AsyncIterator[NewDatabase]:
    """More databases for one test (a second installation, an empty one for a first start):
    `await new_database(migrated=False, file_name="other.db")`; all dropped afterwards."""
    made: list[TestDatabase] = []

    async def make(*, migrated: bool = True, file_name: str = "civicbot.db") -> TestDatabase:
        database = await fresh_database(tmp_path, migrated=migrated, file_name=file_name)
        made.append(database)
        return database

    try:
        yield make
    finally:
        for database in made:
            await database.drop()


@pytest.fixture
async def uow_factory(test_database: TestDatabase) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = await migrated_engine(test_database)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()
