"""Everything the double remembers: users, chats, members, messages, files, polls, updates."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .files import FileStore
from .limits import RateLimiter, RateLimits
from .models import (
    ApiError,
    FakeChat,
    FakeMessage,
    FakePoll,
    FakeUser,
    JsonDict,
    Member,
    SentRecord,
    bad_request,
    forbidden,
)
from .updates import UpdateQueue
from .webhook import WebhookSender


@dataclass
class CallbackRecord:
    """A callback query a user created by pressing a button, and the bot's answer."""

    id: str
    chat_id: int
    message_id: int
    user: FakeUser
    data: str
    answer: JsonDict | None = None
    answered: bool = False


@dataclass
class Settings:
    strict_html: bool = True
    privacy_mode: bool = True
    first_update_id: int = 100_000_001
    rate_limits: RateLimits | None = field(default_factory=RateLimits)


class World:
    def __init__(
        self,
        bot: FakeUser,
        settings: Settings,
        now: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.now = now or (lambda: datetime.now(UTC))
        self.monotonic = monotonic or time.monotonic
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.messages: dict[int, dict[int, FakeMessage]] = {}
        self.files = FileStore()
        self.polls: dict[str, FakePoll] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[str, list[JsonDict]] = {}
        self.sent: list[SentRecord] = []
        self.updates = UpdateQueue(settings.first_update_id)
        self.webhook = WebhookSender(self.updates, self.unix)
        self.updates.on_push = self.webhook.kick
        # Through the attribute, so a driver that moves the world's clock moves the limits too.
        self.limiter = RateLimiter(settings.rate_limits, lambda: self.monotonic())
        self._user_ids = itertools.count(5_000_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._supergroup_ids = itertools.count(1_002_000_000_001)
        self._ids = itertools.count(1)

    # ids and time -------------------------------------------------------------------------
    def unix(self) -> int:
        return int(self.now().timestamp())

    def next_user_id(self) -> int:
        return next(self._user_ids)

    def next_chat_id(self, supergroup: bool) -> int:
        return -next(self._supergroup_ids if supergroup else self._group_ids)

    def next_token(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}{self.bot.id % 100000:05d}"

    # lookups ------------------------------------------------------------------------------
    def chat(self, chat_id: int | str) -> FakeChat:
        """The chat a ``chat_id`` parameter names, or 400 "chat not found"."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            found = [c for c in self.chats.values() if c.username and c.username.lower() == name]
            if not chat_id.startswith("@") or not found:
                raise bad_request("chat not found")
            return found[0]
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def member(self, chat: FakeChat, user: FakeUser) -> Member:
        if chat.type == "private":
            return Member(user, "member")
        return chat.members.get(user.id) or Member(user, "left")

    def bot_member(self, chat: FakeChat) -> Member:
        return self.member(chat, self.bot)

    def message(self, chat_id: int, message_id: int) -> FakeMessage | None:
        msg = self.messages.get(chat_id, {}).get(message_id)
        return None if msg is None or msg.deleted else msg

    def user(self, user_id: int) -> FakeUser:
        if user_id == self.bot.id:
            return self.bot
        user = self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return user

    # access checks ------------------------------------------------------------------------
    def accessible_chat(self, chat_id: int | str, *, to_send: bool = False) -> FakeChat:
        """The chat, if the bot may act in it; otherwise Telegram's 400/403 for the case."""
        chat = self.chat(chat_id)
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.started and to_send:
                raise forbidden("bot can't initiate conversation with a user")
            return chat
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        me = self.bot_member(chat)
        if me.status == "kicked":
            raise forbidden(f"bot was kicked from the {kind}")
        if not me.in_chat:
            raise forbidden(f"bot is not a member of the {kind}")
        if to_send and not self.may_send(chat, me):
            raise bad_request("not enough rights to send text messages to the chat")
        return chat

    def may_send(self, chat: FakeChat, member: Member) -> bool:
        if member.is_admin:
            return True
        if member.status == "restricted":
            return member.rights.get("can_send_messages", False)
        return chat.permissions.get("can_send_messages", True)

    def require_right(self, chat: FakeChat, right: str, error: str) -> None:
        if chat.type == "group" and self.bot_member(chat).is_admin:
            return  # basic groups have no fine-grained admin rights
        if not self.bot_member(chat).has_right(right):
            raise bad_request(error)

    # messages -----------------------------------------------------------------------------
    def add_message(self, chat: FakeChat, sender: FakeUser, **fields: Any) -> FakeMessage:
        chat.last_message_id += 1
        msg = FakeMessage(
            chat_id=chat.id,
            message_id=chat.last_message_id,
            date=self.unix(),
            sender=sender,
            from_bot=sender.id == self.bot.id,
            **fields,
        )
        self.messages.setdefault(chat.id, {})[msg.message_id] = msg
        return msg

    def message_api(self, msg: FakeMessage, *, nested: bool = False) -> JsonDict:
        chat = self.chats[msg.chat_id]
        data: JsonDict = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": chat.to_api(),
            "from": msg.sender.to_api(),
        }
        if msg.thread_id is not None:
            data["message_thread_id"] = msg.thread_id
        if msg.is_topic_message:
            data["is_topic_message"] = True
        reply = self.message(msg.chat_id, msg.reply_to) if msg.reply_to else None
        if reply is not None and not nested:
            data["reply_to_message"] = self.message_api(reply, nested=True)
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        if msg.media_group_id:
            data["media_group_id"] = msg.media_group_id
        if msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        if msg.photo is not None:
            data["photo"] = msg.photo
        if msg.document is not None:
            data["document"] = msg.document
        if msg.caption is not None:
            data["caption"] = msg.caption
            if msg.caption_entities:
                data["caption_entities"] = msg.caption_entities
        if msg.poll_id is not None:
            data["poll"] = self.polls[msg.poll_id].to_api()
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        data.update(msg.service)
        data.update(msg.extra)
        return data

    def record_sent(self, chat: FakeChat, method: str, count: int = 1) -> None:
        self.limiter.record(chat.id, chat.is_group, count)
        for _ in range(count):
            self.sent.append(SentRecord(chat.id, method, self.now(), self.monotonic()))

    # updates ------------------------------------------------------------------------------
    def deliver_message(self, msg: FakeMessage, kind: str = "message") -> int | None:
        """Queue a user's message, unless the bot cannot see it (privacy mode)."""
        if not self.bot_sees(msg):
            return None
        return self.updates.push(kind, self.message_api(msg))

    def bot_sees(self, msg: FakeMessage) -> bool:
        chat = self.chats[msg.chat_id]
        if chat.type == "private":
            return not chat.blocked
        me = self.bot_member(chat)
        if not me.in_chat:
            return False
        if not self.settings.privacy_mode or me.is_admin or msg.service:
            return True
        reply = self.messages.get(chat.id, {}).get(msg.reply_to or 0)
        if reply is not None and reply.from_bot:
            return True
        text = msg.text or msg.caption or ""
        if not text.startswith("/"):
            return False
        command = text.split(maxsplit=1)[0]
        return "@" not in command or command.lower().endswith(f"@{self.bot.username}".lower())

    def member_update(
        self, chat: FakeChat, actor: FakeUser, old: Member, new: Member
    ) -> int | None:
        kind = "my_chat_member" if new.user.id == self.bot.id else "chat_member"
        if kind == "chat_member" and not self.bot_member(chat).is_admin:
            return None  # Telegram sends chat_member updates to administrators only
        payload = {
            "chat": chat.to_api(),
            "from": actor.to_api(),
            "date": self.unix(),
            "old_chat_member": old.to_api(),
            "new_chat_member": new.to_api(),
        }
        return self.updates.push(kind, payload)
