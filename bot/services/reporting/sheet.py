"""What a further export sheet is: a title, columns, a count and a stream of rows for a period."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.domain.calendar import WorkCalendar
from bot.domain.models import ChatPlace
from bot.services.ports import UnitOfWorkFactory

Cell = str | int | float | datetime | None
Progress = Callable[[str, int, int], None]
"""Called as (sheet title, rows written, rows in the sheet)."""


@dataclass(frozen=True, slots=True)
class ExportContext:
    uow_factory: UnitOfWorkFactory
    start: datetime
    end: datetime
    now: datetime
    calendar: WorkCalendar
    chat_names: Mapping[ChatPlace, str]
    # The regional platform's (ПОС) topic of each configured category, by code.
    pos_topics: Mapping[str, str] = field(default_factory=dict)


class SheetProvider(Protocol):
    title: str
    slug: str
    columns: tuple[str, ...]

    async def count(self, ctx: ExportContext) -> int: ...
    def rows(self, ctx: ExportContext) -> AsyncIterator[Sequence[Cell]]: ...
