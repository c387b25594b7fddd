"""Leases: one process of the installation at a time does a named piece of work.

Taking and renewing are one statement, `INSERT … ON CONFLICT (name) DO UPDATE … WHERE`: the
row is written only if it is new, already this holder's, or run out. PostgreSQL locks the
conflicting row and checks the condition on its latest version, and SQLite runs writers one
after another, so of two processes asking at once exactly one gets the lease.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.leases import LeaseHolder
from storage.repositories._util import dialect_insert
from storage.tables import leases


class SqlLeaseRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the lease, or renew it if `holder` has it; False if another holds it still."""
        statement: Any = dialect_insert(self._db, leases).values(
            name=name, holder=holder, expires_at=until
        )
        statement = statement.on_conflict_do_update(
            index_elements=[leases.c.name],
            set_={"holder": holder, "expires_at": until},
            where=or_(leases.c.holder == holder, leases.c.expires_at < now),
        )
        return (await self._db.execute(statement)).rowcount == 1

    async def take_from(self, name: str, dead: str, holder: str, until: datetime) -> bool:
        """Take the lease of a holder known to be dead (a process of this host that is gone),
        unless someone else has taken it meanwhile."""
        result = await self._db.execute(
            update(leases)
            .where(leases.c.name == name, leases.c.holder == dead)
            .values(holder=holder, expires_at=until)
        )
        return result.rowcount == 1

    async def release(self, name: str, holder: str) -> bool:
        """Give the lease up at once (a clean stop), if `holder` still has it."""
        result = await self._db.execute(
            delete(leases).where(leases.c.name == name, leases.c.holder == holder)
        )
        return result.rowcount == 1

    async def expire(self, name: str, holder: str, at: datetime) -> None:
        """Cut `holder`'s lease short to `at` (for tools and tests)."""
        await self._db.execute(
            update(leases)
            .where(leases.c.name == name, leases.c.holder == holder)
            .values(expires_at=at)
        )

    async def holder(self, name: str) -> LeaseHolder | None:
        row = (
            await self._db.execute(
                select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name)
            )
        ).first()
        return LeaseHolder(row.holder, row.expires_at) if row is not None else None
