"""Texts of announcements and polls: the step-by-step dialogs, previews, reports, lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.announcements import (
    Announcement,
    AnnouncementStatus,
    Delivery,
    DeliveryStatus,
    DeliverySummary,
    PollRecord,
    PollStatus,
    PollTally,
    Recurrence,
    Repeat,
    TargetKind,
    Targets,
)
from bot.domain.outgoing import MAYBE_SENT
from bot.texts.format import esc, fit_lines, local_time, plain, quote

WEEKDAYS_ACC = ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье")

CANCEL_HINT = "\n\n/cancel — отменить."

ASK_CONTENT = (
    "<b>Новое объявление.</b> Пришлите его текст (форматирование сохранится) "
    "или фото либо документ с подписью." + CANCEL_HINT
)
BAD_CONTENT = "Нужен текст, фото или документ (файл). Пришлите объявление ещё раз." + CANCEL_HINT
CAPTION_TOO_LONG = "Подпись к фото или документу — не длиннее 1024 символов. Сократите её."
ASK_TARGETS = "Кому отправить?"
NO_ORGS = (
    "Ни у одного чата нет организации. Укажите её в чате дома: /setorg Название "
    "или /register building Название org=Организация."
)
ASK_ORG = "Дома какой организации?"
NO_TARGETS = "В выбранных чатах никого: нет ни одного подходящего подключённого чата."
ASK_WHEN = (
    "Когда отправить? Нажмите «Сейчас» или пришлите местное время:\n"
    "• <code>25.12.2026 09:30</code>, <code>завтра 8:00</code>, <code>через 2 часа</code>;\n"
    "• повторять: <code>ежедневно 08:00</code>, <code>по вторникам 07:30</code>."
)
BAD_WHEN = (
    "Не понял время. Примеры: <code>25.12.2026 09:30</code>, <code>18:00</code>, "
    "<code>через 30 минут</code>, <code>ежедневно 08:00</code>, <code>по вторникам 07:30</code>."
)
PAST_WHEN = "Это время уже прошло. Укажите момент в будущем, например <code>завтра 9:00</code>."
ASK_PIN = "Закрепить объявление в чатах?"
ASK_QUESTION = "<b>Новый опрос.</b> Пришлите вопрос (до 300 символов)." + CANCEL_HINT
BAD_QUESTION = "Вопрос — обычным текстом, до 300 символов. Пришлите его ещё раз."
ASK_OPTIONS = (
    "Пришлите варианты ответа одним сообщением, каждый с новой строки (от 2 до 10, "
    "каждый до 100 символов)."
)
BAD_OPTIONS = "Нужно от 2 до 10 разных вариантов, каждый с новой строки и не длиннее 100 символов."
ASK_ANONYMOUS = "Голосование анонимное?"
ASK_MULTIPLE = "Можно выбрать несколько вариантов?"
ASK_CLOSES = (
    "Когда завершить опрос? Пришлите местное время: <code>25.12.2026 18:00</code>, "
    "<code>завтра 12:00</code> или <code>через 3 дня</code>."
)
BAD_CLOSES = "Не понял время. Примеры: <code>25.12.2026 18:00</code>, <code>через 2 часа</code>."
ASK_SHARE = "Когда опрос завершится, итоги получите вы. Опубликовать их и во всех чатах опроса?"
ASK_EDIT = (
    "Пришлите новый текст объявления №{id} — он заменит прежний во всех чатах." + CANCEL_HINT
)
CANCELLED_DIALOG = "Отменено. Ничего не отправлено."
NOTHING_TO_CANCEL = "Отменять нечего."
EXPIRED_BUTTON = "Эта кнопка уже не действует. Начните заново: /announce или /poll."
USE_BUTTONS = "Выберите вариант кнопкой выше или /cancel — отменить."
SPECIALISTS_NOT_ALLOWED = (
    "Объявления и опросы рассылают администраторы бота"
    " (специалистам это разрешается в настройках: announcements.allow_specialists)."
)
PRIVATE_ONLY = "Объявления и опросы готовятся в личном чате с ботом: напишите мне /announce."

BUTTON_BUILDINGS = "Все дома ({count})"
BUTTON_TOPICS = "Все тематические чаты ({count})"
BUTTON_ORG = "Дома организации…"
BUTTON_CHOOSE = "Выбрать чаты…"
BUTTON_DONE = "Готово ({count})"
BUTTON_NOW = "Сейчас"
BUTTON_YES = "Да"
BUTTON_NO = "Нет"
BUTTON_PIN = "Закрепить"
BUTTON_NO_PIN = "Не закреплять"
BUTTON_ANON = "Анонимное"
BUTTON_OPEN = "Открытое"
BUTTON_ONE = "Один вариант"
BUTTON_MANY = "Несколько"
BUTTON_SEND = "Отправить"
BUTTON_CANCEL = "Отменить"
BUTTON_PREV = "◀"
BUTTON_NEXT = "▶"

STATUS_NAMES = {
    AnnouncementStatus.SCHEDULED: "запланировано",
    AnnouncementStatus.SENDING: "рассылается",
    AnnouncementStatus.DONE: "отправлено",
    AnnouncementStatus.CANCELLED: "отменено",
    AnnouncementStatus.DELETED: "удалено",
    AnnouncementStatus.RECURRING: "повторяется",
    AnnouncementStatus.STOPPED: "остановлено",
}

POLL_STATUS_NAMES = {
    PollStatus.OPEN: "идёт",
    PollStatus.CLOSING: "завершается",
    PollStatus.CLOSED: "завершён",
    PollStatus.CANCELLED: "отменён",
}

_REASONS = (
    ("kicked", "бот удалён из чата"),
    ("not a member", "бот не состоит в чате"),
    ("chat not found", "чат не найден"),
    ("blocked", "бот заблокирован"),
    ("not enough rights", "у бота нет прав"),
    ("upgraded to a supergroup", "чат стал супергруппой"),
    ("deactivated", "чат удалён"),
    ("can't be deleted", "сообщение уже нельзя удалить (прошло больше 48 часов)"),
    ("can't be edited", "сообщение уже нельзя изменить"),
    ("internal error", "внутренняя ошибка"),
    (MAYBE_SENT, "возможно, доставлено до перезапуска бота; повторно не отправлялось"),
)

MAYBE_DELIVERED = (
    "Возможно, доставлено (бот перезапустился во время отправки; повторно не отправляли, "
    "проверьте чат):"
)


def reason(error: str | None) -> str:
    """A Telegram refusal as a press officer would say it; unknown ones are shown as is."""
    text = (error or "").lower()
    for needle, said in _REASONS:
        if needle in text:
            return said
    return esc(error or "неизвестная ошибка")


def targets_name(targets: Targets, count: int) -> str:
    if targets.kind is TargetKind.BUILDINGS:
        return f"все дома ({count})"
    if targets.kind is TargetKind.TOPICS:
        return f"все тематические чаты ({count})"
    if targets.kind is TargetKind.ORG:
        return f"дома организации «{esc(targets.org or '')}» ({count})"
    return f"выбранные чаты ({count})"


def recurrence_name(recurrence: Recurrence) -> str:
    at = recurrence.at.strftime("%H:%M")
    if recurrence.repeat is Repeat.DAILY:
        return f"ежедневно в {at}"
    assert recurrence.weekday is not None
    return f"каждую неделю, в {WEEKDAYS_ACC[recurrence.weekday]} в {at}"


def chats_prompt(selected: int, page: int, pages: int) -> str:
    return f"Отметьте чаты (выбрано: {selected}). Страница {page + 1} из {pages}."


def preview_summary(
    names: Sequence[str],
    targets: Targets,
    when: datetime | None,
    recurrence: Recurrence | None,
    pin: bool,
    zone: ZoneInfo,
) -> str:
    if recurrence is not None:
        timing = (
            f"{recurrence_name(recurrence)}, первый раз {local_time(when, zone)}" if when else ""
        )
    elif when is not None:
        timing = local_time(when, zone)
    else:
        timing = "сразу после нажатия «Отправить»"
    lines = [f"• {esc(name)}" for name in names]
    header = (
        "<b>Предпросмотр</b>: сообщение выше жители увидят точно таким.\n"
        f"Получатели: {targets_name(targets, len(names))}.\n"
        f"Когда: {timing}.\nЗакрепить: {'да' if pin else 'нет'}.\n"
        "Ничего не будет отправлено, пока вы не нажмёте «Отправить».\n"
    )
    return fit_lines(header, lines, "…и ещё {count}")


def poll_preview(
    question: str,
    options: Sequence[str],
    anonymous: bool,
    multiple: bool,
    names: Sequence[str],
    targets: Targets,
    closes_at: datetime,
    share: bool,
    zone: ZoneInfo,
) -> str:
    variants = "\n".join(f"{i}. {esc(option)}" for i, option in enumerate(options, 1))
    header = (
        f"<b>Предпросмотр опроса.</b>\n<b>{esc(question)}</b>\n{variants}\n\n"
        f"{'Анонимный' if anonymous else 'Открытый (видно, кто как голосовал)'}, "
        f"{'можно несколько вариантов' if multiple else 'один вариант'}.\n"
        f"Завершится: {local_time(closes_at, zone)}. Итоги в чатах: {'да' if share else 'нет'}.\n"
        f"Получатели: {targets_name(targets, len(names))}.\n"
    )
    return fit_lines(header, [f"• {esc(name)}" for name in names], "…и ещё {count}")


def queued(announcement_id: int, count: int) -> str:
    return (
        f"Объявление №{announcement_id} отправляется в {count} чат(ов). "
        "Отчёт о доставке придёт сюда."
    )


def scheduled(announcement_id: int, count: int, at: datetime, zone: ZoneInfo) -> str:
    return (
        f"Объявление №{announcement_id} запланировано на {local_time(at, zone)} "
        f"({count} чат(ов)). Отменить: /announcements."
    )


def recurring_created(
    announcement_id: int, recurrence: Recurrence, first: datetime, zone: ZoneInfo
) -> str:
    return (
        f"Повторяющееся объявление №{announcement_id}: {recurrence_name(recurrence)}, "
        f"первый раз {local_time(first, zone)}. Остановить: /announcements."
    )


def report(a: Announcement, deliveries: Sequence[Delivery]) -> str:
    s = DeliverySummary.of(deliveries)
    total = len(deliveries)
    header = f"<b>Объявление №{a.id}: отчёт о доставке.</b>\nДоставлено: {s.delivered} из {total}."
    if a.pin:
        header += f" Закреплено: {s.pinned}."
    cancelled = sum(d.status is DeliveryStatus.CANCELLED for d in deliveries)
    if cancelled:
        header += f" Отменено: {cancelled}."
    lines: list[str] = []
    failed = [d for d in deliveries if d.status is DeliveryStatus.FAILED]
    # A copy whose send a restart cut short may have reached the chat; it is neither counted
    # as delivered nor called a failure, and the admin sees where to check.
    unknown = [d for d in failed if d.error == MAYBE_SENT]
    failed = [d for d in failed if d.error != MAYBE_SENT]
    if failed:
        lines.append("Не доставлено:")
        lines += [f"• {esc(d.chat_name)} — {reason(d.error)}" for d in failed]
    if unknown:
        lines.append(MAYBE_DELIVERED)
        lines += [f"• {esc(d.chat_name)}" for d in unknown]
    unpinned = [
        d for d in deliveries if a.pin and d.status is DeliveryStatus.SENT and not d.pinned
    ]
    if unpinned:
        lines.append("Не закреплено:")
        lines += [f"• {esc(d.chat_name)} — {reason(d.pin_error)}" for d in unpinned]
    return fit_lines(header, lines, "…и ещё {count} чат(ов)")


def cancelled(announcement_id: int, count: int) -> str:
    return f"Объявление №{announcement_id} отменено: в {count} чат(ов) оно не уйдёт."


def cannot_cancel(announcement_id: int) -> str:
    return f"Объявление №{announcement_id} уже отправлено — его можно изменить или удалить."


def stopped(announcement_id: int) -> str:
    return f"Повторяющееся объявление №{announcement_id} остановлено."


def edit_queued(announcement_id: int, count: int) -> str:
    return f"Новый текст объявления №{announcement_id} отправляется в {count} чат(ов)."


def delete_confirm(announcement_id: int, count: int) -> str:
    return f"Удалить объявление №{announcement_id} из {count} чат(ов)? Это нельзя отменить."


def delete_queued(announcement_id: int, count: int) -> str:
    return f"Объявление №{announcement_id} удаляется из {count} чат(ов)."


def not_found(announcement_id: int) -> str:
    return f"Объявления №{announcement_id} нет. Список: /announcements."


def still_sending(announcement_id: int) -> str:
    return (
        f"Объявление №{announcement_id} ещё рассылается; изменить его можно после отчёта "
        "о доставке."
    )


def nothing_sent(announcement_id: int) -> str:
    return f"Объявление №{announcement_id} ещё никуда не доставлено — менять и удалять нечего."


def announcement_line(a: Announcement, s: DeliverySummary | None, zone: ZoneInfo) -> str:
    text = quote(plain(a.text), 60) or "(файл)"
    line = f"№{a.id} {STATUS_NAMES[a.status]}"
    if a.recurrence is not None and a.status is AnnouncementStatus.RECURRING:
        line += f", {recurrence_name(a.recurrence)}"
        if a.scheduled_at:
            line += f", следующее {local_time(a.scheduled_at, zone)}"
    elif a.status is AnnouncementStatus.SCHEDULED and a.scheduled_at:
        line += f" на {local_time(a.scheduled_at, zone)}"
    else:
        line += f" {local_time(a.queued_at or a.created_at, zone)}"
    if s is not None and a.status in (AnnouncementStatus.SENDING, AnnouncementStatus.DONE):
        line += f": доставлено {s.delivered}, ошибок {s.failed}"
        if s.pending:
            line += f", в очереди {s.pending}"
    return f"{line}\n   «{text}»"


def announcements_list(lines: Sequence[str]) -> str:
    if not lines:
        return "Объявлений пока нет. Новое: /announce."
    return fit_lines("<b>Объявления</b> (новые сверху):", list(lines), "…и ещё {count}")


# --- polls -----------------------------------------------------------------------------


def poll_queued(poll_id: int, count: int, closes_at: datetime, zone: ZoneInfo) -> str:
    return (
        f"Опрос №{poll_id} отправляется в {count} чат(ов). "
        f"Завершится {local_time(closes_at, zone)}; итоги придут сюда. Текущие итоги: /polls."
    )


def poll_closing(poll_id: int) -> str:
    return f"Опрос №{poll_id} завершается: останавливаю голосование во всех чатах."


def poll_not_found(poll_id: int) -> str:
    return f"Опроса №{poll_id} нет. Список: /polls."


def poll_already_closed(poll_id: int) -> str:
    return f"Опрос №{poll_id} уже завершён."


def _bars(tally: PollTally) -> list[str]:
    lines = []
    for option, count in zip(tally.options, tally.totals, strict=True):
        share = round(100 * count / tally.voters) if tally.voters else 0
        lines.append(f"• {esc(option)} — {count} ({share}%)")
    return lines


def poll_result_caption(poll: PollRecord, tally: PollTally) -> str:
    head = f"<b>Итоги опроса №{poll.id}</b>\n{esc(poll.question)}\n"
    body = "\n".join(_bars(tally))
    text = f"{head}{body}\nПроголосовали: {tally.voters}."
    return text if len(text) <= 1000 else text[:999] + "…"


def button_poll(
    question: str, options: Sequence[str], counts: Sequence[int], voters: int, *, closed: bool
) -> str:
    """A poll shown as a message with one button per option (MAX), with its live totals."""
    lines = [f"📊 <b>{'Опрос завершён' if closed else 'Опрос'}</b>", esc(question), ""]
    lines += [f"• {esc(option)} — {count}" for option, count in zip(options, counts, strict=True)]
    lines.append(f"\nПроголосовали: {voters}.")
    if not closed:
        lines.append("Нажмите кнопку с вашим вариантом; голос можно изменить.")
    return "\n".join(lines)


def vote_taken(options: Sequence[str], chosen: Sequence[int]) -> str:
    if not chosen:
        return "Ваш голос снят."
    picked = "; ".join(options[i] for i in chosen if 0 <= i < len(options))
    return f"Голос учтён: {picked}"[:200]


VOTE_CLOSED = "Этот опрос уже завершён."

MESSENGER_NAMES = {"telegram": "Telegram", "max": "MAX"}


def poll_breakdown(
    poll: PollRecord, tally: PollTally, voters: Sequence[tuple[str, Sequence[int]]]
) -> str:
    lines: list[str] = []
    for chat in tally.chats:
        if not chat.delivered:
            lines.append(f"• {esc(chat.chat_name)}: не доставлен — {reason(chat.error)}")
            continue
        counts = ", ".join(str(c) for c in chat.counts)
        lines.append(f"• {esc(chat.chat_name)}: {counts} (голосов: {chat.voters})")
    per_messenger = tally.by_messenger()
    if len(per_messenger) > 1:
        lines.append("\nПо мессенджерам:")
        for part in per_messenger:
            counts = ", ".join(str(c) for c in part.counts)
            name = MESSENGER_NAMES.get(part.messenger, part.messenger)
            lines.append(f"• {name}: {counts} (голосов: {part.voters})")
    if voters:
        lines.append("\nКто как голосовал:")
        for name, chosen in voters:
            picked = "; ".join(esc(poll.options[i]) for i in chosen if 0 <= i < len(poll.options))
            lines.append(f"• {esc(name)}: {picked}")
    header = f"<b>Опрос №{poll.id} по чатам</b> (варианты по порядку):"
    return fit_lines(header, lines, "…и ещё {count}")


def poll_line(poll: PollRecord, tally: PollTally, zone: ZoneInfo) -> str:
    status = POLL_STATUS_NAMES[poll.status]
    when = local_time(poll.closed_at or poll.closes_at, zone)
    totals = ", ".join(f"{esc(o)}: {c}" for o, c in zip(tally.options, tally.totals, strict=True))
    until = "до" if poll.status is PollStatus.OPEN else ""
    return (
        f"№{poll.id} {status} {until} {when}".replace("  ", " ")
        + f"\n   «{quote(poll.question, 80)}» — {totals}; голосов: {tally.voters}"
    )


def polls_list(lines: Sequence[str]) -> str:
    if not lines:
        return "Опросов пока нет. Новый: /poll."
    return fit_lines("<b>Опросы</b> (новые сверху):", list(lines), "…и ещё {count}")


BUTTON_CLOSE_POLL = "Завершить №{id}"
BUTTON_CANCEL_ANN = "Отменить №{id}"
BUTTON_STOP_ANN = "Остановить №{id}"
BUTTON_EDIT_ANN = "Изменить №{id}"
BUTTON_DELETE_ANN = "Удалить №{id}"
BUTTON_DELETE_YES = "Да, удалить №{id}"

# --- chats' organisation ---------------------------------------------------------------

USAGE_SETORG = (
    "Использование: /setorg Название организации — в чате дома; /setorg - — убрать. "
    "Например: /setorg УК Северная."
)


def org_set(name: str, org: str | None) -> str:
    if org is None:
        return f"У чата «{esc(name)}» больше нет организации."
    return f"Чат «{esc(name)}» обслуживает «{esc(org)}»."
