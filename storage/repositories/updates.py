"""Telegram updates already handled, so a redelivered update is not handled twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repositories._util import dialect_insert, insert_unless_duplicate
from storage.tables import processed_updates

_SEEN = select(processed_updates.c.update_id).where(
    processed_updates.c.update_id == bindparam("update_id")
)
# Built once per dialect: building a statement costs more than running this one.
_CLAIM: dict[str, Any] = {}


class SqlProcessedUpdates:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def seen(self, update_id: int) -> bool:
        return (await self._db.execute(_SEEN, {"update_id": update_id})).first() is not None

    async def mark(self, update_id: int, at: datetime) -> bool:
        """Record the update; False if it was recorded before."""
        statement = insert(processed_updates).values(update_id=update_id, processed_at=at)
        return await insert_unless_duplicate(self._db, statement) is not None

    async def claim(self, update_id: int, at: datetime) -> bool:
        """Record the update first thing in its transaction; False if it was recorded before."""
        statement = _CLAIM.get(self._db.dialect.name)
        if statement is None:
            statement = dialect_insert(self._db, processed_updates).on_conflict_do_nothing()
            _CLAIM[self._db.dialect.name] = statement
        params = {"update_id": update_id, "processed_at": at}
        return (await self._db.execute(statement, params)).rowcount == 1

    async def forget_before(self, moment: datetime) -> int:
        result = await self._db.execute(
            delete(processed_updates).where(processed_updates.c.processed_at < moment)
        )
        return result.rowcount
