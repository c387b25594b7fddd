"""The export on the hand-built town: one file, one row per issue with its text and answers,
the summary sheet, no empty sheets (figures worked out by hand in tests/reports_data.py)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.domain.errors import UsageError
from bot.domain.models import Caller, ChatPlace
from bot.services.reporting import export
from bot.texts import export as t
from storage.uow import SqlUnitOfWorkFactory
from tests.reports_data import ADMIN, ANNA, CHAT_B, IVAN, OLGA, at, build, service

MARCH_1, MARCH_18 = date(2026, 3, 1), date(2026, 3, 18)
PRIVATE = Caller(ADMIN, chat_id=ADMIN.user_id, is_private=True)


@pytest.fixture
async def town(uow_factory: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
    await build(uow_factory)
    return uow_factory


def by_header(rows: list[tuple[Any, ...]]) -> dict[int, dict[str, Any]]:
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


async def test_one_row_per_issue_with_its_text_answers_and_flags(
    town: SqlUnitOfWorkFactory,
) -> None:
    ctx = await service(town).export_context(MARCH_1, MARCH_18)
    file = await export.write_xlsx(ctx, "march")
    assert file.filename == "march.xlsx" and file.rows == 7
    book = load_workbook(io.BytesIO(file.content))
    assert book.sheetnames == ["Сводка", "Обращения"]  # no announcements: no empty sheet
    rows = list(book["Обращения"].iter_rows(values_only=True))
    assert rows[0] == t.ISSUE_COLUMNS
    assert [r[0] for r in rows[1:]] == [7, 6, 3, 1, 4, 2, 5]  # in the order received
    issues = by_header(rows)
    first = issues[1]
    assert first["Чат"] == "Дом Ленина 5" and first["Автор"] == ANNA.name
    assert first["Текст обращения"] == "#проблема обращение 1"
    assert first["Ответы"] == f"17.03.2026 15:00, {OLGA.name}: Сделано"
    assert (first["Создано"].hour, first["Закрыто"].hour) == (9, 15)  # local times
    assert first["Рабочих часов до первого ответа"] == 1.0
    assert first["Первый ответ просрочен"] == "нет"
    assert first["Оценка жителя"] == "решено"
    assert first["Отдел"] is None and first["Категория"] is None  # not in storage yet
    assert issues[2]["Рабочих часов до первого ответа"] == 3.0  # 16-18 and 9-10
    assert issues[2]["Первый ответ просрочен"] == "да"
    assert issues[3]["Ответы"] == f"16.03.2026 12:00, {IVAN.name}: Сделано"
    assert issues[3]["Возвращалось в работу, раз"] == 1
    assert issues[3]["Оценка жителя"] == "не решено"
    assert issues[4]["Первый ответ просрочен"] == "да"  # unanswered, past due
    assert issues[5]["Первый ответ просрочен"] is None  # unanswered, not due yet
    assert issues[6]["Срок контроля просрочен"] == "да"  # due 16 March, still on control
    assert issues[7]["Срок контроля просрочен"] == "нет"  # due today


async def test_the_summary_sheet_folds_the_rows(town: SqlUnitOfWorkFactory) -> None:
    ctx = await service(town).export_context(MARCH_1, MARCH_18)
    book = load_workbook(io.BytesIO((await export.write_xlsx(ctx, "march")).content))
    summary = list(book["Сводка"].iter_rows(values_only=True))
    assert summary[0] == t.SUMMARY_COLUMNS
    line = ("не указан", "не указана", 7, 3, 3, 1, 1.0, 1, 2, 1, 50.0)
    assert summary[1:] == [line, ("Итого", None, *line[2:])]


async def test_csv_is_one_file_of_the_same_rows(town: SqlUnitOfWorkFactory) -> None:
    ctx = await service(town).export_context(MARCH_1, MARCH_18)
    file = await export.write_csv(ctx, "march")
    assert file.filename == "march.csv" and file.rows == 7
    lines = file.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";") == list(t.ISSUE_COLUMNS)
    assert len(lines) == 8
    assert lines[1].startswith("7;12.03.2026 09:00;Дороги;;;;")


async def test_the_command_sends_one_file_in_the_format_asked(
    town: SqlUnitOfWorkFactory,
) -> None:
    reports = service(town)
    await reports.export(PRIVATE, MARCH_1, MARCH_18)
    await reports.export(PRIVATE, MARCH_1, MARCH_18, "csv")
    async with town() as uow:
        queued = await uow.outbox.load(range(1, 100))
    sent = sorted(queued, key=lambda entry: entry.id)
    names = [e.message.attachment.filename for e in sent if e.message.attachment]
    assert names == ["obrashcheniya_2026-03-01_2026-03-18.xlsx"] + [
        "obrashcheniya_2026-03-01_2026-03-18.csv"
    ]
    assert "обращений — 7" in sent[0].message.text


async def test_a_period_without_issues_gets_one_line_and_no_file(
    town: SqlUnitOfWorkFactory,
) -> None:
    with pytest.raises(UsageError, match="обращений не поступало"):
        await service(town).export(PRIVATE, date(2025, 1, 1), date(2025, 1, 31))
    async with town() as uow:
        assert await uow.outbox.next_due_at() is None


async def test_further_sheets_are_written_only_with_rows(town: SqlUnitOfWorkFactory) -> None:
    class Numbers:
        title = "Числа"
        slug = "numbers"
        columns: tuple[str, ...] = ("n",)

        def __init__(self, values: tuple[int, ...]) -> None:
            self.values = values

        async def count(self, ctx: export.ExportContext) -> int:
            return len(self.values)

        async def rows(self, ctx: export.ExportContext):  # type: ignore[no-untyped-def]
            for n in self.values:
                yield (n,)

    ctx = await service(town).export_context(MARCH_1, MARCH_18)
    file = await export.write_xlsx(ctx, "x", sheets=[Numbers(()), Numbers((1, 2))])
    book = load_workbook(io.BytesIO(file.content))
    assert book.sheetnames == ["Сводка", "Обращения", "Числа"]
    assert list(book["Числа"].iter_rows(values_only=True)) == [("n",), (1,), (2,)]


async def test_the_workflows_facts_fill_their_columns(town: SqlUnitOfWorkFactory) -> None:
    """Category (and its ПОС topic), merges, personal contacts and private appeals, as the
    workflow stores them on the issue, reach the export's row."""
    async with town() as uow:
        appeal = await uow.issues.add(
            place=ChatPlace(ANNA.user_id, 0),  # filed in private with the bot
            message_id=77,
            author=ANNA,
            text="#жалоба соседи шумят ночью",
            tag="#жалоба",
            attachments=(),
            created_at=at(3, 18, 10),
            category="emergency",
            category_name="Авария",
            about=CHAT_B,
        )
        duplicate = await uow.issues.get(5)
        assert appeal is not None and duplicate is not None
        await uow.issues.save(replace(appeal, contacts=2))
        await uow.issues.save(replace(duplicate, merged_into=appeal.number))
        await uow.commit()
    ctx = await service(town).export_context(MARCH_1, MARCH_18)
    ctx = replace(ctx, pos_topics={"emergency": "ЖКХ: аварийные ситуации"})
    book = load_workbook(io.BytesIO((await export.write_xlsx(ctx, "march")).content))
    issues = by_header(list(book["Обращения"].iter_rows(values_only=True)))
    appeal_row = issues[appeal.number]
    assert appeal_row["Категория"] == "Авария"
    assert appeal_row["Тема ПОС"] == "ЖКХ: аварийные ситуации"
    assert appeal_row["Объединённые обращения"] == "№5"
    assert appeal_row["Текст обращения"] == "#жалоба соседи шумят ночью"
    assert appeal_row["Личный контакт"] == "да"
    assert appeal_row["Закрытое обращение"] == "да"
    assert appeal_row["Чат"] == ctx.chat_names[CHAT_B]  # the chat the appeal is about
    assert issues[1]["Личный контакт"] == "нет" and issues[1]["Закрытое обращение"] == "нет"
    assert issues[1]["Тема ПОС"] is None
