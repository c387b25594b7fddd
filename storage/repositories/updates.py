"""Telegram updates already handled, so a redelivered update is not handled twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repositories._util import dialect_insert, insert_unless_duplicate
from storage.tables import processed_updates


class SqlProcessedUpdates:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def seen(self, update_id: int) -> bool:
        query = select(processed_updates.c.update_id).where(
            processed_updates.c.update_id == update_id
        )
        return (await self._db.execute(query)).first() is not None

    async def mark(self, update_id: int, at: datetime) -> bool:
        """Record the update; False if it was recorded before."""
        statement = insert(processed_updates).values(update_id=update_id, processed_at=at)
        return await insert_unless_duplicate(self._db, statement) is not None

    async def claim(self, update_id: int, at: datetime) -> bool:
        """Record the update first thing in its transaction; False if it was recorded before."""
        statement = (
            dialect_insert(self._db, processed_updates)
            .values(update_id=update_id, processed_at=at)
            .on_conflict_do_nothing()
        )
        return (await self._db.execute(statement)).rowcount == 1

    async def forget_before(self, moment: datetime) -> int:
        result = await self._db.execute(
            delete(processed_updates).where(processed_updates.c.processed_at < moment)
        )
        return result.rowcount
