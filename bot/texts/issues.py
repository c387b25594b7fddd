"""Texts of the issue desk: acknowledgements, staff cards, notices, lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.domain.models import (
    ChatPlace,
    Issue,
    IssueAction,
    IssueHistory,
    IssueStatus,
    Person,
)
from bot.texts.format import esc, fit_lines, full_date, local_time, mention, quote

STATUS_NAMES = {
    IssueStatus.NEW: "новое",
    IssueStatus.IN_PROGRESS: "в работе",
    IssueStatus.ON_CONTROL: "на контроле",
    IssueStatus.AWAITING: "ждёт уточнения",
    IssueStatus.CLOSED: "закрыто",
}

ACTION_NAMES = {
    IssueAction.TAKE: "взято в работу",
    IssueAction.CONTROL: "поставлено на контроль",
    IssueAction.CLOSE: "закрыто",
    IssueAction.REOPEN: "возвращено в работу",
    IssueAction.ASK: "вопрос жителю",
    IssueAction.ANSWER: "ответ жителя",
    IssueAction.CONTACT: "связь с жителем",
    IssueAction.MERGE: "объединение",
    IssueAction.CATEGORY: "категория",
    IssueAction.TRANSFER: "передано",
}

BUTTON_TAKE = "Взять"
BUTTON_CLOSE = "Закрыть"
BUTTON_REOPEN = "Вернуть в работу"
BUTTON_CONTROL = "На контроль"
BUTTON_ASK = "Уточнить"
BUTTON_CONTACT = "Связаться"
BUTTON_MERGE = "Объединить"
BUTTON_CATEGORY = "Категория"
BUTTON_TRANSFER = "Передать"
NO_CATEGORIES = "Категории обращений не настроены (раздел [categories] в настройках)."


def acknowledgement(number: int) -> str:
    return f"Заявка №{number} принята. Ответ специалиста — в рабочее время."


def staff_card(issue: Issue, chat_name: str, zone: ZoneInfo, merged: Sequence[int] = ()) -> str:
    lines = [
        f"<b>№{issue.number}</b> · {esc(chat_name)} · {issue.tag or 'без тега'}"
        + (f" · {esc(issue.category_name)}" if issue.category_name else ""),
        f"От: {esc(issue.author.name)} · {local_time(issue.created_at, zone)}",
        "",
        quote(issue.text, limit=2500),
    ]
    if issue.department:
        lines.insert(1, f"Отдел: <b>{esc(issue.department)}</b>")
    if issue.private:
        lines.insert(1, "🔒 Личное обращение: ответ уходит жителю в личный чат, в группе не виден")
    if issue.attachments:
        lines.append(f"📎 вложений: {len(issue.attachments)}")
    lines.append("")
    lines.append(f"Статус: <b>{STATUS_NAMES[issue.status]}</b>{_status_details(issue)}")
    if issue.status is IssueStatus.AWAITING and issue.awaiting_since is not None:
        lines.append(
            f"Срок решения остановлен: ждём ответа жителя с "
            f"{local_time(issue.awaiting_since, zone)}"
        )
    elif issue.status.is_open and issue.resolve_due_at is not None:
        lines.append(f"Срок решения: {local_time(issue.resolve_due_at, zone)}")
    if issue.contacts:
        lines.append(f"Связь с жителем лично: {issue.contacts}")
    if issue.merged_into is not None:
        lines.append(f"Дубликат обращения №{issue.merged_into}")
    if merged:
        lines.append("Объединены: " + ", ".join(f"№{number}" for number in merged))
    return "\n".join(lines)


def _status_details(issue: Issue) -> str:
    parts = []
    if issue.assignee is not None and issue.status is not IssueStatus.NEW:
        parts.append(f"исполнитель: {esc(issue.assignee.name)}")
    if issue.status is IssueStatus.ON_CONTROL and issue.due_date is not None:
        parts.append(f"срок: {full_date(issue.due_date)}")
    if issue.status is IssueStatus.CLOSED and issue.answer:
        parts.append(f"ответ: {quote(issue.answer, limit=600)}")
    return (" — " + "; ".join(parts)) if parts else ""


def resident_notice(issue: Issue, action: IssueAction, comment: str | None) -> str:
    number = issue.number
    if action is IssueAction.TAKE:
        who = esc(issue.assignee.name) if issue.assignee else "специалист"
        return f"Заявка №{number} взята в работу. Исполнитель: {who}."
    if action is IssueAction.CONTROL:
        due = full_date(issue.due_date) if issue.due_date else "—"
        text = f"Заявка №{number} поставлена на контроль до {due}."
        if comment:
            text += f"\nКомментарий: {quote(comment)}"
        return text
    if action is IssueAction.CLOSE:
        # An answer is at most a command's length; only its very end could be cut, so the
        # notice with the verdict question stays within Telegram's 4096 characters.
        return f"Заявка №{number} закрыта.\nОтвет: {quote(issue.answer or '', limit=3950)}"
    return f"Заявка №{number} снова в работе."


def transition_done(number: int, action: IssueAction) -> str:
    if action is IssueAction.ASK:
        return f"Вопрос по обращению №{number} отправлен жителю; срок решения остановлен."
    return f"Обращение №{number} {ACTION_NAMES[action]}."


def question(issue: Issue, text: str) -> str:
    """The question to the resident, under their own message; the mention notifies them."""
    return (
        f"{mention(issue.author)}, специалист уточняет по обращению №{issue.number}:\n"
        f"{quote(text, limit=3500)}\n\n"
        "Ответьте, пожалуйста, на это сообщение (кнопка «Ответить»)."
    )


def answer_received(number: int) -> str:
    return f"Спасибо! Ответ передан специалисту, обращение №{number} снова в работе."


def answer_for_staff(issue: Issue, text: str) -> str:
    who = f"{mention(issue.assignee)}, " if issue.assignee is not None else ""
    return (
        f"{who}житель ответил на вопрос по обращению №{issue.number} "
        f"({esc(issue.author.name)}):\n{quote(text, limit=3500)}"
    )


def silence_notice(issue: Issue, days: int) -> str:
    return (
        f"Житель не отвечает на вопрос по обращению №{issue.number} уже {days} раб. дн. "
        f"({quote(issue.text, limit=80)}). Свяжитесь с ним лично или закройте обращение."
    )


def appeal_where() -> str:
    return "О каком доме или теме ваше обращение? Его увидят только специалисты."


def appeal_about(name: str) -> str:
    return f"Личное обращение о «{esc(name)}» принято к регистрации."


def category_choice(issue: Issue) -> str:
    current = esc(issue.category_name) if issue.category_name else "не задана"
    return f"Категория обращения №{issue.number} (сейчас: {current}). Выберите новую:"


def category_set(number: int, name: str) -> str:
    return f"Категория обращения №{number}: {esc(name)}. Сроки пересчитаны."


def merge_prompt(number: int, specialist: Person) -> str:
    return (
        f"{mention(specialist)}, объединение: ответьте на это сообщение номером основного "
        f"обращения, дубликатом которого станет №{number} (или /merge N {number})."
    )


def merged_notice(duplicate: Issue, main: int) -> str:
    return (
        f"Ваше обращение №{duplicate.number} объединено с обращением №{main} о том же. "
        "Ответ специалиста придёт сюда же."
    )


def merged_done(main: int, duplicate: int) -> str:
    return f"Обращение №{duplicate} объединено с №{main}: ответ на №{main} получат оба жителя."


def merged_answer(duplicate: Issue, main: Issue) -> str:
    return (
        f"Обращение №{main.number}, с которым объединено ваше №{duplicate.number}, закрыто.\n"
        f"Ответ: {quote(main.answer or '', limit=3800)}"
    )


def control_prompt(number: int, specialist: Person) -> str:
    return (
        f"{mention(specialist)}, контроль обращения №{number}: ответьте на это сообщение "
        f"датой ГГГГ-ММ-ДД и, если нужно, комментарием (или /control {number} ГГГГ-ММ-ДД)."
    )


def ask_prompt(number: int, specialist: Person) -> str:
    return (
        f"{mention(specialist)}, вопрос жителю по обращению №{number}: ответьте на это "
        f"сообщение текстом вопроса (или отправьте /ask {number} вопрос)."
    )


def close_prompt(number: int, specialist: Person) -> str:
    # The mention makes Telegram open the reply field for this specialist only.
    return (
        f"{mention(specialist)}, закрытие обращения №{number}: ответьте на это сообщение "
        f"текстом ответа жителю (или отправьте /close {number} текст)."
    )


def already_filed(number: int) -> str:
    return f"Это сообщение уже зарегистрировано как обращение №{number}."


def history(entry: IssueHistory, chat_name: str, zone: ZoneInfo) -> str:
    issue = entry.issue
    lines = [staff_card(issue, chat_name, zone), "", "<b>История:</b>"]
    lines.append(f"{local_time(issue.created_at, zone)} — подано ({esc(issue.author.name)})")
    for step in entry.transitions:
        line = (
            f"{local_time(step.at, zone)} — {ACTION_NAMES[step.action]} ({esc(step.actor.name)})"
        )
        if step.comment:
            line += f": {quote(step.comment, limit=300)}"
        lines.append(line)
    for version in entry.text_versions:
        lines.append(f"{local_time(version.edited_at, zone)} — текст изменён автором")
    return fit_lines(lines[0], lines[1:], "…и ещё {count} записей")


def _issue_line(issue: Issue) -> str:
    line = f"№{issue.number} · {STATUS_NAMES[issue.status]} · {quote(issue.text, limit=80)}"
    if issue.assignee is not None and issue.status is not IssueStatus.NEW:
        line += f" · {esc(issue.assignee.name)}"
    if issue.status is IssueStatus.ON_CONTROL and issue.due_date is not None:
        line += f" · до {full_date(issue.due_date)}"
    return line


def open_issues_in_chat(issues: Sequence[Issue]) -> str:
    if not issues:
        return "Открытых обращений в этом чате нет."
    lines = [_issue_line(issue) for issue in issues]
    return fit_lines(f"<b>Открытые обращения ({len(issues)}):</b>", lines, "…и ещё {count}")


def open_issues_grouped(issues: Sequence[Issue], names: Mapping[ChatPlace, str]) -> str:
    if not issues:
        return "Открытых обращений нет."
    lines: list[str] = []
    current: ChatPlace | None = None
    for issue in sorted(issues, key=lambda item: (names.get(item.place, ""), item.number)):
        if issue.place != current:
            current = issue.place
            lines.append(f"\n<b>{esc(names.get(issue.place, 'чат удалён'))}</b>")
        lines.append(_issue_line(issue))
    return fit_lines(f"<b>Открытые обращения ({len(issues)}):</b>", lines, "…и ещё {count}")


def my_issues(issues: Sequence[Issue]) -> str:
    if not issues:
        return "У вас нет открытых обращений в работе."
    lines = [_issue_line(issue) for issue in issues]
    return fit_lines(f"<b>Ваши обращения в работе ({len(issues)}):</b>", lines, "…и ещё {count}")


def own_filed_issues(issues: Sequence[Issue]) -> str:
    if not issues:
        return "У вас нет открытых обращений."
    lines = [_issue_line(issue) for issue in issues]
    return fit_lines(f"<b>Ваши обращения ({len(issues)}):</b>", lines, "…и ещё {count}")
