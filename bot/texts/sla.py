"""Texts of the SLA clock: acknowledgements with the expected answer time, reminders,
escalations, the resident's verdict, personal lists and the weekly public summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.models import Issue
from bot.domain.sla import WeekFigures
from bot.texts.format import MESSAGE_LIMIT, day_month, esc, full_date, local_time, quote

WEEKDAYS_GENITIVE = (
    "понедельника",
    "вторника",
    "среды",
    "четверга",
    "пятницы",
    "субботы",
    "воскресенья",
)
WEEKDAYS_ACCUSATIVE = (
    "в понедельник",
    "во вторник",
    "в среду",
    "в четверг",
    "в пятницу",
    "в субботу",
    "в воскресенье",
)
WEEKDAYS_PLURAL = (
    "по понедельникам",
    "по вторникам",
    "по средам",
    "по четвергам",
    "по пятницам",
    "по субботам",
    "по воскресеньям",
)

BUTTON_RESOLVED = "Решено"
BUTTON_NOT_RESOLVED = "Не решено"


def hhmm(moment: datetime | time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _day_word(day: date, today: date) -> str | None:
    if day == today:
        return "сегодня"
    if day == today + timedelta(days=1):
        return "завтра"
    return None


def deadline(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """ "сегодня до 11:00", "завтра до 11:00", "до понедельника, 11:00", "до 12 января, 11:00"."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    word = _day_word(local.date(), today)
    if word is not None:
        return f"{word} до {hhmm(local)}"
    if (local.date() - today).days < 7:
        return f"до {WEEKDAYS_GENITIVE[local.weekday()]}, {hhmm(local)}"
    return f"до {day_month(local.date())}, {hhmm(local)}"


