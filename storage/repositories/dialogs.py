"""Half-made dialogs (an announcement or a poll being composed): a state name and its data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repositories._util import upsert
from storage.tables_announcements import fsm_states


class SqlDialogStateRepository:
    """One row per key; a dialog that holds neither state nor data has no row."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def keys(self) -> set[str]:
        return {row.key for row in await self._db.execute(select(fsm_states.c.key))}

    async def get(self, key: str) -> tuple[str | None, dict[str, Any]] | None:
        row = (
            await self._db.execute(
                select(fsm_states.c.state, fsm_states.c.data).where(fsm_states.c.key == key)
            )
        ).first()
        return None if row is None else (row.state, dict(row.data or {}))

    async def put(
        self, key: str, state: str | None, data: Mapping[str, Any], at: datetime
    ) -> None:
        values = {"state": state, "data": dict(data), "updated_at": at}
        await upsert(self._db, fsm_states, {"key": key}, values)

    async def drop(self, key: str) -> None:
        await self._db.execute(delete(fsm_states).where(fsm_states.c.key == key))
