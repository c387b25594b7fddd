"""Turning aiogram messages into the domain's plain values."""

from __future__ import annotations

from aiogram.types import Message, User

from bot.domain.models import Caller, ChatPlace, IncomingMessage, Person


def person_from(user: User) -> Person:
    return Person(user_id=user.id, name=user.full_name, username=user.username)


def thread_of(message: Message) -> int:
    """The forum topic of a message; replies in ordinary groups also carry a thread id."""
    if message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return 0


def place_of(message: Message) -> ChatPlace:
    return ChatPlace(message.chat.id, thread_of(message))


def caller_from(message: Message, user: User | None = None) -> Caller | None:
    sender = user or message.from_user
    if sender is None:
        return None
    return Caller(
        person=person_from(sender),
        chat_id=message.chat.id,
        thread_id=thread_of(message),
        message_id=message.message_id if user is None else None,
        is_private=message.chat.type == "private",
    )


def attachments_of(message: Message) -> tuple[str, ...]:
    found: list[str] = []
    if message.photo:
        found.append(message.photo[-1].file_id)
    for media in (message.document, message.video, message.voice, message.audio):
        if media is not None:
            found.append(media.file_id)
    return tuple(found)


def incoming_from(message: Message) -> IncomingMessage | None:
    if message.from_user is None or message.from_user.is_bot:
        return None
    return IncomingMessage(
        place=place_of(message),
        message_id=message.message_id,
        author=person_from(message.from_user),
        text=message.text or message.caption or "",
        attachments=attachments_of(message),
        sent_at=message.date,
    )