def opening(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """ "сегодня в 09:00", "завтра в 09:00", "в понедельник в 09:00", "12 января в 09:00"."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    word = _day_word(local.date(), today)
    if word is not None:
        return f"{word} в {hhmm(local)}"
    if (local.date() - today).days < 7:
        return f"{WEEKDAYS_ACCUSATIVE[local.weekday()]} в {hhmm(local)}"
    return f"{day_month(local.date())} в {hhmm(local)}"


def acknowledgement(
    number: int, answer_due: datetime, opens_at: datetime | None, now: datetime, zone: ZoneInfo
) -> str:
    text = f"Заявка №{number} принята. Ответ специалиста — {deadline(answer_due, now, zone)}."
    if opens_at is not None:
        text += (
            f"\nСейчас администрация не работает; приём откроется {opening(opens_at, now, zone)}."
        )
    return text


def working_duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return "меньше минуты"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} мин"
    return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"


@dataclass(frozen=True, slots=True)
class ReminderLine:
    issue: Issue
    chat_name: str
    waiting: timedelta  # working time since filing (first response) or nothing (control)


def reminder_line(line: ReminderLine, zone: ZoneInfo) -> str:
    issue = line.issue
    due = local_time(issue.response_due_at, zone) if issue.response_due_at else "—"
    return (
        f"№{issue.number} · {esc(line.chat_name)} · ждёт ответа "
        f"{working_duration(line.waiting)} рабочего времени (срок {due}) · "
        f"{quote(issue.text, limit=80)}"
    )


def control_line(line: ReminderLine) -> str:
    issue = line.issue
    due = full_date(issue.due_date) if issue.due_date else "—"
    who = f" · исполнитель: {esc(issue.assignee.name)}" if issue.assignee else ""
    return (
        f"№{issue.number} · {esc(line.chat_name)} · срок контроля {due}{who} · "
        f"{quote(issue.text, limit=80)}"
    )


REMINDER_HEADER = "⏰ <b>Обращения без ответа</b> (взять: /take N)"
CONTROL_HEADER = "📌 <b>Наступил срок контроля</b>"
ESCALATION_HEADER = "🔺 <b>Эскалация: обращения без ответа дольше срока</b>"


def escalation_line(line: ReminderLine, zone: ZoneInfo) -> str:
    issue = line.issue
    return (
        f"№{issue.number} · чат «{esc(line.chat_name)}» · подано "
        f"{local_time(issue.created_at, zone)} · без ответа "
        f"{working_duration(line.waiting)} рабочего времени · {quote(issue.text, limit=120)}"
    )


def sections(*parts: tuple[str, Sequence[str]]) -> list[str]:
    """Header and lines of each non-empty section, as one flat list of lines."""
    lines: list[str] = []
    for header, items in parts:
        if items:
            if lines:
                lines.append("")
            lines.append(header)
            lines.extend(items)
    return lines


def split_message(lines: Sequence[str], limit: int = MESSAGE_LIMIT - 96) -> list[str]:
    """Lines joined into as few messages as Telegram's length limit allows; a line longer
    than the limit is cut."""
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for raw in lines:
        line = raw if len(raw) <= limit else raw[: limit - 1] + "…"
        if current and size + len(line) + 1 > limit:
            messages.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        messages.append("\n".join(current))
    return messages


# --- the resident's verdict ---------------------------------------------------------------


def verdict_question() -> str:
    return "\n\nВопрос решён? Нажмите кнопку ниже."


def verdict_given(resolved: bool) -> str:
    if resolved:
        return "\n\nОценка автора: ✅ решено. Спасибо!"
    return "\n\nОценка автора: ❌ не решено — обращение снова в работе."


def way_out(url: str) -> str:
    """Offered after repeated «Не решено»: the regional feedback platform's form."""
    return (
        "\n\nЕсли вопрос так и не решён, вы можете обратиться через платформу обратной связи "
        f'Госуслуг (ПОС): <a href="{esc(url)}">форма обращения в администрацию</a>.'
    )


def way_out_alert(number: int, times: int) -> str:
    return (
        f"⚠️ Автор обращения №{number} уже {times}-й раз отметил «Не решено»; "
        "ему предложена форма на платформе обратной связи (ПОС)."
    )


def verdict_thanks(number: int) -> str:
    return f"Спасибо! Отметили, что вопрос №{number} решён."


def verdict_reopened(number: int) -> str:
    return f"Обращение №{number} снова в работе, специалисты получили уведомление."


def verdict_not_author() -> str:
    return "Оценить ответ может только автор обращения. Спасибо за участие!"


def verdict_already(number: int) -> str:
    return f"Оценка по обращению №{number} уже учтена."


def verdict_not_closed(number: int) -> str:
    return f"Обращение №{number} сейчас не закрыто — оценивать пока нечего."


def not_resolved_alert(issue: Issue, chat_name: str) -> str:
    who = f" Исполнитель: {esc(issue.assignee.name)}." if issue.assignee else ""
    return (
        f"↩️ Автор обращения №{issue.number} ({esc(issue.author.name)}, «{esc(chat_name)}») "
        f"ответил(а) «Не решено» — обращение снова в работе.{who}\n"
        f"Ответ был: {quote(issue.answer or '', limit=300)}"
    )


# --- personal morning lists -----------------------------------------------------------------


def personal_digest(
    overdue_control: Sequence[Issue],
    due_today: Sequence[Issue],
    returned: Sequence[Issue],
    unanswered: Sequence[ReminderLine],
    zone: ZoneInfo,
) -> list[str]:
    def item(issue: Issue) -> str:
        due = f" · срок {full_date(issue.due_date)}" if issue.due_date else ""
        return f"№{issue.number}{due} · {quote(issue.text, limit=80)}"

    lines = ["☀️ <b>Ваши обращения на сегодня</b>"]
    lines += sections(
        ("<b>Просрочены:</b>", [item(issue) for issue in overdue_control]),
        ("<b>Срок — сегодня:</b>", [item(issue) for issue in due_today]),
        ("<b>Жители ответили «Не решено»:</b>", [item(issue) for issue in returned]),
        (
            "<b>Без ответа дольше срока (общие):</b>",
            [reminder_line(line, zone) for line in unanswered],
        ),
    )
    return lines


# --- weekly public summary -------------------------------------------------------------------


def weekly_summary(chat_name: str, start: date, end: date, figures: WeekFigures) -> list[str]:
    lines = [
        f"📊 <b>Спрашивали — сделано</b>: итоги недели в чате «{esc(chat_name)}» "
        f"({day_month(start)} — {day_month(end)})",
        f"Поступило обращений: {figures.received}",
        f"Получили ответ специалиста: {figures.answered}",
        f"Закрыто: {figures.closed}",
        f"Остаются открытыми: {figures.still_open}",
    ]
    if figures.closed_issues:
        lines.append("")
        lines.append("<b>Сделано:</b>")
        for issue in figures.closed_issues:
            lines.append(
                f"№{issue.number} «{quote(issue.text, limit=70)}» → "
                f"{quote(issue.answer or '', limit=120)}"
            )
    return lines


USAGE_WEEKLY = (
    "Использование: /weekly on — публиковать в этом чате итоги недели, "
    "/weekly off — не публиковать."
)
WEEKLY_ADMINS_ONLY = "Включать и выключать итоги недели могут только администраторы бота."
WEEKLY_ONLY_PUBLIC = "Итоги недели публикуются только в чатах домов и тематических чатах."


def weekly_state(enabled: bool, weekday: int, at: time) -> str:
    if enabled:
        return (
            f"Итоги недели в этом чате включены: {WEEKDAYS_PLURAL[weekday - 1]} "
            f"в {hhmm(at)}. Выключить: /weekly off."
        )
    return "Итоги недели в этом чате выключены. Включить: /weekly on."
