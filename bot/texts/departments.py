"""Departments: transfers, department staff chats, grants and chat defaults."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.models import Issue, Person
from bot.texts.format import esc


def transferred_to_resident(issue: Issue, department: str) -> str:
    return (
        f"Ваше обращение №{issue.number} передано: им теперь занимается "
        f"«{esc(department)}». Ответ придёт сюда."
    )


def transferred_card(number: int, department: str, by: Person) -> str:
    return f"№{number} передано в «{esc(department)}» ({esc(by.name)}). Карточка — в его чате."


def transferred_done(number: int, department: str) -> str:
    return f"Обращение №{number} передано в «{esc(department)}»."


def transfer_choice(number: int) -> str:
    return f"Кому передать обращение №{number}?"


def unknown_department(name: str, known: Sequence[str]) -> str:
    listed = ", ".join(f"«{esc(item)}»" for item in known) or "нет ни одного"
    return (
        f"Отдела «{esc(name)}» нет. Отделы с рабочими чатами: {listed}. "
        "Рабочий чат отдела подключается командой /register staff Отдел."
    )


NO_DEPARTMENTS = (
    "Отделы не настроены: подключите рабочий чат отдела командой /register staff Отдел."
)


def transfer_line(old: str | None, new: str) -> str:
    return f"{old or 'общий чат'} → {new}"


def department_staff_registered(department: str) -> str:
    return (
        f"Этот чат — рабочий чат отдела «{esc(department)}». Сюда приходят его обращения; "
        "специалистов отдела назначайте здесь: /specialist ответом на сообщение."
    )


def specialist_granted_in(name: str, department: str) -> str:
    return f"{esc(name)} — специалист отдела «{esc(department)}»."


def default_department_set(chat: str, department: str | None) -> str:
    if department is None:
        return f"У чата «{esc(chat)}» больше нет отдела по умолчанию."
    return f"Обращения чата «{esc(chat)}» по умолчанию идут в отдел «{esc(department)}»."


def default_category_set(chat: str, category: str | None) -> str:
    if category is None:
        return f"У чата «{esc(chat)}» больше нет категории по умолчанию."
    return f"Обращения чата «{esc(chat)}» по умолчанию получают категорию «{esc(category)}»."


def unknown_category(code: str, known: Sequence[str]) -> str:
    listed = ", ".join(known) or "категории не настроены"
    return f"Категории «{esc(code)}» нет. Коды категорий: {listed}."
