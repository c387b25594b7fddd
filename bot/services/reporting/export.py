"""The export: one file per request, XLSX (the summary, the issues, and any further sheet
that has rows) or CSV (the issues).

One row per issue (bot/domain/export_rows.py): its text, every answer, the times and flags;
the summary sheet folds the same rows by department and category. Rows are read page by page,
each page in its own short unit of work by a few indexed queries, and written in a worker
thread by a streaming XLSX writer (reporting/xlsx.py) or the csv module: memory stays
bounded whatever the period. Further sheets (`SHEETS`) are providers of plain rows; one
with no rows is left out.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from bot.domain.calendar import WorkCalendar
from bot.domain.export_rows import IssueFacts, Summary, export_row
from bot.domain.models import ChatPlace
from bot.domain.work_timeline import ExactTimeline
from bot.services.chat_names import REMOVED_CHAT
from bot.services.reporting.announcements_sheet import AnnouncementsSheet
from bot.services.reporting.sheet import (
    Cell,
    ExportContext,
    Progress,
    SheetProvider,
)
from bot.texts import export as t

__all__ = [
    "SHEETS",
    "Cell",
    "EmptyExport",
    "ExportContext",
    "ExportFile",
    "ExportTooLarge",
    "IssueRows",
    "Progress",
    "SheetProvider",
    "write_csv",
    "write_xlsx",
]

PAGE = 1000
"""Issues read per unit of work: a few statements a page, so a month of 120,000 issues is
120 short transactions. A page is built on the event loop in one go: 2,000 held it for
a third of a second at times while the writing thread ran."""


class IssueRows:
    """The issues received in the period, oldest first, as storage knows them."""

    title: str = t.SHEET_ISSUES
    columns: tuple[str, ...] = t.ISSUE_COLUMNS

    async def count(self, ctx: ExportContext) -> int:
        async with ctx.uow_factory.reader() as uow:
            return await uow.reports.count_received(ctx.start, ctx.end)

    async def rows(self, ctx: ExportContext) -> AsyncIterator[IssueFacts]:
        after: tuple[datetime, int] | None = None
        while True:
            async with ctx.uow_factory.reader() as uow:
                page = await uow.reports.export_page(ctx.start, ctx.end, after=after, limit=PAGE)
            for facts in page:
                yield facts
            if len(page) < PAGE:
                return
            after = (page[-1].created_at, page[-1].number)


def issue_cells(
    facts: IssueFacts,
    ctx: ExportContext,
    summary: Summary | None,
    shared: RowsShare | None = None,
) -> tuple[Cell, ...]:
    """The issue's row as cells, counted into `summary` on the way; `shared`: what a file's
    rows share, computed once per file by the writers."""
    chat = ctx.chat_names.get(ChatPlace(facts.chat_id, facts.thread_id), REMOVED_CHAT)
    topic = ctx.pos_topics.get(facts.category_code or "")
    if shared is None:
        row = export_row(facts, chat, ctx.calendar, ctx.now, topic)
    else:
        row = export_row(
            facts, chat, ctx.calendar, ctx.now, topic, today=shared.today, between=shared.between
        )
    if summary is not None:
        summary.add(row)
    return t.issue_cells(row, ctx.calendar.schedule.timezone)


SHEETS: list[SheetProvider] = [AnnouncementsSheet()]
"""Further sheets of the workbook, after the summary and the issues."""


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


@dataclass(frozen=True, slots=True)
class RowsShare:
    """What every row of one file shares: the local date of ctx.now, and working time
    measured on one timeline over the period and up to now (exactly `calendar.between`)."""

    today: date
    between: Callable[[datetime, datetime], timedelta]

    @classmethod
    def of(cls, ctx: ExportContext) -> RowsShare:
        calendar = ctx.calendar
        first = calendar.local(ctx.start).date()
        last = calendar.local(max(ctx.end, ctx.now)).date()
        timeline = ExactTimeline(calendar, first, last)
        return cls(calendar.local(ctx.now).date(), timeline.between)


def _local(value: datetime, calendar: WorkCalendar) -> datetime:
    return calendar.local(value).replace(tzinfo=None)


class EmptyExport(Exception):
    """Nothing was received in the period (and no further sheet has rows): no file."""


@dataclass(frozen=True, slots=True)
class _Source:
    """One sheet to write: the issues (rows of IssueFacts) or a provider's rows of cells."""

    title: str
    columns: tuple[str, ...]
    total: int
    rows: Callable[[], AsyncIterator[Any]]
    issues: bool = False


async def _sources(
    ctx: ExportContext, sheets: Sequence[SheetProvider], *, issues_only: bool
) -> list[_Source]:
    """The sheets that have rows, the issues first; EmptyExport if none has."""
    issues = IssueRows()
    found = [
        _Source(
            issues.title, issues.columns, await issues.count(ctx), lambda: issues.rows(ctx), True
        )
    ]
    for sheet in () if issues_only else sheets:
        rows = _rows_of(sheet, ctx)
        found.append(_Source(sheet.title, sheet.columns, await sheet.count(ctx), rows))
    found = [source for source in found if source.total]
    if not found:
        raise EmptyExport
    return found


def _rows_of(sheet: SheetProvider, ctx: ExportContext) -> Callable[[], AsyncIterator[Any]]:
    return lambda: sheet.rows(ctx)


