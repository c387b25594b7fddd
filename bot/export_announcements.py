"""The "Объявления" sheet of `civicbot export` / `/export`: who sent what, where, when, and
what happened in each chat. One row per announcement and target chat."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.ports import UnitOfWorkFactory

SHEET_TITLE = "Объявления"
HEADERS = (
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
_DELIVERY = {
    "sent": "доставлено",
    "failed": "не доставлено",
    "cancelled": "отменено",
    "pending": "в очереди",
    "sending": "отправляется",
}
_MEDIA = {"photo": "фото", "document": "документ"}


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Excel keeps no time zone: local wall time of the town, without tzinfo."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None


def _plain(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def fill_announcements_sheet(
    workbook: Workbook, rows: Sequence[Mapping[str, Any]], zone: ZoneInfo
) -> Worksheet:
    """Add the sheet built from `AnnouncementRepository.log` rows and return it."""
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.append(HEADERS)
    for row in rows:
        status = row.get("status") or "pending"
        result = row.get("result") or {}
        pinned = result.get("pinned")
        sheet.append(
            (
                row["id"],
                row["author_name"],
                _plain(row["text"]),
                _MEDIA.get(row.get("media_kind") or "", ""),
                _local(row["created_at"], zone),
                _local(row.get("scheduled_at") or row["created_at"], zone),
                "да" if row.get("pin") else "нет",
                row["chat_name"],
                _DELIVERY.get(status, status),
                _local(row.get("sent_at"), zone),
                "" if pinned is None else ("да" if pinned else "нет"),
                row.get("last_error") if status == "failed" else result.get("pin_error", ""),
                _local(row.get("edited_at"), zone),
                _local(row.get("deleted_at"), zone),
            )
        )
    widths = (6, 24, 60, 10, 18, 18, 10, 28, 14, 18, 11, 40, 18, 18)
    for column, width in zip("ABCDEFGHIJKLMN", widths, strict=True):
        sheet.column_dimensions[column].width = width
        if column in "EFJMN":
            for cell in sheet[column][1:]:
                cell.number_format = "DD.MM.YYYY HH:MM"
    sheet.freeze_panes = "A2"
    return sheet


async def add_announcements_sheet(
    workbook: Workbook,
    uow_factory: UnitOfWorkFactory,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> Worksheet:
    """The sheet for announcements created in [start, end) (aware UTC datetimes)."""
    async with uow_factory() as uow:
        rows = await uow.announcements.log(start, end)
    return fill_announcements_sheet(workbook, rows, zone)
