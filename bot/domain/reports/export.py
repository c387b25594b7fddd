"""The export: a list of sheet providers written as one XLSX workbook or one CSV per sheet.

A sheet is anything with a title, a slug (for CSV file names), its column names, a row count
and an async stream of rows; add one to `SHEETS` and it appears in /export and in
`civicbot export`. Providers read storage page by page, each page in its own short unit of
work, so a year's export never holds the database or all rows at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from bot.domain.calendar import WorkCalendar
from bot.domain.models import IssueStatus
from bot.domain.reports.announcements_sheet import AnnouncementsSheet
from bot.domain.reports.measures import hours
from bot.domain.reports.sheet import PAGE, Cell, ExportContext, Progress, SheetProvider
from bot.texts import issues as issue_t
from bot.texts import reports as t

__all__ = [
    "SHEETS",
    "Cell",
    "ExportContext",
    "ExportFile",
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
        async with ctx.uow_factory() as uow:
            return await uow.reports.count_received(ctx.start, ctx.end)

    async def rows(self, ctx: ExportContext) -> AsyncIterator[Sequence[Cell]]:
        after = 0
        while True:
            async with ctx.uow_factory() as uow:
                page = await uow.reports.issues_created(
                    ctx.start, ctx.end, after=after, limit=PAGE
                )
            for issue in page:
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
                    ctx.chat_names.get(issue.place, t.REMOVED_CHAT),
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
            if len(page) < PAGE:
                return
            after = page[-1].number


class TransitionsSheet:
    """Every status change made in the period: who, when, from what to what, the comment."""

    title: str = t.SHEET_TRANSITIONS
    slug: str = "transitions"
    columns: tuple[str, ...] = t.TRANSITION_COLUMNS

    async def count(self, ctx: ExportContext) -> int:
        async with ctx.uow_factory() as uow:
            return await uow.reports.count_transitions(ctx.start, ctx.end)

    async def rows(self, ctx: ExportContext) -> AsyncIterator[Sequence[Cell]]:
        after = 0
        while True:
            async with ctx.uow_factory() as uow:
                page = await uow.reports.transitions_between(
                    ctx.start, ctx.end, after=after, limit=PAGE
                )
            for _, step in page:
                yield (
                    step.issue_number,
                    step.at,
                    step.actor.name,
                    issue_t.ACTION_NAMES.get(step.action, step.action.value),
                    t.STATUS_NAMES.get(step.from_status, step.from_status.value),
                    t.STATUS_NAMES.get(step.to_status, step.to_status.value),
                    step.comment,
                )
            if len(page) < PAGE:
                return
            after = page[-1][0]


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


async def write_xlsx(
    ctx: ExportContext,
    basename: str,
    sheets: Sequence[SheetProvider] = SHEETS,
    progress: Progress | None = None,
) -> ExportFile:
    workbook = Workbook(write_only=True)
    first_rows = -1
    for sheet in sheets:
        ws = workbook.create_sheet(title=sheet.title[:31])
        ws.append(list(sheet.columns))
        count = 0
        async for row in _counted_rows(sheet, ctx, progress):
            ws.append([_xlsx_cell(ws, value, ctx.calendar) for value in row])
            count += 1
        if first_rows < 0:
            first_rows = count
    buffer = io.BytesIO()
    workbook.save(buffer)
    return ExportFile(f"{basename}.xlsx", buffer.getvalue(), max(first_rows, 0))


def _xlsx_cell(ws: object, value: Cell, calendar: WorkCalendar) -> object:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=_local(value, calendar))
        cell.number_format = "DD.MM.YYYY HH:MM"
        return cell
    return value


async def write_csv(
    ctx: ExportContext,
    basename: str,
    sheets: Sequence[SheetProvider] = SHEETS,
    progress: Progress | None = None,
) -> list[ExportFile]:
    """One CSV per sheet: UTF-8 with BOM and ";" so Excel with Russian settings opens it."""
    files = []
    for index, sheet in enumerate(sheets):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(sheet.columns)
        count = 0
        async for row in _counted_rows(sheet, ctx, progress):
            writer.writerow([_csv_cell(value, ctx.calendar) for value in row])
            count += 1
        name = f"{basename}.csv" if index == 0 else f"{basename}-{sheet.slug}.csv"
        files.append(ExportFile(name, buffer.getvalue().encode("utf-8-sig"), count))
    return files


def _csv_cell(value: Cell, calendar: WorkCalendar) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value, calendar).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return str(value)
