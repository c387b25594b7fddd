"""Texts of the daily digest, /stats and /export (HTML, user text escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.measures import (
    ChatLine,
    DepartmentLine,
    Digest,
    LateIssue,
    PeriodCounts,
    Report,
    ResponseStats,
    SpecialistLine,
)
from bot.domain.models import IssueStatus
from bot.texts.format import MESSAGE_LIMIT, day_month, esc, full_date, local_time

GROUP_LINES = 15
"""Chats and specialists listed in a report; the rest are summed up in one line."""

STATUS_OPEN_NAMES = {
    IssueStatus.NEW: "новых",
    IssueStatus.IN_PROGRESS: "в работе",
    IssueStatus.ON_CONTROL: "на контроле",
    IssueStatus.AWAITING: "ждут уточнения",
}
STATUS_NAMES = {
    IssueStatus.NEW: "новое",
    IssueStatus.IN_PROGRESS: "в работе",
    IssueStatus.ON_CONTROL: "на контроле",
    IssueStatus.AWAITING: "ждёт уточнения",
    IssueStatus.CLOSED: "закрыто",
}

USAGE_STATS = (
    "Использование: /stats [с ГГГГ-ММ-ДД] [по ГГГГ-ММ-ДД] — статистика за период, "
    "например /stats 2026-01-01 2026-01-31 (без дат — текущий месяц)."
)
USAGE_EXPORT = (
    "Использование: /export [csv] [с ГГГГ-ММ-ДД] [по ГГГГ-ММ-ДД] — выгрузка обращений в Excel "
    "со сводкой по отделам и категориям (или в CSV), например /export 2026-01-01 2026-01-31 "
    "(без дат — текущий месяц)."
)
REPORTS_DENIED = "Статистика и выгрузка доступны только специалистам и администраторам."
DIGEST_DENIED = "Сводку по запросу могут получить только администраторы бота."
PUBLIC_CHAT_REFUSED = (
    "Отчёты содержат данные жителей: запросите их в личном чате с ботом "
    "или в рабочем чате специалистов."
)
CHART_CAPTION = "Последние 30 дней: поступило и закрыто по дням, открытые обращения."
CHART_TITLE = "Обращения за 30 дней"
CHART_RECEIVED = "поступило"
CHART_CLOSED = "закрыто"
CHART_BACKLOG = "открыто на конец дня"
CHART_PER_DAY = "в день"
CHART_OPEN = "открыто"
CHART_VOTES = "Голоса"


def period_order(start: date, end: date, command: str) -> str:
    return (
        f"Дата начала {full_date(start)} позже даты конца {full_date(end)}. "
        f"Укажите период по порядку: /{command} 2026-01-01 2026-01-31."
    )


def export_caption(start: date, end: date, issues: int, fmt: str) -> str:
    return f"Выгрузка ({fmt}) за {period_words(start, end)}: обращений — {issues}."


def export_empty(start: date, end: date) -> str:
    return f"За {period_words(start, end)} обращений не поступало — выгружать нечего."


def export_too_large(start: date, end: date, limit_bytes: int) -> str:
    size = f"{limit_bytes // 1_000_000} МБ" if limit_bytes >= 1_000_000 else f"{limit_bytes} байт"
    return (
        f"Выгрузка за {period_words(start, end)} больше {size} — столько Telegram "
        "не пропустит. Выберите период короче, например /export 2026-01-01 2026-01-31."
    )


# --- numbers ---------------------------------------------------------------------------------


def num(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def period_words(start: date, end: date) -> str:
    if start == end:
        return full_date(start)
    if start.year == end.year:
        return f"{day_month(start)} — {full_date(end)}"
    return f"{full_date(start)} — {full_date(end)}"


def _counts(counts: PeriodCounts) -> list[str]:
    return [
        f"Поступило <b>{counts.received}</b>, отвечено <b>{counts.answered}</b>, "
        f"закрыто <b>{counts.closed}</b>.",
        f"Подтверждено жителями: {counts.confirmed} из {counts.closed} закрытых "
        f"({share(counts.confirmed, counts.closed)}); «не решено»: {counts.not_resolved}.",
    ]


def _response(label: str, stats: ResponseStats) -> str:
    if not stats.answered:
        return f"{label}: ответов не было."
    median = num(stats.median_hours or 0.0)
    p90 = num(stats.p90_hours or 0.0)
    return (
        f"{label}: в срок {share(stats.within_sla, stats.answered)} "
        f"({stats.within_sla} из {stats.answered}); медиана {median} раб. ч, "
        f"90% — быстрее {p90} раб. ч."
    )


def _open(open_by_status: dict[IssueStatus, int]) -> str:
    total = sum(open_by_status.values())
    parts = ", ".join(f"{STATUS_OPEN_NAMES[s]} {n}" for s, n in open_by_status.items())
    return f"<b>Открыто сейчас: {total}</b> — {parts}."


def _late(item: LateIssue, *, overdue: bool) -> str:
    parts = [f"№{item.number}", esc(item.chat_name), STATUS_NAMES[item.status]]
    if item.status is IssueStatus.ON_CONTROL and item.due_date is not None:
        parts[-1] = f"на контроле до {day_month(item.due_date)}"
    if item.assignee:
        parts.append(esc(item.assignee))
    if overdue:
        parts.append(f"просрочено на {num(item.age_hours)} раб. ч")
    return " · ".join(parts)


def _more(count: int) -> str:
    return f"…и ещё {count}."


def _chats(lines: Sequence[ChatLine], *, received_label: str) -> list[str]:
    if not lines:
        return []
    ordered = sorted(lines, key=lambda c: (-c.open, -c.received, c.name))
    out = [f"<b>По чатам</b> ({received_label} / открыто сейчас)"]
    out += [f"{esc(c.name)}: {c.received} / {c.open}" for c in ordered[:GROUP_LINES]]
    if len(ordered) > GROUP_LINES:
        out.append(_more(len(ordered) - GROUP_LINES))
    return out


def _departments(lines: Sequence[DepartmentLine], *, received_label: str) -> list[str]:
    if not lines:
        return []
    out = [f"<b>По отделам</b> ({received_label} / закрыто / открыто сейчас)"]
    out += [
        f"{esc(d.name) if d.name else 'Общий чат'}: {d.received} / {d.closed} / {d.open}"
        for d in lines
    ]
    return out


def _specialists(lines: Sequence[SpecialistLine]) -> list[str]:
    if not lines:
        return []
    ordered = sorted(lines, key=lambda s: (-s.open, -s.closed, s.name))
    out = ["<b>По специалистам</b> (ответил / закрыл / открыто сейчас)"]
    for s in ordered[:GROUP_LINES]:
        line = f"{esc(s.name)}: {s.answered} / {s.closed} / {s.open}"
        if s.closed or s.not_resolved:
            line += f"; подтверждено {s.confirmed}, «не решено» {s.not_resolved}"
        out.append(line)
    if len(ordered) > GROUP_LINES:
        out.append(_more(len(ordered) - GROUP_LINES))
    return out


def digest(report: Digest, zone: ZoneInfo) -> str:
    lines = [
        f"<b>Сводка обращений на {local_time(report.now, zone)}</b>",
        f"С {local_time(report.since, zone)}:",
        *_counts(report.period.counts),
        "",
        _open(report.period.open_by_status),
        "",
    ]
    if report.overdue_total:
        lines.append(f"<b>Просрочено: {report.overdue_total}</b> (сначала самые давние)")
        lines += [_late(item, overdue=True) for item in report.overdue]
        if report.overdue_total > len(report.overdue):
            lines.append(_more(report.overdue_total - len(report.overdue)))
    else:
        lines.append("Просроченных обращений нет.")
    if report.due_today_total:
        lines += ["", f"<b>На контроле, срок сегодня: {report.due_today_total}</b>"]
        lines += [_late(item, overdue=False) for item in report.due_today]
        if report.due_today_total > len(report.due_today):
            lines.append(_more(report.due_today_total - len(report.due_today)))
    lines += [
        "",
        "<b>Первый ответ</b>",
        _response("7 дней", report.response_7d),
        _response("30 дней", report.response_30d),
    ]
    for block in (
        _departments(report.period.departments, received_label="поступило с прошлой сводки"),
        _chats(report.period.chats, received_label="поступило с прошлой сводки"),
        _specialists(report.period.specialists),
    ):
        if block:
            lines += ["", *block]
    return "\n".join(lines)


def stats(report: Report, first: date, last: date) -> str:
    lines = [
        f"<b>Статистика за {period_words(first, last)}</b>",
        *_counts(report.counts),
        _response("Первый ответ", report.response),
        "",
        _open(report.open_by_status),
    ]
    for block in (
        _departments(report.departments, received_label="поступило за период"),
        _chats(report.chats, received_label="поступило за период"),
        _specialists(report.specialists),
    ):
        if block:
            lines += ["", *block]
    return "\n".join(lines)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut a long report into messages at line breaks; every line keeps its own tags."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        line = line[:limit]
        if current and size + len(line) + 1 > limit:
            parts.append("\n".join(current).strip("\n"))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        parts.append("\n".join(current).strip("\n"))
    return [part for part in parts if part]


def moment(value: datetime | None, zone: ZoneInfo) -> str:
    return local_time(value, zone) if value is not None else ""


YES = "да"
NO = "нет"
SHEET_ANNOUNCEMENTS = "Объявления"
ANNOUNCEMENT_COLUMNS = (
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
DELIVERY_NAMES = {
    "sent": "доставлено",
    "failed": "не доставлено",
    "cancelled": "отменено",
    "pending": "в очереди",
    "sending": "отправляется",
}
"""An announcement's delivery to one chat, by the state of its outbox entry."""
MEDIA_NAMES = {"photo": "фото", "document": "документ"}
