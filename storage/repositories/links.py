"""Links between a person's accounts on the two messengers, and `/link`'s one-time codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.messengers import is_max_user
from storage.cache import Cached, Links, ReadCache, UnitState
from storage.repositories._util import dialect_insert
from storage.tables_links import link_codes, person_links

LINK_ATTEMPTS = 10  # each repeat needs another process to have linked one of the two meanwhile


class SqlLinkRepository(Cached):
    """Links are read on every update (a linked account shares its role), so `linked` is
    served from the cached table; `link` clears the cache."""

    def __init__(
        self,
        connection: AsyncConnection,
        cache: ReadCache | None = None,
        unit: UnitState | None = None,
    ) -> None:
        super().__init__(cache, unit)
        self._db = connection

    async def add_code(self, code: str, user_id: int, expires_at: datetime) -> None:
        """A new code for `user_id`; their earlier codes (and a live one it repeats) go."""
        await self._db.execute(
            delete(link_codes).where(
                or_(link_codes.c.user_id == user_id, link_codes.c.code == code)
            )
        )
        await self._db.execute(
            insert(link_codes).values(code=code, user_id=user_id, expires_at=expires_at)
        )

    async def take_code(self, code: str, now: datetime) -> int | None:
        """The user a live code was given to; the code is used up (expired ones go too)."""
        await self._db.execute(delete(link_codes).where(link_codes.c.expires_at <= now))
        # Taken by one DELETE … RETURNING: of two sessions entering one code at once, one
        # gets it (a read and a later delete let both use it).
        row = (
            await self._db.execute(
                delete(link_codes).where(link_codes.c.code == code).returning(link_codes.c.user_id)
            )
        ).first()
        return None if row is None else int(row.user_id)

    async def link(self, telegram_id: int, max_id: int, at: datetime) -> None:
        """Link the two accounts, replacing any earlier link of either.

        The insert skips a row another process committed meanwhile (ON CONFLICT DO NOTHING on
        either unique key, waiting for it if uncommitted); the earlier links are then removed
        again and the insert repeated, so the last of two links at once holds and neither
        fails with a unique-key error, as a delete followed by a plain insert did."""
        self._changed()
        earlier = or_(person_links.c.telegram_id == telegram_id, person_links.c.max_id == max_id)
        statement = (
            dialect_insert(self._db, person_links)
            .values(telegram_id=telegram_id, max_id=max_id, linked_at=at)
            .on_conflict_do_nothing()
        )
        for _ in range(LINK_ATTEMPTS):
            await self._db.execute(delete(person_links).where(earlier))
            if (await self._db.execute(statement)).rowcount == 1:
                return
        raise RuntimeError(
            f"linking {telegram_id} and {max_id} met a new link {LINK_ATTEMPTS} times"
        )

    async def linked(self, user_id: int) -> int | None:
        """The same person's id on the other messenger, if they linked their accounts."""
        cache = self._usable()
        if cache is not None:
            links = cache.links()
            if links is None:
                generation = self._unit.generation
                rows = (
                    await self._db.execute(
                        select(person_links.c.telegram_id, person_links.c.max_id)
                    )
                ).all()
                links = Links(
                    max_of={row.telegram_id: row.max_id for row in rows},
                    telegram_of={row.max_id: row.telegram_id for row in rows},
                )
                cache.store_links(generation, links)
            found = links.telegram_of if is_max_user(user_id) else links.max_of
            return found.get(user_id)
        if is_max_user(user_id):
            query = select(person_links.c.telegram_id).where(person_links.c.max_id == user_id)
        else:
            query = select(person_links.c.max_id).where(person_links.c.telegram_id == user_id)
        return await self._db.scalar(query)
