"""What an export sheet is: a title, columns, a count and a stream of rows for a period."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from bot.domain.calendar import WorkCalendar
from bot.domain.models import ChatPlace
from bot.services.ports import UnitOfWork, UnitOfWorkFactory

Cell = str | int | float | datetime | None
Progress = Callable[[str, int, int], None]
"""Called as (sheet title, rows written, rows in the sheet)."""

PAGE = 500


@dataclass(frozen=True, slots=True)
class ExportContext:
    uow_factory: UnitOfWorkFactory
    start: datetime
    end: datetime
    now: datetime
    calendar: WorkCalendar
    chat_names: Mapping[ChatPlace, str]


class SheetProvider(Protocol):
    title: str
    slug: str
    columns: tuple[str, ...]

    async def count(self, ctx: ExportContext) -> int: ...
    def rows(self, ctx: ExportContext) -> AsyncIterator[Sequence[Cell]]: ...


T = TypeVar("T")


async def paged(
    ctx: ExportContext,
    read: Callable[[UnitOfWork, int], Awaitable[Sequence[T]]],
    key: Callable[[T], int],
) -> AsyncIterator[T]:
    """All that `read(uow, after)` returns, PAGE items at a time, each page in its own short
    unit of work; `key` gives the `after` of the next page from the last item of this one."""
    after = 0
    while True:
        async with ctx.uow_factory.reader() as uow:
            page = await read(uow, after)
        for item in page:
            yield item
        if len(page) < PAGE:
            return
        after = key(page[-1])
