"""aiogram FSM state kept in the database, so a restart does not lose a half-made dialog."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.tables_announcements import fsm_states
from storage.uow import SqlUnitOfWorkFactory


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlStorage(BaseStorage):
    """One row per (chat, user): the state name and the data as JSON.

    A row with neither state nor data is deleted, so finished dialogs leave nothing behind.
    aiogram asks for the state of every update; the keys of open dialogs are kept in memory
    (read once), so an update from someone with no dialog open costs no query. Inside an
    update, reads and writes join the update's transaction.
    """

    def __init__(
        self,
        units: SqlUnitOfWorkFactory | AsyncEngine,
        key_builder: KeyBuilder | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._units = (
            units if isinstance(units, SqlUnitOfWorkFactory) else (SqlUnitOfWorkFactory(units))
        )
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._clock = clock
        self._open: set[str] | None = None

    async def _open_keys(self) -> set[str]:
        if self._open is None:
            async with self._units.reader() as uow:
                rows = await uow.connection.execute(select(fsm_states.c.key))
                self._open = {row.key for row in rows}
        return self._open

    async def _read(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        name = self._keys.build(key)
        if name not in await self._open_keys():
            return None, {}
        async with self._units.reader() as uow:
            row = (
                await uow.connection.execute(
                    select(fsm_states.c.state, fsm_states.c.data).where(fsm_states.c.key == name)
                )
            ).first()
        if row is None:
            return None, {}
        return row.state, dict(row.data or {})

    async def _write(self, key: StorageKey, state: str | None, data: Mapping[str, Any]) -> None:
        name = self._keys.build(key)
        keys = await self._open_keys()
        async with self._units() as uow:
            db = uow.connection
            if state is None and not data:
                await db.execute(delete(fsm_states).where(fsm_states.c.key == name))
                # Forgotten only once gone for good; until then a read just finds no row.
                uow.on_commit(lambda: keys.discard(name))
            else:
                keys.add(name)
                values = {"state": state, "data": dict(data), "updated_at": self._clock()}
                result = await db.execute(
                    update(fsm_states).where(fsm_states.c.key == name).values(values)
                )
                if result.rowcount == 0:
                    await db.execute(insert(fsm_states).values(key=name, **values))
            await uow.commit()

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        _, data = await self._read(key)
        value = state.state if isinstance(state, State) else state
        await self._write(key, value, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._read(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._read(key)
        await self._write(key, state, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._read(key)
        return data

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""
