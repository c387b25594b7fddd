"""Words of the export: the column headers, and an issue row or a summary line as cells.

Cells are plain values (text, numbers, UTC datetimes); the file writers localise datetimes and
format numbers for XLSX or CSV.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.export_rows import Answer, ExportRow, SummaryLine
from bot.domain.sla import NOT_RESOLVED, RESOLVED
from bot.texts.format import local_time
from bot.texts.reports import NO, STATUS_NAMES, YES

Cell = str | int | float | datetime | None

SHEET_ISSUES = "Обращения"
SHEET_SUMMARY = "Сводка"
NOT_SET = "не указан"
NOT_SET_FEMININE = "не указана"
TOTAL = "Итого"

ISSUE_COLUMNS = (
    "Номер",
    "Создано",
    "Чат",
    "Отдел",
    "Категория",
    "Тема ПОС",
    "Автор",
    "Тег",
    "Статус",
    "Текст обращения",
    "Ответы",
    "Исполнитель",
    "Рабочих часов до первого ответа",
    "Закрыто",
    "Первый ответ просрочен",
    "Срок контроля просрочен",
    "Оценка жителя",
    "Возвращалось в работу, раз",
    "Объединённые обращения",
    "Личный контакт",
    "Закрытое обращение",
)
SUMMARY_COLUMNS = (
    "Отдел",
    "Категория",
    "Поступило",
    "Отвечено в срок",
    "Первый ответ просрочен",
    "Срок контроля просрочен",
    "Медиана до первого ответа, раб. ч",
    "Возвращено в работу",
    "Оценок жителей",
    "Из них «решено»",
    "Удовлетворённость, %",
)
VERDICT_NAMES = {RESOLVED: "решено", NOT_RESOLVED: "не решено"}


def yes_no(value: bool | None) -> str | None:
    if value is None:
        return None
    return YES if value else NO


def answers_text(answers: tuple[Answer, ...], zone: ZoneInfo) -> str | None:
    """Every answer in order, one paragraph each: «12.03.2026 10:15, Ольга: текст»."""
    if not answers:
        return None
    return "\n".join(f"{local_time(a.at, zone)}, {a.by}: {a.text}" for a in answers)


def issue_cells(row: ExportRow, zone: ZoneInfo) -> tuple[Cell, ...]:
    return (
        row.number,
        row.created_at,
        row.chat,
        row.department,
        row.category,
        row.pos_topic,
        row.author,
        row.tag,
        STATUS_NAMES.get(row.status, row.status.value),
        row.text,
        answers_text(row.answers, zone),
        row.assignee,
        row.first_answer_hours,
        row.closed_at,
        yes_no(row.first_answer_overdue),
        YES if row.control_overdue else NO,
        VERDICT_NAMES.get(row.verdict or ""),
        row.reopened,
        ", ".join(f"№{number}" for number in row.merged) or None,
        yes_no(row.personal_contact),
        yes_no(row.private),
    )


def summary_cells(line: SummaryLine, *, total: bool = False) -> tuple[Cell, ...]:
    satisfaction = line.satisfaction
    return (
        TOTAL if total else (line.department or NOT_SET),
        None if total else (line.category or NOT_SET_FEMININE),
        line.received,
        line.answered_on_time,
        line.first_answer_overdue,
        line.control_overdue,
        line.median_first_answer,
        line.reopened,
        line.verdicts,
        line.resolved,
        None if satisfaction is None else round(100 * satisfaction, 1),
    )
