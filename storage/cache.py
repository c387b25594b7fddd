"""What nearly every update reads and hardly any changes: registrations, moderation overrides,
specialist grants and the links between a person's accounts on two messengers, kept in memory
beside the database.

The repositories read through the cache and clear it whenever they write one of these tables,
so the commands that change them (register, unregister, settings, grant, revoke, a chat
migration) invalidate it by construction. A unit that has written such a table reads the
database directly until it ends (it must see its own uncommitted rows, and must not publish
them to the cache), and clears the cache again when it commits or rolls back. A reader that
began before a write's clear (the generation moved since its transaction began) does not
store what it read, since its snapshot may predate the write. Entries
also expire after `ttl` seconds, which bounds how stale another process's change can look.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.domain.models import RegisteredChat


@dataclass(frozen=True, slots=True)
class Links:
    """Every link between a Telegram and a MAX account, both ways."""

    max_of: dict[int, int]
    telegram_of: dict[int, int]


@dataclass
class UnitState:
    """Per unit of work: has it written a cached table?"""

    dirty: bool = False
    # The cache's generation when the unit's transaction began. What the unit reads may be
    # stored only while the cache is still at it: a unit that began before a change was
    # committed can read the old rows (its snapshot) long after the change cleared the cache.
    generation: int = 0


@dataclass
class ReadCache:
    ttl: float = 60.0
    clock: Callable[[], float] = time.monotonic
    generation: int = 0
    _chats: tuple[RegisteredChat, ...] | None = None
    _specialists: frozenset[int] | None = None
    _links: Links | None = None
    _overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    _loaded_at: float = 0.0

    def clear(self) -> None:
        """A write: drop everything, and refuse what units that began before it read."""
        self.generation += 1
        self._drop()

    def _drop(self) -> None:
        self._chats = None
        self._specialists = None
        self._links = None
        self._overrides = {}

    def _expire(self) -> None:
        # Expiry bounds how long another process's change can go unseen; it is no write of
        # this process, so units already running may still store what they read.
        now = self.clock()
        if now - self._loaded_at > self.ttl:
            self._drop()
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

    def links(self) -> Links | None:
        self._expire()
        return self._links

    def store_links(self, generation: int, value: Links) -> None:
        if generation == self.generation:
            self._links = value

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
