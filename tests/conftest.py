"""Shared fixtures: a migrated SQLite database in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import db
from storage.uow import SqlUnitOfWorkFactory


@pytest.fixture
async def uow_factory(tmp_path: Path) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'civicbot.db'}")
    await db.upgrade(engine)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()
