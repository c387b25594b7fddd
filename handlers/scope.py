"""The outer middleware that resolves an update's scope once: the chat's registration and the
sender's role, handed to filters and handlers as `scope`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User

from bot.domain.models import ChatPlace
from bot.services.scope import ScopeService
from handlers.adapters import place_of

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ScopeMiddleware(BaseMiddleware):
    def __init__(self, scopes: ScopeService) -> None:
        self._scopes = scopes

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        data["scope"] = await self._scopes.resolve(
            _place(event, chat),
            user.id if user is not None else None,
            private=chat is not None and chat.type == "private",
        )
        return await handler(event, data)


def _place(update: Update, chat: Chat | None) -> ChatPlace | None:
    message = update.message or update.edited_message
    if message is None and isinstance(update.callback_query, CallbackQuery):
        found = update.callback_query.message
        message = found if isinstance(found, Message) else None
    if message is not None:
        return place_of(message)
    return ChatPlace(chat.id, 0) if chat is not None else None
