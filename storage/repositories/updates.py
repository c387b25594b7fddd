"""Updates already handled, so a redelivered update is not handled twice.

Keyed by (bot_id, update_id): each bot of an installation numbers its updates on its own.
`bot_id` is the Telegram bot's id, NO_BOT for MAX (its keys lie in a range of their own).
A row with NO_BOT written before the key had a bot counts as every bot's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.quarantine import QuarantinedUpdate
from storage.inline_sqlite import prepared
from storage.repositories._util import dialect_insert, insert_unless_duplicate
from storage.tables import processed_updates, quarantined_updates, webhook_inbox

NO_BOT = 0
"""The bot key of MAX updates, and of rows written before updates were keyed by bot."""


@cache
def _of_bot(table: Table, bot_id: int) -> ColumnElement[bool]:
    """The bot's own rows, and those written before rows had a bot (built once: every update's
    unit of work makes a quarantine repository, and building this costs more than a query)."""
    if bot_id == NO_BOT:
        return table.c.bot_id == NO_BOT
    return table.c.bot_id.in_((bot_id, NO_BOT))


_SEEN = prepared(
    select(processed_updates.c.update_id).where(
        processed_updates.c.update_id == bindparam("update_id"),
        processed_updates.c.bot_id.in_((bindparam("bot_id"), NO_BOT)),
    )
)
# Built once per dialect: building a statement costs more than running this one.
_CLAIM: dict[str, Any] = {}


class SqlProcessedUpdates:
    def __init__(self, connection: AsyncConnection, bots: Mapping[str, int] | None = None) -> None:
        self._db = connection
        # Only Telegram's updates are set aside (the quarantine is the Telegram poller's).
        self.quarantine = SqlQuarantine(connection, (bots or {}).get("telegram", NO_BOT))
        self.inbox = SqlWebhookInbox(connection)

    async def seen(self, bot_id: int, update_id: int) -> bool:
        params = {"bot_id": bot_id, "update_id": update_id}
        return (await self._db.execute(_SEEN, params)).first() is not None

    async def mark(self, bot_id: int, update_id: int, at: datetime) -> bool:
        """Record the update; False if it was recorded before."""
        statement = insert(processed_updates).values(
            bot_id=bot_id, update_id=update_id, processed_at=at
        )
        return await insert_unless_duplicate(self._db, statement) is not None

    async def claim(self, bot_id: int, update_id: int, at: datetime) -> bool:
        """Record the update first thing in its transaction; False if it was recorded before."""
        statement = _CLAIM.get(self._db.dialect.name)
        if statement is None:
            statement = prepared(
                dialect_insert(self._db, processed_updates).on_conflict_do_nothing()
            )
            _CLAIM[self._db.dialect.name] = statement
        params = {"bot_id": bot_id, "update_id": update_id, "processed_at": at}
        return (await self._db.execute(statement, params)).rowcount == 1

    async def forget_before(self, moment: datetime) -> int:
        result = await self._db.execute(
            delete(processed_updates).where(processed_updates.c.processed_at < moment)
        )
        return result.rowcount


class SqlQuarantine:
    """Updates that could not be parsed (storage side of bot.services.quarantine): those of
    the unit's Telegram bot."""

    def __init__(self, connection: AsyncConnection, bot_id: int) -> None:
        self._db = connection
        self._bot_id = bot_id
        self._mine = _of_bot(quarantined_updates, bot_id)

    async def add(self, update_id: int, kind: str, error: str, payload: str, at: datetime) -> bool:
        """Set the update aside; False if it was set aside before."""
        statement = insert(quarantined_updates).values(
            bot_id=self._bot_id,
            update_id=update_id,
            kind=kind,
            error=error,
            payload=payload,
            quarantined_at=at,
        )
        return await insert_unless_duplicate(self._db, statement) is not None

    async def noticed_since(self, moment: datetime) -> bool:
        """Were the admins told about a quarantined update after `moment`?"""
        query = select(quarantined_updates.c.update_id).where(
            quarantined_updates.c.noticed.is_(True),
            quarantined_updates.c.quarantined_at > moment,
            self._mine,
        )
        return (await self._db.execute(query.limit(1))).first() is not None

    async def mark_noticed(self, update_id: int) -> None:
        await self._db.execute(
            update(quarantined_updates)
            .where(quarantined_updates.c.update_id == update_id, self._mine)
            .values(noticed=True)
        )

    async def listed(self) -> list[QuarantinedUpdate]:
        rows = await self._db.execute(
            select(
                quarantined_updates.c.update_id,
                quarantined_updates.c.kind,
                quarantined_updates.c.error,
                quarantined_updates.c.quarantined_at,
                quarantined_updates.c.replayed_at,
            )
            .where(self._mine)
            .order_by(quarantined_updates.c.update_id)
        )
        return [QuarantinedUpdate(*row) for row in rows]

    async def payload(self, update_id: int) -> str | None:
        query = select(quarantined_updates.c.payload).where(
            quarantined_updates.c.update_id == update_id, self._mine
        )
        return (await self._db.execute(query)).scalar_one_or_none()

    async def mark_replayed(self, update_id: int, at: datetime) -> None:
        await self._db.execute(
            update(quarantined_updates)
            .where(quarantined_updates.c.update_id == update_id, self._mine)
            .values(replayed_at=at)
        )


class SqlWebhookInbox:
    """Updates received on the webhook and not yet handled (bot.telegram.webhook)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, bot_id: int, update_id: int, payload: str, at: datetime) -> bool:
        """Keep the bot's raw update; False if it is waiting already."""
        statement = dialect_insert(self._db, webhook_inbox).on_conflict_do_nothing()
        params = {"bot_id": bot_id, "update_id": update_id, "payload": payload, "received_at": at}
        return (await self._db.execute(statement, params)).rowcount == 1

    async def claim_next(
        self, bot_id: int, now: datetime, until: datetime
    ) -> tuple[int, str] | None:
        """The bot's oldest update nobody holds, held until `until`; None if none waits.
        Another bot's updates are left to a process started with its token.

        The hold is re-checked on the row itself, so of two processes that chose the same
        update one gets it and the other none (PostgreSQL re-reads a row it waited for)."""
        free = or_(webhook_inbox.c.claimed_until.is_(None), webhook_inbox.c.claimed_until <= now)
        free = free & _of_bot(webhook_inbox, bot_id)
        oldest = select(func.min(webhook_inbox.c.update_id)).where(free).scalar_subquery()
        statement = (
            update(webhook_inbox)
            .where(webhook_inbox.c.update_id == oldest, free)
            .values(claimed_until=until)
            .returning(webhook_inbox.c.update_id, webhook_inbox.c.payload)
        )
        row = (await self._db.execute(statement)).first()
        return None if row is None else (int(row[0]), str(row[1]))

    async def hold(self, bot_id: int, update_id: int, until: datetime) -> None:
        """Renew the hold on an update being handled."""
        await self._db.execute(
            update(webhook_inbox)
            .where(webhook_inbox.c.update_id == update_id, _of_bot(webhook_inbox, bot_id))
            .values(claimed_until=until)
        )

    async def remove(self, bot_id: int, update_id: int) -> None:
        await self._db.execute(
            delete(webhook_inbox).where(
                webhook_inbox.c.update_id == update_id, _of_bot(webhook_inbox, bot_id)
            )
        )

    async def waiting(self) -> int:
        query = select(func.count()).select_from(webhook_inbox)
        return int((await self._db.execute(query)).scalar_one())
