"""Chat names as the desk shows them: an unregistered chat keeps its issues but loses its
name, and every list, card and report shows it the same way."""

from __future__ import annotations

from bot.domain.models import ChatPlace
from bot.services.ports import UnitOfWork
from bot.texts.chats import REMOVED_CHAT

__all__ = ["REMOVED_CHAT", "chat_name", "chat_names"]


async def chat_names(uow: UnitOfWork) -> dict[ChatPlace, str]:
    """The registered chats' names by place; look a place up with `.get(place, REMOVED_CHAT)`."""
    return {chat.place: chat.name for chat in await uow.chats.all()}


async def chat_name(uow: UnitOfWork, place: ChatPlace) -> str:
    chat = await uow.chats.get(place)
    return chat.name if chat else REMOVED_CHAT
