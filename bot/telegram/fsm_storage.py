"""aiogram FSM state kept in the database, so a restart does not lose a half-made dialog."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey

from bot.services.ports import UnitOfWorkFactory


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlStorage(BaseStorage):
    """aiogram's state storage over the dialog-state repository.

    A dialog that holds neither state nor data is dropped, so finished dialogs leave nothing
    behind. aiogram asks for the state of every update; the keys of open dialogs are kept in
    memory (read once), so an update from someone with no dialog open costs no query. Inside
    an update, reads and writes join the update's transaction.

    `shared`: other processes handle this bot's updates too (webhook mode, where a load
    balancer spreads the calls). A dialog one of them opened is not in this process's keys,
    so every read asks the database; the next step of a dialog begun in another process was
    ignored otherwise.
    """

    def __init__(
        self,
        units: UnitOfWorkFactory,
        key_builder: KeyBuilder | None = None,
        clock: Callable[[], datetime] = _utc_now,
        *,
        shared: bool = False,
    ) -> None:
        self._units = units
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._clock = clock
        self._shared = shared
        self._open: set[str] | None = None

    async def _open_keys(self) -> set[str]:
        if self._open is None:
            async with self._units.reader() as uow:
                self._open = await uow.dialogs.keys()
        return self._open

    async def _read(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        name = self._keys.build(key)
        if not self._shared and name not in await self._open_keys():
            return None, {}
        async with self._units.reader() as uow:
            found = await uow.dialogs.get(name)
        return found if found is not None else (None, {})

    async def _write(self, key: StorageKey, state: str | None, data: Mapping[str, Any]) -> None:
        name = self._keys.build(key)
        keys = await self._open_keys()
        async with self._units() as uow:
            if state is None and not data:
                await uow.dialogs.drop(name)
                # Forgotten only once gone for good; until then a read just finds no row.
                uow.on_commit(lambda: keys.discard(name))
            else:
                keys.add(name)
                await uow.dialogs.put(name, state, data, self._clock())
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
        """The database belongs to the application, which closes it."""
