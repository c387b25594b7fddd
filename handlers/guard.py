"""The spam and flood guard: every message in a moderated residents' chat passes it first,
commands included (only the moderation commands come before it); a clean message goes on to
the other routers (SkipHandler), a removed one stops here."""

from __future__ import annotations

from aiogram import Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ContentType
from aiogram.types import Message, MessageEntity, MessageOriginChannel

from bot.domain.spam import MessageFacts
from bot.services.moderation_guard import GroupMessage, GuardService
from bot.services.scope import Scope
from handlers.adapters import person_from, place_of
from handlers.filters import ModeratedGroupMessage

router = Router(name=__name__)
router.message.filter(ModeratedGroupMessage())

_CONTENT = {
    ContentType.TEXT,
    ContentType.PHOTO,
    ContentType.VIDEO,
    ContentType.DOCUMENT,
    ContentType.STICKER,
    ContentType.ANIMATION,
    ContentType.VOICE,
    ContentType.AUDIO,
    ContentType.VIDEO_NOTE,
    ContentType.CONTACT,
    ContentType.LOCATION,
    ContentType.POLL,
    ContentType.DICE,
    ContentType.STORY,
}


@router.message()
async def on_any_group_message(message: Message, guard: GuardService, scope: Scope) -> None:
    facts = _facts(message)
    assert scope.chat is not None  # ModeratedGroupMessage() admits registered chats only
    if facts is None or not await guard.observe(facts, scope.chat, scope.role):
        raise SkipHandler
    # removed as spam: nothing else handles it


def _facts(message: Message) -> GroupMessage | None:
    user = message.from_user
    if user is None or user.is_bot or message.content_type not in _CONTENT:
        return None
    if message.sender_chat is not None and (
        message.is_automatic_forward or message.sender_chat.id == message.chat.id
    ):
        return None  # the linked channel's posts and anonymous chat administrators
    text = message.text or message.caption or ""
    entities = message.entities or message.caption_entities or []
    urls = tuple(
        (entity.url if entity.type == "text_link" else _extract(entity, text)) or ""
        for entity in entities
        if entity.type in ("url", "text_link")
    )
    mentions = tuple(_extract(entity, text) for entity in entities if entity.type == "mention")
    origin = message.forward_origin
    channel = origin.chat if isinstance(origin, MessageOriginChannel) else None
    facts = MessageFacts(
        chat_id=message.chat.id,
        user_id=user.id,
        sent_at=message.date,
        text=text,
        urls=urls,
        mentions=mentions,
        forwarded_from_channel=channel is not None,
        forward_channel=channel.username if channel is not None else None,
        has_contact=message.contact is not None,
    )
    return GroupMessage(place_of(message), message.message_id, person_from(user), facts)


def _extract(entity: MessageEntity, text: str) -> str:
    """The entity's text. Offsets count UTF-16 units; one that splits a surrogate pair (sent
    by a client bug or on purpose) yields a replacement character instead of an error."""
    units = text.encode("utf-16-le")
    start, end = entity.offset * 2, (entity.offset + entity.length) * 2
    return units[max(start, 0) : max(end, 0)].decode("utf-16-le", errors="replace")
