"""Telegram's service messages: a group upgraded to a supergroup."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.services.chats import ChatService

router = Router(name=__name__)
router.message.filter(F.migrate_to_chat_id | F.migrate_from_chat_id)


@router.message(F.migrate_to_chat_id)
async def on_migrated_to(message: Message, chats: ChatService) -> None:
    assert message.migrate_to_chat_id is not None
    await chats.migrate(message.chat.id, message.migrate_to_chat_id)


@router.message(F.migrate_from_chat_id)
async def on_migrated_from(message: Message, chats: ChatService) -> None:
    assert message.migrate_from_chat_id is not None
    await chats.migrate(message.migrate_from_chat_id, message.chat.id)
