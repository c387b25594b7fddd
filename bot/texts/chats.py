"""Texts about registering chats and granting roles."""

from __future__ import annotations

from bot.domain.models import ChatKind, ChatPlace
from bot.texts.format import esc

REMOVED_CHAT = "чат отключён"
"""The name shown for a chat that was unregistered (its issues stay on the desk)."""

KIND_NAMES = {
    ChatKind.BUILDING: "чат дома",
    ChatKind.TOPIC: "тематический чат",
    ChatKind.STAFF: "рабочий чат специалистов",
}


def registered(kind: ChatKind, name: str, tags: tuple[str, ...]) -> str:
    if kind is ChatKind.STAFF:
        return (
            "Готово: это рабочий чат специалистов. Сюда будут приходить карточки новых "
            "обращений с кнопками «Взять» и «Закрыть»."
        )
    return (
        f"Готово: «{esc(name)}» подключён как {KIND_NAMES[kind]}. Жители могут писать обращения "
        f"с тегом {', '.join(tags)} — бот присвоит номер и сообщит ответ здесь же."
    )


def staff_moved() -> str:
    return "Рабочий чат специалистов перенесён сюда; прежний чат больше не получает карточки."


def unregistered() -> str:
    return "Чат отключён от бота. Обращения из него больше не принимаются."


def not_registered() -> str:
    return "Этот чат и так не подключён."


def specialist_granted(name: str) -> str:
    return f"{esc(name)} теперь специалист: может брать обращения в работу и отвечать на них."


def specialist_already(name: str) -> str:
    return f"{esc(name)} уже специалист."


def specialist_revoked(name: str) -> str:
    return f"{esc(name)} больше не специалист."


def specialist_not_granted(name: str) -> str:
    return f"{esc(name)} не был назначен специалистом через бота."


def specialist_from_config(name: str) -> str:
    return (
        f"{esc(name)} назначен специалистом в файле настроек бота; "
        "снять роль можно только там (roles.specialists)."
    )


def cannot_change_admin(name: str) -> str:
    return f"{esc(name)} — администратор бота; роль администратора задаётся в файле настроек."


def chat_ids(place: ChatPlace) -> str:
    """The ids an admin needs for the config (`[digest] chat_ids`) and `civicbot chats`."""
    topic = f", id темы: <code>{place.thread_id}</code>" if place.thread_id else ""
    return f"Id чата: <code>{place.chat_id}</code>{topic}."
