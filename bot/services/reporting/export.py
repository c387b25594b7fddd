"""The export: a list of sheet providers written as one XLSX workbook or one CSV per sheet.

A sheet is anything with a title, a slug (for CSV file names), its column names, a row count
and an async stream of rows; add one to `SHEETS` and it appears in /export and in
`civicbot export`. Providers read storage page by page, each page in its own short unit of
work, so a year's export never holds the database or all rows at once.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.domain.calendar import WorkCalendar
from bot.domain.measures import hours
from bot.domain.models import IssueStatus
from bot.services.chat_names import REMOVED_CHAT
from bot.services.reporting.announcements_sheet import AnnouncementsSheet
from bot.services.reporting.sheet import (
    PAGE,
    Cell,
    ExportContext,
    Progress,
    SheetProvider,
    paged,
)
from bot.texts import issues as issue_t
from bot.texts import reports as t

if TYPE_CHECKING:
    from openpyxl import Workbook

__all__ = [
    "SHEETS",
    "Cell",
    "ExportContext",
    "ExportFile",
    "ExportTooLarge",
    "Progress",
    "SheetProvider",
    "write_csv",
    "write_xlsx",
]


class IssuesSheet:
    """Issues received in the period, with their answer time in working hours."""

    title: str = t.SHEET_ISSUES
    slug: str = "issues"
    columns: tuple[str, ...] = t.ISSUE_COLUMNS

    async def count(self, ctx: ExportContext) -> int:
        async with ctx.uow_factory.reader() as uow:
            return await uow.reports.count_received(ctx.start, ctx.end)

    async def rows(self, ctx: ExportContext) -> AsyncIterator[Sequence[Cell]]:
        issues = paged(
            ctx,
            lambda uow, after: uow.reports.issues_created(
                ctx.start, ctx.end, after=after, limit=PAGE
            ),
            key=lambda issue: issue.number,
        )
        async for issue in issues:
            answered = issue.first_response_at
            due = issue.response_due_at
            work_hours = (
                round(hours(ctx.calendar.between(issue.created_at, answered)), 2)
                if answered is not None
                else None
            )
            if answered is not None:
                met: str | None = t.YES if due is None or answered <= due else t.NO
            else:
                overdue = issue.status is IssueStatus.NEW and due is not None
                met = t.NO if overdue and due is not None and due < ctx.now else None
            yield (
                issue.number,
                ctx.chat_names.get(issue.place, REMOVED_CHAT),
                issue.author.name,
                issue.tag,
                t.STATUS_NAMES.get(issue.status, issue.status.value),
                issue.assignee.name if issue.assignee else None,
                issue.created_at,
                answered,
                issue.closed_at,
                work_hours,
                met,
            )


class TransitionsSheet:
    """Every status change made in the period: who, when, from what to what, the comment."""

    title: str = t.SHEET_TRANSITIONS
    slug: str = "transitions"
    columns: tuple[str, ...] = t.TRANSITION_COLUMNS

    async def count(self, ctx: ExportContext) -> int:
        async with ctx.uow_factory.reader() as uow:
            return await uow.reports.count_transitions(ctx.start, ctx.end)

    async def rows(self, ctx: ExportContext) -> AsyncIterator[Sequence[Cell]]:
        steps = paged(
            ctx,
            lambda uow, after: uow.reports.transitions_between(
                ctx.start, ctx.end, after=after, limit=PAGE
            ),
            key=lambda row: row[0],
        )
        async for _, step in steps:
            yield (
                step.issue_number,
                step.at,
                step.actor.name,
                issue_t.ACTION_NAMES.get(step.action, step.action.value),
                t.STATUS_NAMES.get(step.from_status, step.from_status.value),
                t.STATUS_NAMES.get(step.to_status, step.to_status.value),
                step.comment,
            )


SHEETS: list[SheetProvider] = [
    IssuesSheet(),
    TransitionsSheet(),
    AnnouncementsSheet(),
]


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    content: bytes
    rows: int  # data rows of the first sheet in it (issues, for the caption)


class ExportTooLarge(Exception):
    """A file of the export would exceed the size allowed (Telegram takes 50 MB from bots)."""

    def __init__(self, filename: str, limit: int) -> None:
        super().__init__(f"{filename} would be larger than {limit} bytes")
        self.filename = filename
        self.limit = limit


def _local(value: datetime, calendar: WorkCalendar) -> datetime:
    return calendar.local(value).replace(tzinfo=None)


async def _counted_rows(
    sheet: SheetProvider, ctx: ExportContext, progress: Progress | None
) -> AsyncIterator[Sequence[Cell]]:
    total = await sheet.count(ctx) if progress is not None else 0
    done = 0
    async for row in sheet.rows(ctx):
        yield row
        done += 1
        if progress is not None and (done % 1000 == 0 or done == total):
            progress(sheet.title, done, total)
    if progress is not None and done != total:
        progress(sheet.title, done, done)


# --- reading on the event loop, writing in a thread -----------------------------------------
#
# openpyxl and csv are plain CPU work (about 3 s for a busy month), so they run in a worker
# thread while the providers keep reading storage on the event loop. Rows cross over in
# batches through a queue of at most HANDOFF batches: memory stays bounded whatever the period,
# and the loop is free between batches (the thread gives the GIL back every few ms).

Batch = tuple[int, list[Sequence[Cell]]]
"""(index of the sheet, its next rows); every sheet starts with an empty batch."""

BATCH = 500
HANDOFF = 4


T = TypeVar("T")


class _End:
    pass


class _Abort:
    pass


_END, _ABORT = _End(), _Abort()


class _Aborted(Exception):
    """The reading side failed or was cancelled: the writing thread stops."""


async def _batches(
    sheets: Sequence[SheetProvider], ctx: ExportContext, progress: Progress | None
) -> AsyncGenerator[Batch, None]:
    for index, sheet in enumerate(sheets):
        yield index, []
        batch: list[Sequence[Cell]] = []
        async for row in _counted_rows(sheet, ctx, progress):
            batch.append(row)
            if len(batch) >= BATCH:
                yield index, batch
                batch = []
        if batch:
            yield index, batch


async def _off_loop(
    sheets: Sequence[SheetProvider],
    ctx: ExportContext,
    progress: Progress | None,
    build: Callable[[Iterator[Batch]], T],
) -> T:
    """Feed the sheets' rows, read here, to `build` running in a worker thread."""
    loop = asyncio.get_running_loop()
    handoff: asyncio.Queue[Batch | _End | _Abort] = asyncio.Queue(maxsize=HANDOFF)

    def received() -> Iterator[Batch]:
        while True:
            item = asyncio.run_coroutine_threadsafe(handoff.get(), loop).result()
            if isinstance(item, _End):
                return
            if isinstance(item, _Abort):
                raise _Aborted
            yield item

    building = asyncio.ensure_future(asyncio.to_thread(build, received()))

    async def hand_over(item: Batch | _End) -> bool:
        """False once the builder has stopped (it failed: its error is raised below)."""
        put = asyncio.ensure_future(handoff.put(item))
        try:
            await asyncio.wait({put, building}, return_when=asyncio.FIRST_COMPLETED)
            return put.done()
        finally:
            if not put.done():
                put.cancel()

    try:
        async with aclosing(_batches(sheets, ctx, progress)) as batches:
            async for batch in batches:
                if not await hand_over(batch):
                    break
            else:
                await hand_over(_END)
    except BaseException:
        while not handoff.empty():
            handoff.get_nowait()
        handoff.put_nowait(_ABORT)
        building.add_done_callback(_ignore_outcome)
        raise
    return await building