async def _counted_rows(source: _Source, progress: Progress | None) -> AsyncIterator[Any]:
    done = 0
    async for row in source.rows():
        yield row
        done += 1
        if progress is not None and (done % 1000 == 0 or done == source.total):
            progress(source.title, done, source.total)
    if progress is not None and done != source.total:
        progress(source.title, done, done)


# --- reading on the event loop, writing in a thread -----------------------------------------
#
# Turning facts into rows (working hours from the calendar), XLSX and CSV are plain CPU
# work, so they run in a worker thread while the sources keep reading storage on the event
# loop. Rows cross over in batches through a queue of at most HANDOFF batches: memory stays
# bounded whatever the period, and the loop is free between batches (the thread gives the GIL
# back every few ms).

Batch = tuple[int, list[Any]]
"""(index of the source, its next rows); every source starts with an empty batch."""

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
    sources: Sequence[_Source], progress: Progress | None
) -> AsyncGenerator[Batch, None]:
    for index, source in enumerate(sources):
        yield index, []
        batch: list[Any] = []
        async for row in _counted_rows(source, progress):
            batch.append(row)
            if len(batch) >= BATCH:
                yield index, batch
                batch = []
        if batch:
            yield index, batch


async def _off_loop(
    sources: Sequence[_Source],
    progress: Progress | None,
    build: Callable[[Iterator[Batch]], T],
) -> T:
    """Feed the sources' rows, read here, to `build` running in a worker thread."""
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
        async with aclosing(_batches(sources, progress)) as batches:
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
    """One workbook: «Сводка» and «Обращения» if issues were received, then each further
    sheet that has rows. EmptyExport if nothing has; ExportTooLarge as soon as the file grows
    past `max_bytes`."""
    filename = f"{basename}.xlsx"
    sources = await _sources(ctx, sheets, issues_only=False)

    def build(batches: Iterator[Batch]) -> ExportFile:
        from bot.services.reporting.xlsx import SheetWriter, XlsxWriter

        buffer = io.BytesIO()
        book = XlsxWriter(buffer, ctx.calendar.schedule.timezone)
        summary = Summary() if sources[0].issues else None
        shared = RowsShare.of(ctx)
        issues_written, current = 0, -1
        sheet: SheetWriter | None = None
        try:
            for index, rows in batches:
                source = sources[index]
                if index != current or sheet is None:
                    current = index
                    sheet = book.sheet(source.title, len(source.columns))
                    sheet.append(source.columns, header=True)
                if source.issues:
                    for row in rows:
                        sheet.append(issue_cells(row, ctx, summary, shared))
                else:
                    sheet.extend(rows)
                if source.issues:
                    issues_written += len(rows)
                _check_size(filename, buffer.tell(), max_bytes)
            order = None
            if summary is not None:
                written = book.sheets
                head = book.sheet(t.SHEET_SUMMARY, len(t.SUMMARY_COLUMNS))
                head.append(t.SUMMARY_COLUMNS, header=True)
                head.extend(t.summary_cells(line) for line in summary.lines())
                head.append(t.summary_cells(summary.total, total=True))
                order = [written, *range(written)]
            book.close(order)
        except BaseException:
            book.discard()
            raise
        _check_size(filename, buffer.tell(), max_bytes)
        return ExportFile(filename, buffer.getvalue(), issues_written)

    return await _off_loop(sources, progress, build)


def _local_cell(value: Cell, calendar: WorkCalendar) -> Cell:
    return _local(value, calendar) if isinstance(value, datetime) else value


async def write_csv(
    ctx: ExportContext,
    basename: str,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> ExportFile:
    """The issues as one CSV: UTF-8 with BOM and ";" so Excel with Russian settings opens it.

    EmptyExport if none was received; ExportTooLarge as soon as the file grows past
    `max_bytes`."""
    filename = f"{basename}.csv"
    sources = await _sources(ctx, (), issues_only=True)

    def build(batches: Iterator[Batch]) -> ExportFile:
        content = io.BytesIO()
        content.write(codecs.BOM_UTF8)
        text = io.StringIO()
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        writer.writerow(t.ISSUE_COLUMNS)
        count = 0
        zone, shared = ctx.calendar.schedule.timezone, RowsShare.of(ctx)
        for _, rows in batches:
            for row in rows:
                cells = issue_cells(row, ctx, None, shared)
                # Texts, numbers and empty cells as the csv module writes them (str(), "");
                # only moments and hours need formatting.
                writer.writerow(
                    [
                        value
                        if (kind := type(value)) is str or value is None or kind is int
                        else _csv_cell(value, ctx.calendar, zone)
                        for value in cells
                    ]
                )
            count += len(rows)
            content.write(text.getvalue().encode("utf-8"))
            text.seek(0)
            text.truncate()
            _check_size(filename, content.tell(), max_bytes)
        content.write(text.getvalue().encode("utf-8"))
        return ExportFile(filename, content.getvalue(), count)

    return await _off_loop(sources, progress, build)


def _csv_cell(value: Cell, calendar: WorkCalendar, zone: tzinfo | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if zone is not None and value.tzinfo is not None:  # as strftime below, in one step
            local = value.astimezone(zone)
            return (
                f"{local.day:02d}.{local.month:02d}.{local.year} "
                f"{local.hour:02d}:{local.minute:02d}"
            )
        return _local(value, calendar).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return str(value)
