"""The export is built off the event loop, and a file too large for Telegram is refused."""

from __future__ import annotations

import asyncio
import gc
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import insert

from bot.domain.errors import UsageError
from bot.domain.export_rows import IssueFacts, Summary
from bot.domain.models import Caller, IssueStatus
from bot.services.reporting import export
from bot.services.reporting.sheet import Cell
from bot.texts import export as texts
from storage.tables import issue_transitions, issues
from storage.uow import SqlUnitOfWorkFactory
from tests.reports_data import ADMIN, CALENDAR, CHAT_A, OLGA, at, build, service

ISSUES = 3000
MARCH_1, MARCH_18 = date(2026, 3, 1), date(2026, 3, 18)
PRIVATE = Caller(ADMIN, chat_id=ADMIN.user_id, is_private=True)
TICK = 0.01
STALL_LIMIT = 0.2


async def add_issues(factory: SqlUnitOfWorkFactory, count: int, first_number: int = 100) -> None:
    """`count` issues received, taken and closed in the first half of March, two steps each."""
    rows: list[dict[str, object]] = []
    steps: list[dict[str, object]] = []
    for offset in range(count):
        number = first_number + offset
        created = at(3, 2 + offset % 14, 9) + timedelta(seconds=offset)
        answered, closed = created + timedelta(minutes=40), created + timedelta(hours=5)
        rows.append(
            {
                "number": number,
                "chat_id": CHAT_A.chat_id,
                "thread_id": 0,
                "message_id": 10_000 + number,
                "author_id": 20_000 + offset % 500,
                "author_name": f"Житель {offset % 500}",
                "text": "#проблема текст обращения",
                "tag": "#проблема",
                "attachments": [],
                "status": "closed",
                "assignee_id": OLGA.user_id,
                "assignee_name": OLGA.name,
                "created_at": created,
                "updated_at": closed,
                "response_due_at": CALENDAR.add(created, timedelta(hours=2)),
                "first_response_at": answered,
                "closed_at": closed,
            }
        )
        for action, before, after, moment in (
            ("take", "new", "in_progress", answered),
            ("close", "in_progress", "closed", closed),
        ):
            steps.append(
                {
                    "issue_number": number,
                    "action": action,
                    "from_status": before,
                    "to_status": after,
                    "actor_id": OLGA.user_id,
                    "actor_name": OLGA.name,
                    "at": moment,
                    "comment": "Сделано" if action == "close" else None,
                }
            )
    async with factory.engine.begin() as connection:
        await connection.execute(insert(issues), rows)
        await connection.execute(insert(issue_transitions), steps)


