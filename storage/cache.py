"""What nearly every update reads and hardly any changes: registrations, moderation overrides
and specialist grants, kept in memory beside the database.

The repositories read through the cache and clear it whenever they write one of these tables,
so the commands that change them (register, unregister, settings, grant, revoke, a chat
migration) invalidate it by construction. A unit that has written such a table reads the
database directly until it ends (it must see its own uncommitted rows, and must not publish
them to the cache), and clears the cache again when it commits or rolls back. A reader that
raced a write (the generation moved while it queried) does not store what it read. Entries
also expire after `ttl` seconds, which bounds how stale another process's change can look.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.domain.models import RegisteredChat


@dataclass
class UnitState:
    """Per unit of work: has it written a cached table?"""

    dirty: bool = False


@dataclass
class ReadCache:
    ttl: float = 60.0
    clock: Callable[[], float] = time.monotonic
    generation: int = 0
    _chats: tuple[RegisteredChat, ...] | None = None
    _specialists: frozenset[int] | None = None
    _overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    _loaded_at: float = 0.0

    def clear(self) -> None:
        self.generation += 1
        self._chats = None
        self._specialists = None
        self._overrides = {}

    def _expire(self) -> None:
        now = self.clock()
        if now - self._loaded_at > self.ttl:
            self.clear()
            self._loaded_at = now

    def chats(self) -> tuple[RegisteredChat, ...] | None:
        self._expire()
        return self._chats

    def store_chats(self, generation: int, value: tuple[RegisteredChat, ...]) -> None:
        if generation == self.generation:
            self._chats = value

    def specialists(self) -> frozenset[int] | None:
        self._expire()
        return self._specialists

    def store_specialists(self, generation: int, value: frozenset[int]) -> None:
        if generation == self.generation:
            self._specialists = value

    def overrides(self, chat_id: int) -> dict[str, Any] | None:
        self._expire()
        found = self._overrides.get(chat_id)
        return dict(found) if found is not None else None

    def store_overrides(self, generation: int, chat_id: int, value: dict[str, Any]) -> None:
        if generation == self.generation:
            self._overrides[chat_id] = dict(value)


class Cached:
    """Base of a repository that reads through the cache."""

    def __init__(self, cache: ReadCache | None, unit: UnitState | None) -> None:
        self._cache = cache
        self._unit = unit or UnitState()

    def _usable(self) -> ReadCache | None:
        """The cache, unless this unit has uncommitted changes to cached tables."""
        return None if self._unit.dirty else self._cache

    def _changed(self) -> None:
        self._unit.dirty = True
        if self._cache is not None:
            self._cache.clear()
