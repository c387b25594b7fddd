"""Labelled anti-spam examples learned from moderators and imports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables_spam import spam_examples


class SqlSpamRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add_examples(
        self,
        examples: Iterable[tuple[str, bool]],
        *,
        source: str,
        at: datetime,
        actor_id: int | None = None,
    ) -> int:
        rows = [
            {"text": text, "is_spam": is_spam, "source": source, "actor_id": actor_id,
             "created_at": at}
            for text, is_spam in examples
        ]  # fmt: skip
        if rows:
            await self._db.execute(insert(spam_examples), rows)
        return len(rows)

    async def examples(self) -> Sequence[tuple[str, bool]]:
        """Every learned example, oldest first (later decisions override earlier ones)."""
        rows = await self._db.execute(
            select(spam_examples.c.text, spam_examples.c.is_spam).order_by(spam_examples.c.id)
        )
        return [(row.text, bool(row.is_spam)) for row in rows]
