"""Router-level scopes: where a router's handlers may run at all."""

from __future__ import annotations

from typing import Any

from aiogram.filters import BaseFilter
from aiogram.types import Message

from bot.services.chats import ChatService
from bot.services.issues import IssueService
from handlers.adapters import place_of


class PrivateOrRegistered(BaseFilter):
    """Private chats, and group chats (or topics) registered with /register."""

    async def __call__(self, message: Message, chats: ChatService) -> bool:
        if message.chat.type == "private":
            return True
        return await chats.registration(place_of(message)) is not None


class ReplyToClosePrompt(BaseFilter):
    """A reply to the bot's "send the answer text" prompt; yields the issue number."""

    async def __call__(self, message: Message, issues: IssueService) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        if not message.text or message.text.startswith("/"):
            return False
        number = await issues.close_prompt_number(message.chat.id, replied.message_id)
        return {"prompt_number": number} if number is not None else False