@pytest.fixture
async def big_town(uow_factory: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
    await build(uow_factory)
    await add_issues(uow_factory, ISSUES)
    return uow_factory


async def longest_stall(work: Callable[[], Awaitable[Any]]) -> tuple[Any, float]:
    """Run `work` beside a task that ticks every 10 ms; the longest gap between two ticks."""
    done = asyncio.Event()
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    # A full collection walks every object of the test process (hundreds of ms here with the
    # whole suite imported) whatever runs: freeze what exists, as a long-lived process would,
    # so only the export's own work is measured.
    gc.collect()
    gc.freeze()
    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(TICK * 2)  # the ticker is running before the work starts
    try:
        result = await work()
    finally:
        done.set()
        await ticking
        gc.unfreeze()
    return result, max(gaps)


async def blocking_xlsx(ctx: export.ExportContext) -> bytes:
    """The same rows written by openpyxl on the event loop: the stall the thread avoids, and
    the cells a spreadsheet library writes for the same values."""
    facts = [row async for row in export.IssueRows().rows(ctx)]
    summary = Summary()
    workbook = Workbook(write_only=True)
    head = workbook.create_sheet(title=texts.SHEET_SUMMARY)
    head.append(list(texts.SUMMARY_COLUMNS))
    ws = workbook.create_sheet(title=texts.SHEET_ISSUES)
    ws.append(list(texts.ISSUE_COLUMNS))
    for row in facts:
        cells = export.issue_cells(row, ctx, summary)
        ws.append([export._local_cell(value, ctx.calendar) for value in cells])
    for line in summary.lines():
        head.append(list(texts.summary_cells(line)))
    head.append(list(texts.summary_cells(summary.total, total=True)))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_the_loop_keeps_ticking_while_a_large_export_is_built(
    big_town: SqlUnitOfWorkFactory,
) -> None:
    reports = service(big_town)
    ctx = await reports.export_context(MARCH_1, MARCH_18)

    blocking, blocked = await longest_stall(lambda: blocking_xlsx(ctx))
    began = time.perf_counter()
    _, stalled = await longest_stall(lambda: reports.export(PRIVATE, MARCH_1, MARCH_18))
    took = time.perf_counter() - began

    print(f"stall: blocking {blocked:.3f} s, threaded {stalled:.3f} s; export {took:.2f} s")
    # The same work on the loop stalls it for far longer: the comparison is meaningful.
    assert blocked > 2 * STALL_LIMIT, f"the blocking build stalled only {blocked:.3f} s"
    # On a machine shared with other work the loop also waits for a core now and then: the
    # limit is the larger of STALL_LIMIT and a tenth of the blocking build's stall.
    limit = max(STALL_LIMIT, blocked / 10)
    assert stalled < limit, f"the loop stalled {stalled:.3f} s (blocking: {blocked:.3f} s)"
    assert took > 2 * STALL_LIMIT  # the export really was long enough to notice a stall

    async with big_town() as uow:
        queued = await uow.outbox.load(range(1, 100))
    files = [
        e.message.attachment for e in sorted(queued, key=lambda e: e.id) if e.message.attachment
    ]
    assert [f.filename for f in files] == ["obrashcheniya_2026-03-01_2026-03-18.xlsx"]
    assert files[0].content is not None
    book = load_workbook(io.BytesIO(files[0].content), read_only=True)
    assert sum(1 for _ in book["Обращения"].iter_rows(values_only=True)) == 1 + 7 + ISSUES
    same = load_workbook(io.BytesIO(blocking), read_only=True)
    assert book.sheetnames == same.sheetnames
    for title in ("Сводка", "Обращения"):  # the thread writes the same cells
        assert list(book[title].values) == list(same[title].values)


async def test_an_export_too_large_for_telegram_gets_one_line_and_sends_nothing(
    big_town: SqlUnitOfWorkFactory,
) -> None:
    small = service(big_town)
    small._export_max_bytes = 50_000  # the month's workbook is a few hundred kB
    with pytest.raises(UsageError) as refused:
        await small.export(PRIVATE, MARCH_1, MARCH_18)
    line = refused.value.message
    assert "\n" not in line
    assert "больше 50000 байт" in line and "Выберите период короче" in line
    async with big_town() as uow:
        assert await uow.outbox.next_due_at() is None  # no file and no caption queued


async def test_a_csv_too_large_stops_while_it_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CSV writer gives up as soon as the file outgrows the limit, reading no further."""
    read = 0

    async def count(self: export.IssueRows, ctx: export.ExportContext) -> int:
        return 10**9

    async def endless(self: export.IssueRows, ctx: export.ExportContext) -> AsyncIterator[Any]:
        nonlocal read
        while True:
            read += 1
            yield IssueFacts(
                read, at(3, 2, 9), CHAT_A.chat_id, 0, "Житель", "#проблема", "строка " * 10,
                IssueStatus.NEW, None, None, None, None, None, None,
            )  # fmt: skip

    monkeypatch.setattr(export.IssueRows, "count", count)
    monkeypatch.setattr(export.IssueRows, "rows", endless)
    ctx = export.ExportContext(
        uow_factory=None,  # type: ignore[arg-type]
        start=at(3, 1, 0),
        end=at(3, 18, 0),
        now=at(3, 18, 0),
        calendar=CALENDAR,
        chat_names={},
    )
    with pytest.raises(export.ExportTooLarge):
        await asyncio.wait_for(export.write_csv(ctx, "x", max_bytes=200_000), 10)
    assert 1000 < read < 100_000


async def test_a_failing_sheet_stops_the_writing_thread(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    class Broken:
        title = "Сломано"
        slug = "broken"
        columns: tuple[str, ...] = ("n",)

        async def count(self, ctx: export.ExportContext) -> int:
            return 3

        async def rows(self, ctx: export.ExportContext) -> AsyncIterator[Sequence[Cell]]:
            for n in range(2000):
                yield (n,)
            raise RuntimeError("storage went away")

    ctx = await service(uow_factory).export_context(MARCH_1, MARCH_18)
    with pytest.raises(RuntimeError, match="storage went away"):
        await asyncio.wait_for(export.write_xlsx(ctx, "x", [Broken()]), 10)
    # Nothing is left stuck: a new export runs to the end.
    await add_issues(uow_factory, 3)
    file = await asyncio.wait_for(export.write_xlsx(ctx, "x"), 10)
    assert load_workbook(io.BytesIO(file.content)).sheetnames == ["Сводка", "Обращения"]
