"""The «Объявления» sheet of the export: who sent what, where, when, and what happened in each
chat. One row per announcement and target chat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from bot.services.reporting.sheet import Cell, ExportContext
from bot.texts import reports as t
from bot.texts.format import plain


def announcement_row(row: Mapping[str, Any]) -> tuple[Cell, ...]:
    status = row.get("status") or "pending"
    result = row.get("result") or {}
    pinned = result.get("pinned")
    return (
        row["id"],
        row["author_name"],
        plain(row["text"]),
        t.MEDIA_NAMES.get(row.get("media_kind") or "", ""),
        row["created_at"],
        row.get("scheduled_at") or row["created_at"],
        t.YES if row.get("pin") else t.NO,
        row["chat_name"],
        t.DELIVERY_NAMES.get(status, status),
        row.get("sent_at"),
        "" if pinned is None else (t.YES if pinned else t.NO),
        row.get("last_error") if status == "failed" else result.get("pin_error", ""),
        row.get("edited_at"),
        row.get("deleted_at"),
    )


class AnnouncementsSheet:
    """Announcements created in the period, one row per target chat."""

    title: str = t.SHEET_ANNOUNCEMENTS
    slug: str = "announcements"
    columns: tuple[str, ...] = t.ANNOUNCEMENT_COLUMNS

    async def count(self, ctx: ExportContext) -> int:
        return len(await self._log(ctx))

    async def rows(self, ctx: ExportContext) -> AsyncIterator[Sequence[Cell]]:
        for row in await self._log(ctx):
            yield announcement_row(row)

    async def _log(self, ctx: ExportContext) -> Sequence[Mapping[str, Any]]:
        async with ctx.uow_factory.reader() as uow:
            return await uow.announcements.log(ctx.start, ctx.end)
