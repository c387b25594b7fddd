"""MAX updates as the core's values. Ids enter the core through bot.domain.messengers (a MAX
chat or user id is shifted into a range Telegram's ids never reach); a message's core id is
its per-chat `seq`, and its `mid` travels beside it for replies and edits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.messengers import max_chat, max_user
from bot.domain.models import Caller, ChatPlace, IncomingMessage, Person

UPDATE_KEY_BASE = 1 << 62
"""MAX updates carry no id: each is keyed by a digest of its content in a range (2**62 and
up) that Telegram's update ids never reach, so `processed_updates` serves both."""

MAX_BOT = 0
"""The bot key of MAX's updates (updates are keyed by (bot, id)): one MAX bot per database,
as its leases assume, and its keys never meet a Telegram bot's."""


def update_key(update: dict[str, Any]) -> int:
    digest = hashlib.blake2b(
        json.dumps(update, sort_keys=True, ensure_ascii=False).encode(), digest_size=8
    ).digest()
    return UPDATE_KEY_BASE | (int.from_bytes(digest, "big") & (UPDATE_KEY_BASE - 1))


def person(user: dict[str, Any]) -> Person:
    name = user.get("name") or " ".join(
        part for part in (user.get("first_name"), user.get("last_name")) if part
    )
    return Person(
        max_user(int(user["user_id"])), name or str(user["user_id"]), user.get("username")
    )


@dataclass(frozen=True, slots=True)
class MaxMessageIn:
    """A message as the router needs it."""

    incoming: IncomingMessage
    caller: Caller
    mid: str
    private: bool
    reply_to_seq: int | None
    from_bot: bool
    reply_to_author: Person | None = None
    """The author of the message this one replies to (for /specialist by reply)."""


@dataclass(frozen=True, slots=True)
class MaxCallbackIn:
    callback_id: str
    payload: str
    caller: Caller
    message_seq: int | None = None
    """The core id of the message whose button was pressed."""


def message_in(message: dict[str, Any]) -> MaxMessageIn | None:
    """A message from a person, or None (channel posts, messages without a sender)."""
    sender = message.get("sender")
    body = message.get("body") or {}
    recipient = message.get("recipient") or {}
    if not sender or body.get("seq") is None or body.get("mid") is None:
        return None
    author = person(sender)
    private = recipient.get("chat_type") == "dialog"
    if private:
        chat_id = author.user_id  # replies go to the person, as on Telegram
    elif recipient.get("chat_id") is not None:
        chat_id = max_chat(int(recipient["chat_id"]))
    else:
        return None
    seq = int(body["seq"])
    sent_at = None
    if message.get("timestamp"):
        sent_at = datetime.fromtimestamp(int(message["timestamp"]) / 1000, UTC)
    incoming = IncomingMessage(
        place=ChatPlace(chat_id),
        message_id=seq,
        author=author,
        text=body.get("text") or "",
        sent_at=sent_at,
    )
    link = message.get("link") or {}
    replied = link.get("message") or {} if link.get("type") == "reply" else {}
    replied_sender = link.get("sender") if link.get("type") == "reply" else None
    replied_author = None
    if isinstance(replied_sender, dict) and not replied_sender.get("is_bot"):
        replied_author = person(replied_sender)
    return MaxMessageIn(
        incoming=incoming,
        caller=Caller(author, chat_id, 0, seq, private),
        mid=str(body["mid"]),
        private=private,
        reply_to_seq=int(replied["seq"]) if replied.get("seq") is not None else None,
        from_bot=bool(sender.get("is_bot")),
        reply_to_author=replied_author,
    )


def callback_in(update: dict[str, Any]) -> MaxCallbackIn | None:
    callback = update.get("callback") or {}
    message = update.get("message")
    if not callback.get("callback_id") or not message:
        return None
    pressed = message_in(message)
    if pressed is None:
        return None
    who = person(callback["user"])
    chat_id = who.user_id if pressed.private else pressed.caller.chat_id
    caller = Caller(who, chat_id, 0, None, pressed.private)
    return MaxCallbackIn(
        str(callback["callback_id"]),
        str(callback.get("payload") or ""),
        caller,
        pressed.incoming.message_id,
    )
