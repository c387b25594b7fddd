"""What the MAX double remembers: users, group chats (with the bot an admin or not), their
messages, the update queue read by long polling with `marker`, and the calls made."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from .validation import MaxApiError
from .webhook import WebhookSender

BOT_USER_ID = 900_000_001
# What a bot made an administrator of a building chat is given in the double.
ADMIN_PERMISSIONS: tuple[str, ...] = (
    "read_all_messages",
    "add_remove_members",
    "write",
    "pin_message",
)


@dataclass
class MaxUser:
    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False

    def json(self) -> dict[str, Any]:
        name = f"{self.first_name} {self.last_name}" if self.last_name else self.first_name
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "name": name,
            "username": self.username,
            "is_bot": self.is_bot,
            "last_activity_time": int(time.time() * 1000),
        }


@dataclass
class MaxMessage:
    chat_id: int
    mid: str
    seq: int
    sender: MaxUser
    text: str | None
    timestamp: int
    link: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    edits: int = 0

    def json(self) -> dict[str, Any]:
        return {
            "sender": self.sender.json(),
            "recipient": {"chat_id": self.chat_id, "chat_type": "chat", "user_id": None},
            "timestamp": self.timestamp,
            "link": self.link,
            "body": {
                "mid": self.mid,
                "seq": self.seq,
                "text": self.text,
                "attachments": self.attachments or None,
            },
        }

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        for attachment in self.attachments:
            if attachment.get("type") == "inline_keyboard":
                rows: list[list[dict[str, Any]]] = attachment["payload"]["buttons"]
                return rows
        return []

    @property
    def reply_to(self) -> str | None:
        if self.link and self.link.get("type") == "reply":
            message = self.link.get("message") or {}
            mid = message.get("mid")
            return str(mid) if mid else None
        return None


@dataclass
class MaxChat:
    chat_id: int
    title: str
    members: dict[int, MaxUser] = field(default_factory=dict)
    admins: set[int] = field(default_factory=set)
    bot_member: bool = True
    bot_permissions: tuple[str, ...] | None = ADMIN_PERMISSIONS  # None: not an admin
    blocked: set[int] = field(default_factory=set)
    pinned: str | None = None
    messages: list[MaxMessage] = field(default_factory=list)
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def bot_is_admin(self) -> bool:
        return self.bot_permissions is not None

    def json(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "type": "chat",
            "status": "active" if self.bot_member else "removed",
            "title": self.title,
            "icon": None,
            "last_event_time": int(time.time() * 1000),
            "participants_count": len(self.members) + (1 if self.bot_member else 0),
            "is_public": False,
        }


@dataclass
class RecordedCall:
    method: str
    path: str
    query: dict[str, Any]
    body: Any
    status: int
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


class Updates:
    """The long-polling queue: each update has a position; a request with `marker` m marks
    every update before m read and returns those from m on. Without a marker only the latest
    update is returned, as the schema says."""

    def __init__(self) -> None:
        self.items: list[tuple[int, dict[str, Any]]] = []
        self.next_position = 1
        self.polls = 0
        self.changed = asyncio.Event()
        self.pushed: list[dict[str, Any]] = []  # every update ever queued, in order
        self.delivered: list[dict[str, Any]] = []  # every update a poll returned

    def push(self, update: dict[str, Any], *, record: bool = True) -> None:
        if record:
            self.pushed.append(update)
        self.items.append((self.next_position, update))
        self.next_position += 1
        self.changed.set()

    def take(self, marker: int | None, limit: int) -> tuple[list[dict[str, Any]], int]:
        if marker is None:
            latest = self.items[-1:]
            self.items.clear()
            self.delivered.extend(u for _, u in latest)
            return [u for _, u in latest], self.next_position
        self.items = [(p, u) for p, u in self.items if p >= marker]
        batch = self.items[:limit]
        next_marker = batch[-1][0] + 1 if batch else max(marker, self.next_position)
        self.delivered.extend(u for _, u in batch)
        return [u for _, u in batch], next_marker


class World:
    def __init__(self) -> None:
        self.bot = MaxUser(BOT_USER_ID, "Civicbot", username="civic_bot", is_bot=True)
        self.users: dict[int, MaxUser] = {}
        self.chats: dict[int, MaxChat] = {}
        self.updates = Updates()
        self.webhook = WebhookSender()
        self.calls: list[RecordedCall] = []
        self.callbacks: dict[str, tuple[int, str, int]] = {}  # id -> chat, mid, user
        self.answers: list[dict[str, Any]] = []
        self._user_ids = itertools.count(100_001)
        self._chat_ids = itertools.count(1)
        self._mids = itertools.count(1)
        self._callbacks = itertools.count(1)

    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

    def create_user(self, first_name: str, last_name: str | None = None) -> MaxUser:
        user = MaxUser(next(self._user_ids), first_name, last_name)
        self.users[user.user_id] = user
        return user

    def create_chat(
        self,
        title: str,
        *,
        members: list[MaxUser],
        admins: list[MaxUser] = (),  # type: ignore[assignment]
        bot_admin: bool = True,
        permissions: tuple[str, ...] = ADMIN_PERMISSIONS,
    ) -> MaxChat:
        chat_id = -(68_000_000_000 + next(self._chat_ids))
        chat = MaxChat(chat_id, title, bot_permissions=permissions if bot_admin else None)
        for user in [*admins, *members]:
            chat.members[user.user_id] = user
        chat.admins = {user.user_id for user in admins}
        self.chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> MaxChat:
        found = self.chats.get(chat_id)
        if found is None:
            raise MaxApiError(404, "chat.not.found", f"Chat {chat_id} not found")
        return found

    def visible(self, chat: MaxChat) -> bool:
        """A group chat's events reach the bot only if it is an admin there."""
        return chat.bot_member and chat.bot_is_admin

    def add_message(
        self,
        chat: MaxChat,
        sender: MaxUser,
        text: str | None,
        *,
        link: dict[str, Any] | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> MaxMessage:
        seq = next(chat.seq)
        mid = f"mid.{abs(chat.chat_id):016x}{next(self._mids):016x}"
        message = MaxMessage(
            chat.chat_id, mid, seq, sender, text, self.now_ms(), link, list(attachments or ())
        )
        chat.messages.append(message)
        return message

    def find_message(self, mid: str) -> MaxMessage:
        for chat in self.chats.values():
            for message in chat.messages:
                if message.mid == mid and not message.deleted:
                    return message
        raise MaxApiError(404, "not.found", f"Message {mid} not found")

    def event(self, chat: MaxChat, update: dict[str, Any]) -> None:
        if self.visible(chat):
            update.setdefault("timestamp", self.now_ms())
            self.push(update)

    def push(self, update: dict[str, Any]) -> None:
        """To the subscribed webhook, or else to the long-polling queue."""
        self.updates.pushed.append(update)
        if not self.webhook.send(update):
            self.updates.push(update, record=False)

    def new_callback(self, chat_id: int, mid: str, user_id: int) -> str:
        callback_id = f"cb.{next(self._callbacks):08d}"
        self.callbacks[callback_id] = (chat_id, mid, user_id)
        return callback_id
