"""Refusals and usage lines."""

from __future__ import annotations

from datetime import date

from bot.domain.errors import (
    BotError,
    NotPermitted,
    OtherDepartment,
    Refusal,
    TooLong,
    TransitionRefused,
)
from bot.domain.limits import Bounded
from bot.domain.models import IssueAction, IssueStatus, Permission
from bot.texts.format import esc, full_date

PERMISSION_DENIED: dict[Permission, str] = {
    Permission.MANAGE_CHATS: "Регистрировать чаты могут только администраторы бота.",
    Permission.MANAGE_ROLES: "Назначать специалистов могут только администраторы бота.",
    Permission.WORK_ISSUES: (
        "Эта команда — для специалистов администрации. "
        "Ваше обращение уже у них, ответ придёт сюда."
    ),
    Permission.VIEW_ALL_ISSUES: "Список всех обращений доступен только специалистам.",
    Permission.FILE_FOR_OTHERS: (
        "Сделать обращение из чужого сообщения может только его автор или специалист."
    ),
    Permission.ALL_DEPARTMENTS: "Обращения всех отделов доступны только администраторам.",
}


USAGE_TAKE = "Использование: /take N — взять обращение №N в работу (или ответом на сообщение)."
USAGE_CONTROL = (
    "Использование: /control N ГГГГ-ММ-ДД [комментарий] — поставить обращение №N на контроль "
    "до даты, например /control 17 2026-12-01 ждём подрядчика."
)
USAGE_CLOSE = (
    "Использование: /close N текст ответа — закрыть обращение №N с ответом жителю, "
    "например /close 17 Трубу заменили."
)
USAGE_ASK = (
    "Использование: /ask N вопрос — задать жителю вопрос по обращению №N, "
    "например /ask 17 В каком подъезде?"
)
USAGE_CONTACTED = (
    "Использование: /contacted N комментарий — записать личный контакт с жителем по "
    "обращению №N, например /contacted 17 Созвонились, мастер придёт в пятницу."
)
USAGE_MERGE = (
    "Использование: /merge N M — обращение №M станет дубликатом №N (ответ на №N получат "
    "оба жителя), например /merge 17 18."
)
USAGE_APPEAL = (
    "Использование: /appeal текст — в личном чате с ботом: личное обращение (например, "
    "жалоба на соседей или сообщение для муниципального контроля); в группе его не видно."
)
NO_CHATS_FOR_APPEAL = "Пока нет подключённых чатов домов и тем, о которых можно обратиться."
USAGE_REOPEN = "Использование: /reopen N — вернуть закрытое обращение №N в работу."
USAGE_ISSUE = (
    "Использование: /issue N — показать обращение №N; "
    "/issue ответом на сообщение — сделать из него обращение."
)
USAGE_REGISTER = (
    "Использование: /register building Название, /register topic Название "
    "или /register staff [Отдел] — в группе, которую нужно подключить."
)
USAGE_SPECIALIST = (
    "Использование: ответьте на сообщение человека командой /specialist, "
    "чтобы назначить его специалистом (в рабочем чате отдела — специалистом этого отдела; "
    "/specialist Отдел — специалистом названного отдела), или /specialist remove — "
    "чтобы снять роль."
)
USAGE_TRANSFER = (
    "Использование: /transfer N Отдел — передать обращение №N другому отделу, "
    "например /transfer 17 КУМИ."
)
USAGE_SETDEPT = (
    "Использование: /setdept Отдел — обращения этого чата пойдут в отдел по умолчанию; "
    "/setdept - — снять."
)
USAGE_SETCATEGORY = (
    "Использование: /setcategory код — категория обращений этого чата по умолчанию; "
    "/setcategory - — снять."
)
GROUP_ONLY = "Эта команда работает только в группе."
NOT_REGISTERED_HERE = "Этот чат не подключён к боту."
UNEXPECTED = "Что-то пошло не так. Мы уже разбираемся, попробуйте ещё раз позже."


def issue_not_found(number: int) -> str:
    return f"Обращение №{number} не найдено. Проверьте номер: /issue N."


def no_issue_in_reply() -> str:
    return "Это сообщение не связано с обращением. Укажите номер: /take N."


def not_your_chat_issue(number: int) -> str:
    return f"Обращение №{number} подано в другом чате."


def already_yours(number: int) -> str:
    return f"Обращение №{number} уже у вас в работе."


def due_date_in_past(due: date, today: date) -> str:
    return (
        f"Дата {full_date(due)} уже прошла (сегодня {full_date(today)}). "
        "Укажите сегодняшнюю или будущую дату: /control N ГГГГ-ММ-ДД."
    )


_STATUS_FORBIDS = {
    "closed": "уже закрыто",
    "new": "ещё не закрыто",
    "in_progress": "ещё не закрыто",
    "on_control": "ещё не закрыто",
    "awaiting": "ещё не закрыто",
}


def transition_not_allowed(number: int, status: IssueStatus, action: IssueAction) -> str:
    state = _STATUS_FORBIDS[status.value]
    if action.value == "reopen":
        return f"Обращение №{number} {state}: вернуть в работу можно только закрытое."
    return f"Обращение №{number} {state}. Чтобы вернуть его в работу: /reopen {number}."


def button_done(number: int, action: IssueAction) -> str:
    done = {
        "take": "взято в работу",
        "reopen": "возвращено в работу",
        "ask": "ждёт ответа жителя",
    }
    return f"№{number} {done.get(action.value, 'обновлено')}"


def explain(error: BotError) -> str:
    """The one line a user is told: the service's own wording, or the domain's refusal worded."""
    if isinstance(error, NotPermitted):
        return PERMISSION_DENIED[error.permission]
    if isinstance(error, OtherDepartment):
        return other_department(error.number, error.department)
    if isinstance(error, TransitionRefused):
        return _refusal(error)
    if isinstance(error, TooLong):
        return too_long(error.field, error.limit)
    return error.message


_BOUNDED = {
    Bounded.CHAT_NAME: "Название чата",
    Bounded.ORG: "Название организации",
    Bounded.DEPARTMENT: "Название отдела",
}


def too_long(field: Bounded, limit: int) -> str:
    return f"{_BOUNDED[field]} слишком длинное: не больше {limit} символов. Сократите его."


def other_department(number: int, department: str | None) -> str:
    whose = f"отдела «{esc(department)}»" if department else "общего рабочего чата"
    return f"Обращение №{number} — {whose}: с ним работают его специалисты."


def _refusal(error: TransitionRefused) -> str:
    match error.refusal:
        case Refusal.NOT_FROM_THIS_STATUS:
            return transition_not_allowed(error.number, error.status, error.action)
        case Refusal.ALREADY_YOURS:
            return already_yours(error.number)
        case Refusal.DUE_DATE_MISSING:
            return USAGE_CONTROL
        case Refusal.DUE_DATE_IN_PAST:
            assert error.due_date is not None and error.today is not None
            return due_date_in_past(error.due_date, error.today)
        case Refusal.ANSWER_MISSING:
            return USAGE_CLOSE
        case Refusal.QUESTION_MISSING:
            return USAGE_ASK
        case Refusal.MERGE_SELF:
            return f"Обращение №{error.number} нельзя объединить с самим собой."
        case Refusal.MERGE_CHAIN:
            return f"Обращение №{error.number} уже объединено с другим."
        case Refusal.SAME_DEPARTMENT:
            return f"Обращение №{error.number} уже в этом отделе."
