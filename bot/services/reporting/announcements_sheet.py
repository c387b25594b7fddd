"""The «Объявления» sheet of the export: who sent what, where, when, and what happened in each
chat. One row per announcement and target chat."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from bot.services.reporting.sheet import Cell, ExportContext

_DELIVERY = {
    "sent": "доставлено",
    "failed": "не доставлено",
    "cancelled": "отменено",
    "pending": "в очереди",
    "sending": "отправляется",
}
_MEDIA = {"photo": "фото", "document": "документ"}


def _plain(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def announcement_row(row: Mapping[str, Any]) -> tuple[Cell, ...]:
    status = row.get("status") or "pending"
    result = row.get("result") or {}
    pinned = result.get("pinned")
    return (
        row["id"],
        row["author_name"],
        _plain(row["text"]),
        _MEDIA.get(row.get("media_kind") or "", ""),
        row["created_at"],
        row.get("scheduled_at") or row["created_at"],
        "да" if row.get("pin") else "нет",
        row["chat_name"],
        _DELIVERY.get(status, status),
        row.get("sent_at"),
        "" if pinned is None else ("да" if pinned else "нет"),
        row.get("last_error") if status == "failed" else result.get("pin_error", ""),
        row.get("edited_at"),
        row.get("deleted_at"),
    )


class AnnouncementsSheet:
    """Announcements created in the period, one row per target chat."""

    title: str = "Объявления"
    slug: str = "announcements"
    columns: tuple[str, ...] = (
        "№",
        "Автор",
        "Текст",
        "Вложение",
        "Создано",
        "Время отправки",
        "Закрепить",
        "Чат",
        "Доставка",
        "Доставлено в",
        "Закреплено",
        "Причина",
        "Изменено",
        "Удалено",
    )

    async def count(self, ctx: ExportContext) -> int:
        return len(await self._log(ctx))

    async def rows(self, ctx: ExportContext) -> AsyncIterator[Sequence[Cell]]:
        for row in await self._log(ctx):
            yield announcement_row(row)

    async def _log(self, ctx: ExportContext) -> Sequence[Mapping[str, Any]]:
        async with ctx.uow_factory.reader() as uow:
            return await uow.announcements.log(ctx.start, ctx.end)
