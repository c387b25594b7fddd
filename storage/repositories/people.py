"""Users the bot has seen, and specialist grants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import Person
from storage.cache import Cached, ReadCache, UnitState
from storage.inline_sqlite import prepared
from storage.repositories._util import dialect_insert
from storage.tables import specialist_grants, users

# Built once per (dialect, started): every tagged message remembers its author.
_REMEMBER: dict[tuple[str, bool], Any] = {}


class SqlUserRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def remember(self, person: Person, at: datetime, *, started: bool = False) -> None:
        key = (self._db.dialect.name, started)
        statement = _REMEMBER.get(key)
        if statement is None:
            insert_ = dialect_insert(self._db, users)
            kept = ("name", "username", "updated_at", *(("started_bot",) if started else ()))
            statement = prepared(
                insert_.on_conflict_do_update(
                    index_elements=[users.c.user_id],
                    set_={name: insert_.excluded[name] for name in kept},
                )
            )
            _REMEMBER[key] = statement
        params = {
            "user_id": person.user_id,
            "name": person.name,
            "username": person.username,
            "started_bot": started,
            "updated_at": at,
        }
        await self._db.execute(statement, params)

    async def has_started(self, user_id: int) -> bool:
        query = select(users.c.started_bot).where(users.c.user_id == user_id)
        return bool((await self._db.execute(query)).scalar())

    async def set_phone(self, user_id: int, phone: str | None, at: datetime | None) -> bool:
        """Keep (or, with None, forget) the user's phone; False if the user is unknown or had
        no phone to forget."""
        query = update(users).where(users.c.user_id == user_id)
        if phone is None:
            query = query.where(users.c.phone.is_not(None))
        result = await self._db.execute(query.values(phone=phone, phone_consent_at=at))
        return bool(result.rowcount)

    async def phone(self, user_id: int) -> str | None:
        query = select(users.c.phone).where(users.c.user_id == user_id)
        value = (await self._db.execute(query)).scalar()
        return str(value) if value else None


class SqlRoleRepository(Cached):
    """Specialist grants; `is_specialist` is served from the cached set of granted ids."""

    def __init__(
        self,
        connection: AsyncConnection,
        cache: ReadCache | None = None,
        unit: UnitState | None = None,
    ) -> None:
        super().__init__(cache, unit)
        self._db = connection

    async def granted_specialists(self) -> Sequence[Person]:
        rows = await self._db.execute(
            select(specialist_grants.c.user_id, users.c.name)
            .select_from(
                specialist_grants.outerjoin(users, users.c.user_id == specialist_grants.c.user_id)
            )
            .order_by(specialist_grants.c.user_id)
        )
        return [Person(row.user_id, row.name or str(row.user_id)) for row in rows]

    async def is_specialist(self, user_id: int) -> bool:
        cache = self._usable()
        if cache is not None:
            granted = cache.specialists()
            if granted is None:
                generation = self._unit.generation
                rows = await self._db.execute(select(specialist_grants.c.user_id))
                granted = frozenset(row.user_id for row in rows)
                cache.store_specialists(generation, granted)
            return user_id in granted
        query = select(specialist_grants.c.user_id).where(specialist_grants.c.user_id == user_id)
        return (await self._db.execute(query)).first() is not None

    async def grant_specialist(
        self, person: Person, by: int, at: datetime, department: str | None = None
    ) -> bool:
        """Grant (or move to `department`); False if the person already had exactly this."""
        self._changed()
        insert_ = dialect_insert(self._db, specialist_grants).values(
            user_id=person.user_id, granted_by=by, granted_at=at, department=department
        )
        # One statement, so two grants at once cannot both find no row and collide.
        statement = insert_.on_conflict_do_update(
            index_elements=[specialist_grants.c.user_id],
            set_={"department": department, "granted_by": by, "granted_at": at},
            where=specialist_grants.c.department.is_distinct_from(department),
        ).returning(specialist_grants.c.user_id)
        return (await self._db.execute(statement)).first() is not None

    async def department_of(self, user_id: int) -> str | None:
        """The department a granted specialist works for (None: the whole administration)."""
        query = select(specialist_grants.c.department).where(
            specialist_grants.c.user_id == user_id
        )
        value = (await self._db.execute(query)).scalar()
        return str(value) if value else None

    async def revoke_specialist(self, user_id: int) -> bool:
        self._changed()
        result = await self._db.execute(
            delete(specialist_grants).where(specialist_grants.c.user_id == user_id)
        )
        return result.rowcount > 0
