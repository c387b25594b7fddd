"""Registered chats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import ChatKind, ChatPlace, RegisteredChat
from storage.cache import Cached, ReadCache, UnitState
from storage.repositories._util import move_chat_rows, upsert
from storage.tables import chats


def _chat_from_row(row: Row[Any]) -> RegisteredChat:
    return RegisteredChat(
        place=ChatPlace(row.chat_id, row.thread_id),
        kind=ChatKind(row.kind),
        name=row.name,
        registered_by=row.registered_by,
        registered_at=row.registered_at,
        active=bool(row.active),
        org=row.org,
        department=row.department,
        category=row.category,
    )


def _at(place: ChatPlace) -> Any:
    return (chats.c.chat_id == place.chat_id) & (chats.c.thread_id == place.thread_id)


class SqlChatRepository(Cached):
    """Registered chats; reads are served from the cache of all registrations when it is warm.

    A town has hundreds of chats at most, so the whole table is one cache entry.
    """

    def __init__(
        self,
        connection: AsyncConnection,
        cache: ReadCache | None = None,
        unit: UnitState | None = None,
    ) -> None:
        super().__init__(cache, unit)
        self._db = connection

    async def cached_all(self) -> tuple[RegisteredChat, ...] | None:
        """Every registration in id order, from the cache (loading it), or None without one."""
        cache = self._usable()
        if cache is None:
            return None
        found = cache.chats()
        if found is None:
            generation = self._unit.generation
            rows = await self._db.execute(select(chats).order_by(chats.c.id))
            found = tuple(_chat_from_row(row) for row in rows)
            cache.store_chats(generation, found)
        return found

    async def get(self, place: ChatPlace, *, for_update: bool = False) -> RegisteredChat | None:
        """The registration; `for_update` reads the row itself, not the cache, and locks it
        until the unit ends, so two changes of one chat at once (/setdept and /setcategory)
        take turns instead of the second's `save` undoing the first."""
        every = None if for_update else await self.cached_all()
        if every is not None:
            return next((chat for chat in every if chat.place == place), None)
        query = select(chats).where(_at(place))
        if for_update:
            query = query.with_for_update()
        row = (await self._db.execute(query)).first()
        return _chat_from_row(row) if row else None

    async def save(self, chat: RegisteredChat) -> None:
        values = {
            "kind": chat.kind.value,
            "name": chat.name,
            "org": chat.org,
            "department": chat.department,
            "category": chat.category,
            "active": chat.active,
            "registered_by": chat.registered_by,
            "registered_at": chat.registered_at,
        }
        self._changed()
        key = {"chat_id": chat.place.chat_id, "thread_id": chat.place.thread_id}
        await upsert(self._db, chats, key, values)

    async def delete(self, place: ChatPlace) -> bool:
        self._changed()
        result = await self._db.execute(delete(chats).where(_at(place)))
        return result.rowcount > 0

    async def by_kind(self, kind: ChatKind) -> Sequence[RegisteredChat]:
        every = await self.cached_all()
        if every is not None:
            return [chat for chat in every if chat.kind is kind]
        rows = await self._db.execute(
            select(chats).where(chats.c.kind == kind.value).order_by(chats.c.id)
        )
        return [_chat_from_row(row) for row in rows]

    async def all(self) -> Sequence[RegisteredChat]:
        every = await self.cached_all()
        if every is not None:
            return list(every)
        rows = await self._db.execute(select(chats).order_by(chats.c.id))
        return [_chat_from_row(row) for row in rows]

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        self._changed()
        return await move_chat_rows(self._db, chats, chats.c.thread_id, old_chat_id, new_chat_id)
