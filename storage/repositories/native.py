"""What a messenger adapter keeps beside the core's ids: the native id of a message (MAX names
messages by a string `mid`) and where its long polling resumes (MAX's `marker`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repositories._util import upsert
from storage.tables import native_messages, update_markers


class SqlNativeRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def record_message(self, chat_id: int, message_id: int, native_id: str) -> None:
        key = {"chat_id": chat_id, "message_id": message_id}
        await upsert(self._db, native_messages, key, {"native_id": native_id})

    async def native_message(self, chat_id: int, message_id: int) -> str | None:
        row = (
            await self._db.execute(
                select(native_messages.c.native_id).where(
                    native_messages.c.chat_id == chat_id,
                    native_messages.c.message_id == message_id,
                )
            )
        ).first()
        return None if row is None else str(row.native_id)

    async def marker(self, messenger: str) -> int | None:
        row = (
            await self._db.execute(
                select(update_markers.c.marker).where(update_markers.c.messenger == messenger)
            )
        ).first()
        return None if row is None else int(row.marker)

    async def set_marker(self, messenger: str, marker: int, at: datetime) -> None:
        values = {"marker": marker, "updated_at": at}
        await upsert(self._db, update_markers, {"messenger": messenger}, values)
