"""Messages the bot sent that matter later: acknowledgements, staff cards, prompts."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.outgoing import MessageRef, RefKind
from storage.repositories._util import insert_unless_duplicate, move_chat_rows
from storage.tables import sent_messages


class SqlMessageRefRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def find(self, chat_id: int, message_id: int) -> MessageRef | None:
        row = (
            await self._db.execute(
                select(sent_messages.c.kind, sent_messages.c.ref_id).where(
                    sent_messages.c.chat_id == chat_id, sent_messages.c.message_id == message_id
                )
            )
        ).first()
        return MessageRef(RefKind(row.kind), row.ref_id) if row else None

    async def locate(self, ref: MessageRef) -> tuple[int, int] | None:
        row = (
            await self._db.execute(
                select(sent_messages.c.chat_id, sent_messages.c.message_id)
                .where(
                    sent_messages.c.kind == ref.kind.value, sent_messages.c.ref_id == ref.ref_id
                )
                .order_by(sent_messages.c.message_id.desc())
                .limit(1)
            )
        ).first()
        return (row.chat_id, row.message_id) if row else None

    async def forget(self, ref: MessageRef) -> int:
        """Drop every message recorded as `ref` (a card handed over to another chat)."""
        result = await self._db.execute(
            delete(sent_messages).where(
                sent_messages.c.kind == ref.kind.value, sent_messages.c.ref_id == ref.ref_id
            )
        )
        return result.rowcount

    async def record(self, chat_id: int, message_id: int, ref: MessageRef) -> None:
        values = {
            "chat_id": chat_id,
            "message_id": message_id,
            "kind": ref.kind.value,
            "ref_id": ref.ref_id,
        }
        await insert_unless_duplicate(self._db, insert(sent_messages).values(values))

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return await move_chat_rows(
            self._db, sent_messages, sent_messages.c.message_id, old_chat_id, new_chat_id
        )