def _ignore_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _check_size(filename: str, size: int, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise ExportTooLarge(filename, limit)


async def write_xlsx(
    ctx: ExportContext,
    basename: str,
    sheets: Sequence[SheetProvider] = SHEETS,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> ExportFile:
    """One workbook, a worksheet per sheet; ExportTooLarge if it exceeds `max_bytes`."""
    filename = f"{basename}.xlsx"
    heads = [(sheet.title[:31], sheet.columns) for sheet in sheets]

    def build(batches: Iterator[Batch]) -> ExportFile:
        from openpyxl import Workbook  # loaded by the first export, not at start

        workbook = Workbook(write_only=True)
        counts = [0] * len(heads)
        ws: Any = None
        current = -1
        try:
            for index, rows in batches:
                if index != current:
                    current = index
                    title, columns = heads[index]
                    ws = workbook.create_sheet(title=title)
                    ws.append(list(columns))
                for row in rows:
                    ws.append([_xlsx_cell(ws, value, ctx.calendar) for value in row])
                counts[index] += len(rows)
        except BaseException:
            _discard(workbook)
            raise
        buffer = io.BytesIO()
        workbook.save(buffer)
        _check_size(filename, buffer.tell(), max_bytes)
        return ExportFile(filename, buffer.getvalue(), counts[0] if counts else 0)

    return await _off_loop(sheets, ctx, progress, build)


def _discard(workbook: Workbook) -> None:
    """Close and delete the temporary files of a write-only workbook that will not be saved."""
    for ws in workbook.worksheets:
        if not ws.closed:
            ws.close()
        if ws._writer is not None:
            ws._writer.cleanup()


def _xlsx_cell(ws: object, value: Cell, calendar: WorkCalendar) -> object:
    if isinstance(value, datetime):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=_local(value, calendar))
        cell.number_format = "DD.MM.YYYY HH:MM"
        return cell
    return value


async def write_csv(
    ctx: ExportContext,
    basename: str,
    sheets: Sequence[SheetProvider] = SHEETS,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> list[ExportFile]:
    """One CSV per sheet: UTF-8 with BOM and ";" so Excel with Russian settings opens it.

    ExportTooLarge as soon as one file grows past `max_bytes`."""
    names = [
        f"{basename}.csv" if index == 0 else f"{basename}-{sheet.slug}.csv"
        for index, sheet in enumerate(sheets)
    ]
    heads = [sheet.columns for sheet in sheets]

    def build(batches: Iterator[Batch]) -> list[ExportFile]:
        files: list[ExportFile] = []
        content = io.BytesIO()
        count, current = 0, -1
        text = io.StringIO()
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        for index, rows in batches:
            if index != current:  # the next sheet begins
                if current >= 0:
                    files.append(ExportFile(names[current], content.getvalue(), count))
                current, content, count = index, io.BytesIO(), 0
                content.write(codecs.BOM_UTF8)
                writer.writerow(heads[index])
            for row in rows:
                writer.writerow([_csv_cell(value, ctx.calendar) for value in row])
            count += len(rows)
            content.write(text.getvalue().encode("utf-8"))
            text.seek(0)
            text.truncate()
            _check_size(names[index], content.tell(), max_bytes)
        if names:
            files.append(ExportFile(names[-1], content.getvalue(), count))
        return files

    return await _off_loop(sheets, ctx, progress, build)


def _csv_cell(value: Cell, calendar: WorkCalendar) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value, calendar).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return str(value)
